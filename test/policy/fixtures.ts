// Small builders for policy test fixtures: a compliant container, pod spec, workload and stack,
// which each test bends in the one place it is about.

import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { COMPANION_TYPES } from "../../policy/companions";
import { ECR_TYPES } from "../../policy/ecr";
import { type Container, type ContainerSecurityContext, type ObjectMeta, type PodSecurityContext, type PodSpec, WORKLOAD_TYPES } from "../../policy/kubernetes";
import type { OptionValues } from "../../policy/options";
import type { PolicyResourceView } from "../../policy/rule";
import { rules } from "../../policy/rules";
import { proxyUnknowns } from "../../policy/unknowns";

/** The sentinel the engine sends for a value unknown during preview (e.g. an unbuilt image's digest). */
export const UNKNOWN_VALUE: string = unknownValue;

/** A valid sha256 digest. */
export const DIGEST = `sha256:${"ab".repeat(32)}`;

/** An image reference pinned by digest. */
export const PINNED_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello@${DIGEST}`;

/** A container that passes every rule. */
export function compliantContainer(name = "app"): Container {
    return {
        name,
        image: PINNED_IMAGE,
        ports: [{ name: "http", containerPort: 8080 }],
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
        readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
        livenessProbe: { httpGet: { path: "/livez", port: "http" } },
    };
}

/** `container` with `securityContext` fields replaced. */
export function withContainerContext(container: Container, context: ContainerSecurityContext): Container {
    return { ...container, securityContext: { ...container.securityContext, ...context } };
}

/** A pod spec that passes every rule, with `overrides` applied at its top level. */
export function compliantPodSpec(overrides: PodSpec = {}): PodSpec {
    return {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
        containers: [compliantContainer()],
        ...overrides,
    };
}

/** `spec` with pod `securityContext` fields replaced. */
export function withPodContext(spec: PodSpec, context: PodSecurityContext): PodSpec {
    return { ...spec, securityContext: { ...spec.securityContext, ...context } };
}

/** A compliant pod spec whose only container is `container`. */
export function podWithContainer(container: Container): PodSpec {
    return compliantPodSpec({ containers: [container] });
}

const LABELS = { app: "hello" };

/**
 * A workload of the given kind around `spec`: under `spec.template` for Deployments,
 * StatefulSets, DaemonSets and Jobs, `spec.jobTemplate.spec.template` for CronJobs, at the top
 * for Pods.
 */
export function workload(type: string, spec: PodSpec, metadata: ObjectMeta = { name: "hello", namespace: "apps" }): PolicyResourceView {
    const template = { metadata: { labels: LABELS }, spec };
    const props: Record<string, unknown> =
        type === WORKLOAD_TYPES.pod
            ? { metadata: { ...metadata, labels: LABELS }, spec }
            : type === WORKLOAD_TYPES.cronJob
              ? { metadata, spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template } } } }
              : { metadata, spec: { selector: { matchLabels: LABELS }, template } };
    return { type, name: metadata.name ?? "hello", urn: `urn:pulumi:dev::go-services::${type}::${metadata.name}`, props };
}

/** A Deployment around `spec`. */
export function deployment(spec: PodSpec = compliantPodSpec(), options: { replicas?: number; metadata?: ObjectMeta } = {}): PolicyResourceView {
    const resource = workload(WORKLOAD_TYPES.deployment, spec, options.metadata);
    const props = resource.props as { spec: Record<string, unknown> };
    return { ...resource, props: { ...props, spec: { ...props.spec, replicas: options.replicas ?? 2 } } };
}

/** A resource of any type. */
export function resource(type: string, name: string, props: Record<string, unknown>): PolicyResourceView {
    return { type, name, urn: `urn:pulumi:dev::go-services::${type}::${name}`, props };
}

/** The Service, NetworkPolicy and PodDisruptionBudget a compliant Deployment named "hello" in "apps" comes with. */
export function companionsOf(namespace = "apps"): PolicyResourceView[] {
    const metadata = { name: "hello", namespace };
    return [
        resource(COMPANION_TYPES.service, "hello", { metadata, spec: { selector: LABELS, ports: [{ port: 80, targetPort: "http" }] } }),
        resource(COMPANION_TYPES.networkPolicy, "hello", { metadata, spec: { podSelector: { matchLabels: LABELS }, policyTypes: ["Ingress"] } }),
        resource(COMPANION_TYPES.podDisruptionBudget, "hello", { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: LABELS } } }),
    ];
}

/** A compliant ECR repository named `name`, and its lifecycle policy. */
export function ecrRepositoryAndPolicy(name = "hello"): [repository: PolicyResourceView, lifecyclePolicy: PolicyResourceView] {
    return [
        resource(ECR_TYPES.repository, name, { name, imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } }),
        resource(ECR_TYPES.lifecyclePolicy, name, { repository: name, policy: '{"rules":[]}' }),
    ];
}

/** `resource` with its props wrapped as CrossGuard wraps them, so reading an unknown value throws. */
export function asCrossGuardSees(view: PolicyResourceView): PolicyResourceView {
    return { ...view, props: proxyUnknowns(view.props) };
}

function ruleNamed(name: string) {
    const rule = rules.find((candidate) => candidate.name === name);
    if (rule === undefined) {
        throw new Error(`no rule named ${name}`);
    }
    return rule;
}

/** The messages of resource rule `name` on `view` (as CrossGuard shows it) under `config`. */
export function violations(name: string, view: PolicyResourceView, config: OptionValues = {}): readonly string[] {
    const rule = ruleNamed(name);
    if (rule.kind !== "resource") {
        throw new Error(`${name} is a stack rule`);
    }
    return rule.validate(asCrossGuardSees(view), config);
}

/** The messages of stack rule `name` on `views` (as CrossGuard shows them) under `config`. */
export function stackViolations(name: string, views: readonly PolicyResourceView[], config: OptionValues = {}): readonly string[] {
    const rule = ruleNamed(name);
    if (rule.kind !== "stack") {
        throw new Error(`${name} is a resource rule`);
    }
    return rule.validate(views.map(asCrossGuardSees), config).map((finding) => finding.message);
}

/** The messages of resource rule `name` on a Deployment around `spec`. */
export function podViolations(name: string, spec: PodSpec, config: OptionValues = {}): readonly string[] {
    return violations(name, deployment(spec), config);
}
