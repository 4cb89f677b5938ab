import { known, UNKNOWN, unlessUnknown } from "./unknowns";

// Narrow views of the Kubernetes objects the rules read. CrossGuard hands a policy plain JSON (the
// resource's inputs, or its outputs for stack policies), not Pulumi Inputs, so these interfaces
// describe that JSON: only the fields a rule reads, every one optional (JSON null is treated as
// absent with `== null`).

/** `metadata` of any Kubernetes object. */
export interface ObjectMeta {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

/** `seccompProfile` and `appArmorProfile`. */
export interface SecurityProfile {
    type?: string;
    localhostProfile?: string;
}

/** `seLinuxOptions`. */
export interface SeLinuxOptions {
    type?: string;
    user?: string;
    role?: string;
}

/** The security settings a pod and its containers share; a container's value overrides the pod's. */
export interface SharedSecurityContext {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    seccompProfile?: SecurityProfile;
    appArmorProfile?: SecurityProfile;
    seLinuxOptions?: SeLinuxOptions;
    windowsOptions?: { hostProcess?: boolean };
}

/** `spec.securityContext` of a pod. */
export interface PodSecurityContext extends SharedSecurityContext {
    sysctls?: { name?: string; value?: string }[];
}

/** `securityContext` of a container. */
export interface ContainerSecurityContext extends SharedSecurityContext {
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    procMount?: string;
    capabilities?: { add?: string[]; drop?: string[] };
}

/** The network endpoint of an `httpGet` or `tcpSocket` probe or lifecycle handler. */
export interface NetworkAction {
    host?: string;
    port?: number | string;
    path?: string;
}

/** A probe or lifecycle handler. */
export interface Handler {
    httpGet?: NetworkAction;
    tcpSocket?: NetworkAction;
    exec?: { command?: string[] };
    grpc?: { port?: number; service?: string };
}

/** A resource map (`requests` or `limits`); Pulumi lets users write quantities as numbers. */
export type ResourceList = Record<string, string | number>;

/** An entry of `containers`, `initContainers` or `ephemeralContainers`. */
export interface Container {
    name?: string;
    image?: string;
    ports?: { name?: string; containerPort?: number; hostPort?: number }[];
    securityContext?: ContainerSecurityContext;
    resources?: { requests?: ResourceList; limits?: ResourceList };
    readinessProbe?: Handler;
    livenessProbe?: Handler;
    startupProbe?: Handler;
    lifecycle?: { postStart?: Handler; preStop?: Handler };
}

/** An entry of `volumes`: its name and exactly one volume source keyed by type. */
export type Volume = { name?: string } & Record<string, unknown>;

/** A pod spec. */
export interface PodSpec {
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: Volume[];
    securityContext?: PodSecurityContext;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    os?: { name?: string };
    automountServiceAccountToken?: boolean;
}

/** A pod template, or the top level of a Pod. */
export interface PodTemplate {
    metadata?: ObjectMeta;
    spec?: PodSpec;
}

/** A label selector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

/** The props of a workload resource, whatever its kind. */
export interface WorkloadProps {
    metadata?: ObjectMeta;
    spec?: PodSpec & {
        replicas?: number;
        template?: PodTemplate;
        jobTemplate?: { spec?: { template?: PodTemplate } };
    };
}

/** Pulumi type tokens of the workload kinds whose pods the rules check. */
export const WORKLOAD_TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    /** Argo Rollouts' Rollout, which a canary service runs in place of a Deployment: its pod template is judged the same way. */
    rollout: "kubernetes:argoproj.io/v1alpha1:Rollout",
} as const;

/** A pod spec found in a workload, with the paths that name its fields in messages. */
export interface PodView {
    /** The workload's Pulumi type token. */
    readonly type: string;
    /** The pod's metadata (a template's, or the Pod's own). */
    readonly metadata: ObjectMeta | undefined;
    /** Path of that metadata within the resource, e.g. `spec.template.metadata`. */
    readonly metadataPath: string;
    /** The pod spec. */
    readonly spec: PodSpec;
    /** Path of the pod spec within the resource, e.g. `spec.template.spec`. */
    readonly specPath: string;
}

/**
 * Finds the pod spec of a workload: `spec.template` for Deployments, StatefulSets, DaemonSets,
 * Jobs and Argo Rollouts' Rollouts, `spec.jobTemplate.spec.template` for CronJobs, the object itself for Pods. Returns
 * `undefined` for other types and for workloads without a pod spec.
 */
