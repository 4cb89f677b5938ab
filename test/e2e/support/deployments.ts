/**
 * From the program's evaluation to what the test cluster runs: every object the stack
 * declares, exactly as declared, but for the images, whose registry digests only a push can
 * tell: {@link forCluster} puts the real ones in, and {@link clusterChanges} lists what it
 * changed so that a test can prove nothing else did.
 */
import { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { IContainer } from "kubernetes-models/v1/Container";
import { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { Evaluation } from "../../../scripts/lib/evaluate";
import { KubernetesObject, kubernetesObjects, schemaErrors, sortKeys } from "../../../scripts/lib/manifests";

/** A Deployment as the stack declares it. */
export interface DeclaredWorkload {
    readonly stack: string;
    /** The service: the name of the Deployment's only container. */
    readonly service: string;
    readonly deployment: IDeployment;
    readonly pod: IPodSpec;
    readonly container: IContainer;
}

/** The one Deployment container's spec inside a Deployment (throws when there is not exactly one). */
function onlyContainer(deployment: IDeployment, where: string): { pod: IPodSpec; container: IContainer } {
    const pod = deployment.spec?.template.spec;
    const containers = pod?.containers ?? [];
    const [container] = containers;
    if (!pod || !container || containers.length !== 1 || (pod.initContainers ?? []).length > 0) {
        throw new Error(`${where}: the e2e tests run pods of exactly one container and no init containers; found ${containers.length} containers`);
    }
    return { pod, container };
}

/** Every object the evaluated stack declares, each validated against the Kubernetes schema. */
export function declaredObjects(stack: string, evaluation: Evaluation): KubernetesObject[] {
    return kubernetesObjects(evaluation).map((object) => {
        const errors = schemaErrors(object);
        if (errors.length > 0) {
            throw new Error(
                `${stack}: ${object.kind} ${object.metadata.name ?? "(unnamed)"} does not validate against the Kubernetes schema: ${errors.join("; ")}`,
            );
        }
        return object;
    });
}

/** The Deployments among a stack's objects (validated by {@link declaredObjects}). */
export function declaredWorkloads(stack: string, objects: readonly KubernetesObject[]): DeclaredWorkload[] {
    return objects
        .filter((object) => object.kind === "Deployment")
        .map((object) => {
            // Validated against the apps/v1 Deployment schema by declaredObjects.
            const deployment = object as unknown as IDeployment;
            const { pod, container } = onlyContainer(deployment, `${stack}: Deployment ${object.metadata.name ?? "(unnamed)"}`);
            return { stack, service: container.name, deployment, pod, container };
        });
}

/** The objects that run a service's pods: a Deployment, or an Argo Rollouts Rollout (a canary service). */
function runsPods(object: KubernetesObject): boolean {
    return object.kind === "Deployment" || (object.kind === "Rollout" && object.apiVersion === "argoproj.io/v1alpha1");
}

/**
 * The stack's objects as the test cluster gets them: each Deployment's and Rollout's container
 * image replaced by the reference the registry gave its service's image (`images`, by
 * service); nothing else changes.
 */
export function forCluster(objects: readonly KubernetesObject[], images: ReadonlyMap<string, string>): KubernetesObject[] {
    return objects.map((object) => {
        if (!runsPods(object)) {
            return object;
        }
        const copy = structuredClone(object);
        // A schema-valid Deployment (declaredObjects checked it), or a Rollout, whose selector and
        // pod template are a Deployment's (components/canary.ts builds them with the same function).
        const { container } = onlyContainer(copy as unknown as IDeployment, `${object.kind} ${object.metadata.name ?? ""}`);
        const image = images.get(container.name);
        if (image === undefined) {
            throw new Error(`no image was pushed for the service ${container.name}`);
        }
        container.image = image;
        return copy;
    });
}

/** Where the cluster's objects differ from the declared ones, as `<kind>/<name>: <JSON path>`. */
export function clusterChanges(declared: readonly KubernetesObject[], applied: readonly KubernetesObject[]): string[] {
    if (declared.length !== applied.length) {
        throw new Error(`${declared.length} objects declared, ${applied.length} applied`);
    }
    return declared.flatMap((object, index) => differingPaths(object, applied[index]).map((at) => `${object.kind}/${object.metadata.name ?? ""}: ${at}`));
}

/** The changes {@link forCluster} makes: each Deployment's and Rollout's image, and nothing else. */
export function expectedClusterChanges(declared: readonly KubernetesObject[]): string[] {
    return declared.filter(runsPods).map((object) => `${object.kind}/${object.metadata.name ?? ""}: $.spec.template.spec.containers[0].image`);
}

/** Paths at which two JSON values differ, e.g. `$.spec.replicas`. */
export function differingPaths(a: unknown, b: unknown, at = "$"): string[] {
    if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && Array.isArray(a) === Array.isArray(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((key) =>
            differingPaths((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`),
        );
    }
    return Object.is(a, b) ? [] : [at];
}

/** The value of a plain environment variable of the container; throws when it is not set. */
export function envValue(container: IContainer, name: string): string {
    const value = container.env?.find((variable) => variable.name === name)?.value;
    if (value === undefined) {
        throw new Error(`container ${container.name} sets no ${name}`);
    }
    return value;
}

/** Seconds in a Go duration of whole units ("5s", "500ms", "1m"). */
export function goDurationSeconds(duration: string): number {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
    if (!match) {
        throw new Error(`"${duration}" is not a duration the e2e tests read (a number then ms, s or m)`);
    }
    const units: Record<string, number> = { ms: 0.001, s: 1, m: 60 };
    return Number(match[1]) * (units[match[2] ?? "s"] ?? 1);
}

/** Labels whose values name the stack or the build, not how the pods run. */
const stackNamingLabels = new Set(["app.kubernetes.io/instance", "app.kubernetes.io/version"]);

/** A copy of `value` without the stack-naming labels, at any depth (labels, selectors, matchLabels). */
function withoutStackNames(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutStackNames);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([key]) => !stackNamingLabels.has(key))
                .map(([key, item]) => [key, withoutStackNames(item)]),
        );
    }
    return value;
}

/**
 * What the per-Deployment suite of stacks.e2e.ts depends on, without what only names the stack
 * or the build: the Deployment with its namespace, image and instance and version labels left
 * out, the Service and the PodDisruptionBudget of the same name (or their absence), likewise.
 * Two workloads with the same signature run the same pods behind the same Service under the
 * same budget, so the suite's outcome for one is its outcome for the other.
 */
export function workloadSignature(workload: DeclaredWorkload, objects: readonly KubernetesObject[]): string {
    const name = workload.deployment.metadata?.name;
    // A copy without what names the stack: its namespace and the instance and version labels.
    const unnamed = (object: KubernetesObject): KubernetesObject => {
        const { namespace, ...metadata } = object.metadata;
        return withoutStackNames({ ...object, metadata }) as KubernetesObject;
    };
    const sameName = (kind: string): KubernetesObject | null => {
        const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
        return object === undefined ? null : unnamed(object);
    };
    // The Deployment as declared (declaredWorkloads read it from a schema-valid object), without its image.
    const deployment = unnamed(workload.deployment as unknown as KubernetesObject) as unknown as IDeployment;
    delete onlyContainer(deployment, `Deployment ${name ?? ""}`).container.image;
    return JSON.stringify(sortKeys([deployment, sameName("Service"), sameName("PodDisruptionBudget")]));
}
