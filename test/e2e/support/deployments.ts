/**
 * From the program's evaluation to what podman plays: every Deployment the stack declares,
 * exactly as declared, and its podman copy with the only changes the e2e tests allow, which
 * {@link podmanChanges} lists so that a test can prove nothing else changed.
 */
import { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { IContainer } from "kubernetes-models/v1/Container";
import { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { Evaluation } from "../../../scripts/lib/evaluate";
import { kubernetesObjects, schemaErrors } from "../../../scripts/lib/manifests";
import { kubePlayNames } from "./podman";
import { ProbeKind, ProbeSpec, probeSpec } from "./prober";

/** Every pod and container the e2e tests start has a name starting with this. */
export const e2eNamePrefix = "go-services-e2e-";

/** The address published ports listen on: never beyond this machine. */
export const publishAddress = "127.0.0.1";

/** A Deployment as the stack declares it. */
export interface DeclaredWorkload {
    readonly stack: string;
    /** The service: the name of the Deployment's only container. */
    readonly service: string;
    readonly deployment: IDeployment;
    readonly pod: IPodSpec;
    readonly container: IContainer;
}

/** A Deployment's podman copy and the names podman gives what it creates for it. */
export interface PodmanWorkload {
    readonly declared: DeclaredWorkload;
    readonly manifest: IDeployment;
    readonly podName: string;
    readonly containerName: string;
    readonly hostPort: number;
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

/** Every Deployment the evaluated stack declares, validated against the Kubernetes schema. */
export function declaredWorkloads(stack: string, evaluation: Evaluation): DeclaredWorkload[] {
    return kubernetesObjects(evaluation)
        .filter((object) => object.kind === "Deployment")
        .map((object) => {
            const where = `${stack}: Deployment ${object.metadata.name ?? "(unnamed)"}`;
            const errors = schemaErrors(object);
            if (errors.length > 0) {
                throw new Error(`${where} does not validate against the Kubernetes schema: ${errors.join("; ")}`);
            }
            // Validated against the apps/v1 Deployment schema just above.
            const deployment = object as unknown as IDeployment;
            const { pod, container } = onlyContainer(deployment, where);
            return { stack, service: container.name, deployment, pod, container };
        });
}

/** The container's only port (the one the e2e tests publish); throws when there is not exactly one. */
export function servicePort(container: IContainer): { name?: string; containerPort: number } {
    const ports = container.ports ?? [];
    const [port] = ports;
    if (!port || ports.length !== 1 || (port.protocol ?? "TCP") !== "TCP") {
        throw new Error(`container ${container.name}: the e2e tests publish exactly one TCP port; found ${JSON.stringify(ports)}`);
    }
    return port;
}

/**
 * The podman copy of a declared Deployment. The pod spec changes in two places only: the
 * image (the local build instead of the registry digest) and the container port, published
 * on 127.0.0.1:`hostPort` for the test. Outside the pod spec, the Deployment gets a name of
 * the e2e tests (podman names the pod after it) and one replica: podman creates a pod per
 * replica, which could not all bind the same host port, and every replica runs the same pod
 * spec, which is what is under test.
 */
export function forPodman(declared: DeclaredWorkload, image: string, hostPort: number): PodmanWorkload {
    const manifest = structuredClone(declared.deployment);
    const name = `${e2eNamePrefix}${declared.stack}-${declared.service}`;
    manifest.metadata = { ...manifest.metadata, name };
    const { container } = onlyContainer(manifest, name);
    if (!manifest.spec) {
        throw new Error(`${name}: the Deployment has no spec`);
    }
    manifest.spec.replicas = 1;
    container.image = image;
    const port = servicePort(container);
    Object.assign(port, { hostPort, hostIP: publishAddress });
    const names = kubePlayNames(name, container.name);
    return { declared, manifest, podName: names.pod, containerName: names.container, hostPort };
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

/** Where a podman copy differs from the declared Deployment; see {@link forPodman} for what may. */
export function podmanChanges(workload: PodmanWorkload): string[] {
    return differingPaths(workload.declared.deployment, workload.manifest).sort();
}

/**
 * The changes {@link forPodman} makes to a Deployment, as {@link podmanChanges} reports them:
 * the name, the image, the published port, and the replica count unless it was already 1.
 */
export function expectedPodmanChanges(declared: DeclaredWorkload): string[] {
    return [
        "$.metadata.name",
        ...(declared.deployment.spec?.replicas === 1 ? [] : ["$.spec.replicas"]),
        "$.spec.template.spec.containers[0].image",
        "$.spec.template.spec.containers[0].ports[0].hostIP",
        "$.spec.template.spec.containers[0].ports[0].hostPort",
    ];
}

/** The declared probes of a container, read as the kubelet reads them; their port must be the published one. */
export function declaredProbes(container: IContainer): ProbeSpec[] {
    const port = servicePort(container);
    const probes: [ProbeKind, IContainer["startupProbe"]][] = [
        ["startup", container.startupProbe],
        ["liveness", container.livenessProbe],
        ["readiness", container.readinessProbe],
    ];
    return probes.flatMap(([kind, probe]) => {
        if (!probe) {
            return [];
        }
        const target = probe.httpGet?.port;
        if (target !== port.name && target !== port.containerPort) {
            throw new Error(
                `container ${container.name}: the ${kind} probe targets port ${String(target)}, not the container's port ${port.name ?? port.containerPort}`,
            );
        }
        return [probeSpec(kind, probe)];
    });
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
