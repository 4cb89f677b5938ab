/**
 * Turns an evaluation into what a reviewer reads: every Kubernetes object as YAML (one
 * file per object, deterministic names and key order) and a summary of the cloud
 * resources. Also validates each object against the Kubernetes OpenAPI schema.
 */
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { stringify } from "yaml";
import { Evaluation, RegisteredResource, stackReferenceType } from "./evaluate";

/** A Kubernetes object as plain data. */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}

/** What replaces a secret value in anything written to disk. */
export const secretPlaceholder = "<secret: set with pulumi config set --secret>";

/** True for a value wrapped in Pulumi's secret envelope, as resource inputs carry secrets. */
export function isSecretEnvelope(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** Maps every leaf of a value, keeping its shape. */
function mapLeaves(value: unknown, leaf: (value: unknown) => unknown): unknown {
    if (Array.isArray(value)) {
        return value.map((item) => mapLeaves(item, leaf));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapLeaves(item, leaf)]));
    }
    return leaf(value);
}

/**
 * Replaces every value inside a Pulumi secret envelope with a placeholder, keeping the
 * shape (a Secret's keys stay visible): synthesized files never hold a secret.
 */
export function redactSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(redactSecrets);
    }
    if (typeof value === "object" && value !== null) {
        if (isSecretEnvelope(value)) {
            return mapLeaves(value.value, () => secretPlaceholder);
        }
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactSecrets(item)]));
    }
    return value;
}

/** Recursively sorts object keys, so output does not depend on construction order. */
export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(sortKeys);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        );
    }
    return value;
}

/**
 * Apply order: what others depend on first (kubectl apply -f applies a directory in name order).
 * A Rollout takes a Deployment's place and needs its AnalysisTemplate before its first analysis.
 */
const kindOrder: Readonly<Record<string, number>> = {
    Namespace: 0,
    ServiceAccount: 10,
    Secret: 20,
    ConfigMap: 30,
    Service: 40,
    NetworkPolicy: 50,
    AnalysisTemplate: 55,
    Deployment: 60,
    Rollout: 60,
    PodDisruptionBudget: 70,
    HorizontalPodAutoscaler: 80,
};

/** The Kubernetes objects the program declared (not the provider), secrets redacted, keys sorted. */
export function kubernetesObjects(evaluation: Evaluation): KubernetesObject[] {
    return evaluation.resources
        .filter((resource) => resource.type.startsWith("kubernetes:") && resource.custom)
        .map((resource) => sortKeys(redactSecrets(resource.state)) as KubernetesObject)
        .sort((a, b) => manifestFileName(a).localeCompare(manifestFileName(b)));
}

/**
 * The objects as the independent judges (scripts/judges) read them. kube-score and checkov know
 * no Argo Rollouts Rollout, so they would judge neither its pod template nor the Service and
 * NetworkPolicy selecting its pods: each Rollout is shown to them as the Deployment it replaces
 * (the same metadata and spec, its canary's surge and unavailability as a RollingUpdate), and an
 * autoscaler of a Rollout scales that Deployment. Everything else is as declared.
 */
export function asJudgesReadThem(objects: readonly KubernetesObject[]): KubernetesObject[] {
    return objects.map((object) => {
        if (object.apiVersion === "argoproj.io/v1alpha1" && object.kind === "Rollout") {
            const {
                strategy,
                progressDeadlineAbort: _abort,
                ...spec
            } = object.spec as { strategy: { canary: Record<string, unknown> }; [key: string]: unknown };
            const { maxSurge, maxUnavailable } = strategy.canary;
            return {
                ...object,
                apiVersion: "apps/v1",
                kind: "Deployment",
                spec: { ...spec, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } } },
            };
        }
        const target = (object.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string } } | undefined)?.scaleTargetRef;
        if (object.kind === "HorizontalPodAutoscaler" && target?.kind === "Rollout") {
            return { ...object, spec: { ...(object.spec as object), scaleTargetRef: { ...target, apiVersion: "apps/v1", kind: "Deployment" } } };
        }
        return object;
    });
}