export function podOf(type: string, props: WorkloadProps): PodView | undefined {
    const [template, path] = podTemplateAndPath(type, props);
    const spec = template?.spec;
    if (spec == null) {
        return undefined;
    }
    const prefix = path === "" ? "" : `${path}.`;
    return { type, metadata: template?.metadata ?? undefined, metadataPath: `${prefix}metadata`, spec, specPath: `${prefix}spec` };
}

function podTemplateAndPath(type: string, props: WorkloadProps): [PodTemplate | undefined, string] {
    switch (type) {
        case WORKLOAD_TYPES.deployment:
        case WORKLOAD_TYPES.statefulSet:
        case WORKLOAD_TYPES.daemonSet:
        case WORKLOAD_TYPES.job:
        case WORKLOAD_TYPES.rollout:
            return [props.spec?.template, "spec.template"];
        case WORKLOAD_TYPES.cronJob:
            return [props.spec?.jobTemplate?.spec?.template, "spec.jobTemplate.spec.template"];
        case WORKLOAD_TYPES.pod:
            return [props, ""];
        default:
            return [undefined, ""];
    }
}

/** One container of a pod, with the label that names it in messages. */
export interface ContainerView {
    readonly container: Container;
    /** e.g. `container "app" (spec.template.spec.containers[0])`. */
    readonly label: string;
}

/** Which container lists a rule applies to. */
export type ContainerScope = "all" | "initAndRegular" | "regular";

type ContainerList = "initContainers" | "containers" | "ephemeralContainers";

const CONTAINER_LISTS: Readonly<Record<ContainerScope, readonly ContainerList[]>> = {
    all: ["initContainers", "containers", "ephemeralContainers"],
    initAndRegular: ["initContainers", "containers"],
    regular: ["containers"],
};

/**
 * Lists a pod's containers: "all" is what the Pod Security Standards check (init, regular and
 * ephemeral containers), "initAndRegular" what runs from the manifest, "regular" the long-running
 * containers only. A list that is unknown during preview contributes no container.
 */
export function containersOf(pod: PodView, scope: ContainerScope): ContainerView[] {
    return CONTAINER_LISTS[scope].flatMap((list) => {
        const containers = known(() => pod.spec[list] ?? []);
        return (containers === UNKNOWN ? [] : containers).map((container, index) => {
            const path = `${pod.specPath}.${list}[${index}]`;
            const name = known(() => container.name);
            const label = name === UNKNOWN || name == null ? `container ${path}` : `container ${JSON.stringify(name)} (${path})`;
            return { container, label };
        });
    });
}

/**
 * Runs `check` on each container in `scope` and gathers its messages; a container whose check
 * reads a value unknown during preview contributes none, the others still report.
 */
export function checkContainers(pod: PodView, scope: ContainerScope, check: (view: ContainerView) => readonly string[]): string[] {
    return containersOf(pod, scope).flatMap((view) => unlessUnknown(() => check(view)));
}

/** How messages name the pod spec itself, e.g. `pod spec (spec.template.spec)`. */
export function podLabel(pod: PodView): string {
    return `pod spec (${pod.specPath})`;
}

/**
 * True for pods that declare `spec.os.name: windows`; the Pod Security Standards exempt them from
 * the Linux-only controls, and the API server rejects Linux-only fields on them.
 */
export function isWindowsPod(pod: PodView): boolean {
    return pod.spec.os?.name === "windows";
}

/** The namespace of an object; an unset namespace is "default". */
export function namespaceOf(metadata: ObjectMeta | undefined): string {
    return metadata?.namespace ?? "default";
}

/**
 * Whether a label selector selects a set of labels, with Kubernetes semantics: an absent selector
 * selects nothing, an empty one everything; every `matchLabels` pair and every expression
 * (In, NotIn, Exists, DoesNotExist) must hold.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
    if (selector == null) {
        return false;
    }
    const pairsMatch = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
    return pairsMatch && (selector.matchExpressions ?? []).every((expression) => expressionMatches(expression, labels));
}

function expressionMatches(expression: NonNullable<LabelSelector["matchExpressions"]>[number], labels: Readonly<Record<string, string>>): boolean {
    const key = expression.key ?? "";
    const present = Object.prototype.hasOwnProperty.call(labels, key);
    const value = labels[key];
    const inValues = value !== undefined && (expression.values ?? []).includes(value);
    switch (expression.operator) {
        case "In":
            return inValues;
        case "NotIn":
            return !inValues;
        case "Exists":
            return present;
        case "DoesNotExist":
            return !present;
        default:
            return false;
    }
}
