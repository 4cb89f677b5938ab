// Stack rules: every Deployment (and every Argo Rollouts Rollout, which a canary service runs in
// its place) comes with the objects that make it reachable, isolated and safe to disrupt: a
// Service, a NetworkPolicy and, above one replica, a PodDisruptionBudget, each in the workload's
// namespace and selecting its pods. These run on the stack's outputs.

import { type LabelSelector, namespaceOf, type ObjectMeta, selectorMatches, type WorkloadProps, WORKLOAD_TYPES } from "./kubernetes";
import { integerOption } from "./options";
import { type PolicyResourceView, type StackFinding, type StackRule, stackRule } from "./rule";
import { known, someCandidate, UNKNOWN } from "./unknowns";

/** Pulumi type tokens of the objects that accompany a Deployment. */
export const COMPANION_TYPES = {
    service: "kubernetes:core/v1:Service",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    horizontalPodAutoscalers: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"],
} as const;

/** The props of a Service the rules read. */
interface ServiceProps {
    metadata?: ObjectMeta;
    spec?: { selector?: Record<string, string> };
}

/** The props of a NetworkPolicy the rules read. */
interface NetworkPolicyProps {
    metadata?: ObjectMeta;
    spec?: { podSelector?: LabelSelector };
}

/** The props of a PodDisruptionBudget the rules read. */
interface PodDisruptionBudgetProps {
    metadata?: ObjectMeta;
    spec?: { selector?: LabelSelector };
}