/** A deterministic file name: apply order, kind, namespace and name. */
export function manifestFileName(object: KubernetesObject): string {
    const order = String(kindOrder[object.kind] ?? 99).padStart(2, "0");
    const scope = object.metadata.namespace ? `${object.metadata.namespace}.` : "";
    return `${order}-${object.kind.toLowerCase()}-${scope}${object.metadata.name ?? "unnamed"}.yaml`;
}

/** YAML text of an object; plain scalars, no anchors, stable line width. */
export function toYaml(value: unknown): string {
    return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0, sortMapEntries: true });
}

/** What the stack builds and pushes outside Kubernetes, and the stacks it promotes images from. */
export interface CloudSummary {
    repositories: Record<string, unknown>[];
    images: Record<string, unknown>[];
    kubernetesProvider: Record<string, unknown>;
    promotedFrom: string[];
}

function byType(evaluation: Evaluation, type: string): RegisteredResource[] {
    return evaluation.resources.filter((resource) => resource.type === type);
}

/** The ECR repositories (with their lifecycle policies), the images and the cluster connection. */
export function cloudSummary(evaluation: Evaluation): CloudSummary {
    const policies = byType(evaluation, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    const repositories = byType(evaluation, "aws:ecr/repository:Repository").map((repository) => {
        const policy = policies.find((candidate) => candidate.inputs.repository === repository.inputs.name);
        return {
            name: repository.inputs.name,
            url: repository.state.repositoryUrl,
            imageTagMutability: repository.inputs.imageTagMutability,
            scanOnPush: (repository.inputs.imageScanningConfiguration as { scanOnPush?: boolean } | undefined)?.scanOnPush,
            encryption: repository.inputs.encryptionConfigurations,
            lifecyclePolicy: policy ? (JSON.parse(String(policy.inputs.policy)) as unknown) : null,
        };
    });
    const images = byType(evaluation, "docker:index/image:Image").map((image) => {
        const build = (image.inputs.build ?? {}) as Record<string, unknown>;
        return {
            name: image.name,
            image: image.inputs.imageName,
            pushed: image.inputs.skipPush !== true,
            deployedAs: image.state.repoDigest,
            buildOnPreview: image.inputs.buildOnPreview ?? false,
            context: build.context,
            dockerfile: build.dockerfile,
            platform: build.platform,
            buildArgs: build.args,
            cacheFrom: (build.cacheFrom as { images?: unknown } | undefined)?.images ?? [],
        };
    });
    const provider = byType(evaluation, "pulumi:providers:kubernetes")[0];
    // The plugin version is the SDK's business, not the stack's.
    const kubernetesProvider = Object.fromEntries(Object.entries(provider?.inputs ?? {}).filter(([key]) => key !== "version"));
    const promotedFrom = byType(evaluation, stackReferenceType).map((reference) => String(reference.inputs.name));
    return sortKeys(redactSecrets({ repositories, images, kubernetesProvider, promotedFrom })) as CloudSummary;
}

/** A kubernetes-models class: validates its data against the OpenAPI schema of its kind. */
type Model = new (data: never) => { validate(): void };

/** The schema models of every kind the program declares, by apiVersion and kind. */
const models: Readonly<Record<string, Model>> = {
    "v1/Namespace": Namespace,
    "v1/ServiceAccount": ServiceAccount,
    "v1/Secret": Secret,
    "v1/ConfigMap": ConfigMap,
    "v1/Service": Service,
    "apps/v1/Deployment": Deployment,
    "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
    "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
    "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
    "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
    "argoproj.io/v1alpha1/Rollout": Rollout,
    "argoproj.io/v1alpha1/AnalysisTemplate": AnalysisTemplate,
};

/**
 * Validates an object against the Kubernetes OpenAPI schema (kubernetes-models). Returns
 * the schema errors, or an empty list when the object is valid. A kind without a model is
 * an error: every object must be checked.
 */
export function schemaErrors(object: KubernetesObject): string[] {
    const model = models[`${object.apiVersion}/${object.kind}`];
    if (!model) {
        return [`no schema model for ${object.apiVersion} ${object.kind}; add it to scripts/lib/manifests.ts`];
    }
    try {
        new model(object as never).validate();
        return [];
    } catch (error) {
        return [error instanceof Error ? error.message : String(error)];
    }
}