/** The props of a HorizontalPodAutoscaler the rules read. */
interface AutoscalerProps {
    metadata?: ObjectMeta;
    spec?: { minReplicas?: number; scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

/** The workloads whose companions the rules require, with the scaleTargetRef an autoscaler names each by. */
const SCALED_WORKLOADS: Readonly<Record<string, { kind: string; apiVersion: string }>> = {
    [WORKLOAD_TYPES.deployment]: { kind: "Deployment", apiVersion: "apps/v1" },
    [WORKLOAD_TYPES.rollout]: { kind: "Rollout", apiVersion: "argoproj.io/v1alpha1" },
};

/** What the rules need to know of a Deployment (or Rollout). */
interface DeploymentView {
    readonly resource: PolicyResourceView;
    /** Its kind and API version, as a scaleTargetRef names them. */
    readonly target: { kind: string; apiVersion: string };
    readonly name: string;
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
    /** How the Deployment is named in messages. */
    readonly label: string;
}

/** The stack's Deployments and Rollouts; one whose namespace or pod labels are unknown during preview is left out. */
function deploymentsOf(resources: readonly PolicyResourceView[]): DeploymentView[] {
    return resources.flatMap((resource) => {
        const target = SCALED_WORKLOADS[resource.type];
        if (target === undefined) {
            return [];
        }
        const view = known((): DeploymentView => {
            const props = resource.props as WorkloadProps;
            const name = props.metadata?.name ?? resource.name;
            const namespace = namespaceOf(props.metadata);
            const podLabels = { ...(props.spec?.template?.metadata?.labels ?? {}) };
            return {
                resource,
                target,
                name,
                namespace,
                podLabels,
                label: `${target.kind} ${JSON.stringify(name)} in namespace ${JSON.stringify(namespace)} (pod labels ${JSON.stringify(podLabels)})`,
            };
        });
        return view === UNKNOWN ? [] : [view];
    });
}

/**
 * Reports each Deployment for which no resource of type `type` in its namespace passes `selects`;
 * a Deployment is not reported while a candidate that might select it cannot be read yet.
 */
// P names the shape the candidates' props are read as; the props themselves are untyped.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function requireCompanion<P extends { metadata?: ObjectMeta }>(
    resources: readonly PolicyResourceView[],
    type: string,
    selects: (candidate: P, deployment: DeploymentView) => boolean,
    missing: (deployment: DeploymentView) => string | undefined,
): StackFinding[] {
    const candidates = resources.filter((resource) => resource.type === type).map((resource) => resource.props as P);
    return deploymentsOf(resources).flatMap((deployment) => {
        const found = someCandidate(candidates, (candidate) => namespaceOf(candidate.metadata) === deployment.namespace && selects(candidate, deployment));
        const message = found === false ? missing(deployment) : undefined;
        return message === undefined ? [] : [{ resource: deployment.resource, message }];
    });
}

const service = stackRule({
    name: "deployment-has-service",
    description: "Every Deployment has a Service in its namespace whose selector matches its pod labels.",
    enforcementLevel: "advisory",
    check: (resources) =>
        requireCompanion<ServiceProps>(
            resources,
            COMPANION_TYPES.service,
            (candidate, deployment) => {
                const pairs = Object.entries(candidate.spec?.selector ?? {});
                // A Service without a selector selects no pods: its endpoints are managed elsewhere.
                return pairs.length > 0 && pairs.every(([key, value]) => deployment.podLabels[key] === value);
            },
            (deployment) =>
                `${deployment.label}: no Service in namespace ${JSON.stringify(deployment.namespace)} selects its pods; ` +
                "add one whose spec.selector matches the pod labels (disable this policy for workers that serve no traffic).",
        ),
});

const networkPolicy = stackRule({
    name: "deployment-has-network-policy",
    description: "Every Deployment's pods are selected by a NetworkPolicy in its namespace (an empty podSelector selects every pod).",
    enforcementLevel: "advisory",
    check: (resources) =>
        requireCompanion<NetworkPolicyProps>(
            resources,
            COMPANION_TYPES.networkPolicy,
            // podSelector is a required struct: absent and empty both select every pod in the namespace.
            (candidate, deployment) => selectorMatches(candidate.spec?.podSelector ?? {}, deployment.podLabels),
            (deployment) =>
                `${deployment.label}: no NetworkPolicy in namespace ${JSON.stringify(deployment.namespace)} selects its pods; ` +
                "add one whose spec.podSelector matches the pod labels (a default-deny policy with podSelector {} covers every pod).",
        ),
});

/**
 * The fewest replicas a Deployment runs: its own `spec.replicas`, or the highest `minReplicas` of
 * an autoscaler targeting it, taken over the values that are known. A value still unknown during
 * preview could only raise it, so a floor that reaches a threshold is sure.
 */
function replicaFloor(deployment: DeploymentView, resources: readonly PolicyResourceView[]): number {
    const replicas = known(() => (deployment.resource.props as WorkloadProps).spec?.replicas ?? 1);
    const autoscalerMinimums = resources
        .filter((resource) => (COMPANION_TYPES.horizontalPodAutoscalers as readonly string[]).includes(resource.type))
        .map((autoscaler) =>
            known(() => {
                const props = autoscaler.props as AutoscalerProps;
                const target = props.spec?.scaleTargetRef;
                const targetsDeployment =
                    namespaceOf(props.metadata) === deployment.namespace &&
                    target?.kind === deployment.target.kind &&
                    target.name === deployment.name &&
                    (target.apiVersion ?? deployment.target.apiVersion) === deployment.target.apiVersion;
                return targetsDeployment ? (props.spec?.minReplicas ?? 1) : 0;
            }),
        );
    const knownValues = [replicas, ...autoscalerMinimums].filter((value): value is number => value !== UNKNOWN);
    return Math.max(...knownValues, 0);
}

const podDisruptionBudget = stackRule({
    name: "deployment-has-pdb",
    description:
        "Every Deployment that runs several replicas (spec.replicas, or minReplicas of a HorizontalPodAutoscaler targeting it; 2 or more by default) has a policy/v1 PodDisruptionBudget in its namespace selecting its pods.",
    enforcementLevel: "advisory",
    options: {
        minimumReplicas: integerOption(2, "The replica count from which a PodDisruptionBudget is required.", 1),
    },
    check: (resources, options) =>
        requireCompanion<PodDisruptionBudgetProps>(
            resources,
            COMPANION_TYPES.podDisruptionBudget,
            // policy/v1: an absent selector selects no pods, an empty one every pod in the namespace.
            (candidate, deployment) => selectorMatches(candidate.spec?.selector, deployment.podLabels),
            (deployment) => {
                const replicas = replicaFloor(deployment, resources);
                return replicas < options.minimumReplicas
                    ? undefined
                    : `${deployment.label}: it runs ${replicas} replicas but no PodDisruptionBudget (policy/v1) in namespace ` +
                          `${JSON.stringify(deployment.namespace)} selects its pods; add one whose spec.selector matches the pod labels.`;
            },
        ),
});

/** The rules that require a Deployment's companions. */
export const companionRules: readonly StackRule[] = [service, networkPolicy, podDisruptionBudget];
