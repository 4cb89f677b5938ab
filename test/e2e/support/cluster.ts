/**
 * The test cluster of scripts/cluster, as the e2e tests drive it: kubectl (the one built from
 * the pinned Kubernetes module) with the cluster's kubeconfig, the registry the kubelet pulls
 * from, the eviction API, and the node's own view of a container (its PID, from containerd).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandResult, lastLines, runChecked, runCommand } from "../../../scripts/lib/command";
import { projectRoot } from "../../../scripts/lib/evaluate";
import { kubectlWatch } from "../../../scripts/lib/kubectlWatch";
import { toYaml } from "../../../scripts/lib/manifests";
import { pollUntil } from "./wait";

/** What `scripts/cluster env` exports, read once: the tests run against the cluster it describes. */
export interface ClusterEnvironment {
    readonly kubeconfig: string;
    /** The registry the kubelet pulls from, e.g. localhost:5001. */
    readonly registry: string;
    /** The cluster's state folder (containerd's and the kubelet's files are in it). */
    readonly stateDirectory: string;
}

/** The running cluster's environment; throws, saying how to start one, when there is none. */
export function clusterEnvironment(): ClusterEnvironment {
    const kubeconfig = process.env.KUBECONFIG;
    const registry = process.env.GO_SERVICES_REGISTRY;
    const stateDirectory = process.env.GO_SERVICES_CLUSTER_DIR;
    if (!kubeconfig || !registry || !stateDirectory || !fs.existsSync(kubeconfig)) {
        throw new Error('no test cluster: run the tests with `npm run test:e2e` (scripts/cluster exec), or `eval "$(scripts/cluster env)"` first');
    }
    return { kubeconfig, registry, stateDirectory };
}

/** Runs kubectl against the test cluster; resolves with its result, whatever the exit code. */
export function kubectlResult(args: readonly string[], input?: string): Promise<CommandResult> {
    return runCommand(["kubectl", ...args], { input });
}

/** Runs kubectl against the test cluster; resolves with stdout, rejects quoting stderr on failure. */
export function kubectl(args: readonly string[], input?: string): Promise<string> {
    return runChecked(["kubectl", ...args], { input });
}

/** A Kubernetes object as read back from the API server (the fields the tests read). */
export interface ClusterObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
        readonly name: string;
        readonly namespace?: string;
        readonly uid: string;
        readonly resourceVersion: string;
        readonly labels?: Record<string, string>;
        readonly deletionTimestamp?: string;
    };
    readonly spec?: Record<string, unknown>;
    readonly status?: Record<string, unknown>;
}

/** `kubectl get -o json` of one object, or of a list (its items). */
export async function getObject<T = ClusterObject>(args: readonly string[]): Promise<T> {
    return JSON.parse(await kubectl(["get", ...args, "-o", "json"])) as T;
}

export async function listObjects<T = ClusterObject>(args: readonly string[]): Promise<T[]> {
    return (JSON.parse(await kubectl(["get", ...args, "-o", "json"])) as { items: T[] }).items;
}

/**
 * Applies objects server-side, as one field manager, with every API warning an error (a
 * deprecated field or an unknown one must fail the test, not scroll by).
 */
export async function serverSideApply(objects: readonly unknown[], fieldManager: string): Promise<string> {
    return kubectl(["apply", "--server-side", `--field-manager=${fieldManager}`, "--warnings-as-errors", "-f", "-"], objectsYaml(objects));
}

/** Objects as one multi-document YAML stream. */
export function objectsYaml(objects: readonly unknown[]): string {
    return objects.map((object) => toYaml(object)).join("---\n");
}

/**
 * `kubectl diff --server-side` of objects against the cluster: "" when applying them would
 * change nothing, else the diff. (kubectl diff exits 1 when there are differences, above 1 on errors.)
 */
export async function serverSideDiff(objects: readonly unknown[], fieldManager: string): Promise<string> {
    const result = await kubectlResult(["diff", "--server-side", `--field-manager=${fieldManager}`, "-f", "-"], objectsYaml(objects));
    if (result.code > 1) {
        throw new Error(`kubectl diff --server-side exited ${result.code}: ${lastLines(result.stderr, 20)}`);
    }
    return result.code === 0 ? "" : result.stdout;
}

/** The pods of a Deployment (by its selector labels), with what the tests read of them. */
export interface PodState {
    readonly metadata: { readonly name: string; readonly uid: string; readonly deletionTimestamp?: string; readonly labels?: Record<string, string> };
    readonly spec: { readonly nodeName?: string; readonly containers: readonly { readonly name: string; readonly image: string }[] };
    readonly status: {
        readonly phase?: string;
        readonly podIP?: string;
        readonly conditions?: readonly { readonly type: string; readonly status: string; readonly lastTransitionTime?: string }[];
        readonly containerStatuses?: readonly ContainerStatus[];
        readonly startTime?: string;
    };
}

export interface ContainerStatus {
    readonly name: string;
    readonly ready: boolean;
    readonly restartCount: number;
    readonly containerID?: string;
    readonly imageID?: string;
    readonly image?: string;
    readonly started?: boolean;
    readonly state?: {
        readonly running?: { readonly startedAt: string };
        readonly terminated?: { readonly exitCode: number; readonly reason?: string; readonly startedAt?: string; readonly finishedAt?: string };
        readonly waiting?: { readonly reason?: string; readonly message?: string };
    };
    readonly lastState?: ContainerStatus["state"];
}

export function podReady(pod: PodState): boolean {
    return pod.status.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;
}

/** A label selector from matchLabels. */
export function selectorOf(labels: Readonly<Record<string, string>>): string {
    return Object.entries(labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
}

export function podsOf(namespace: string, selector: string): Promise<PodState[]> {
    return listObjects<PodState>(["pods", "--namespace", namespace, "--selector", selector]);
}

/**
 * The host PID of a running container, from containerd's record of its task (the node's own
 * view: the process the kubelet started, not one the test found by name).
 */
export function containerPid(environment: ClusterEnvironment, containerID: string | undefined): number {
    const id = /^containerd:\/\/([0-9a-f]{64})$/.exec(containerID ?? "")?.[1];
    if (!id) {
        throw new Error(`"${String(containerID)}" is not a containerd container ID`);
    }
    const file = path.join(environment.stateDirectory, "containerd", "state", "io.containerd.runtime.v2.task", "k8s.io", id, "init.pid");
    return Number(fs.readFileSync(file, "utf8").trim());
}

/** Where the kubelet keeps an emptyDir volume of a pod on the node. */
export function emptyDirPath(environment: ClusterEnvironment, podUid: string, volume: string): string {
    return path.join(environment.stateDirectory, "kubelet", "pods", podUid, "volumes", "kubernetes.io~empty-dir", volume);
}

/** What the eviction API answered. */
export interface EvictionOutcome {
    readonly allowed: boolean;
    /** The API server's message when refused. */
    readonly message: string;
}

/** Asks the eviction API (policy/v1) to evict a pod, as `kubectl drain` does. */
export async function evict(namespace: string, pod: string): Promise<EvictionOutcome> {
    const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace } };
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-e2e-eviction-"));
    const file = path.join(directory, "eviction.json");
    try {
        fs.writeFileSync(file, JSON.stringify(eviction));
        const result = await kubectlResult(["create", "--raw", `/api/v1/namespaces/${namespace}/pods/${pod}/eviction`, "-f", file]);
        return { allowed: result.code === 0, message: (result.stderr || result.stdout).trim() };
    } finally {
        fs.rmSync(directory, { recursive: true, force: true });
    }
}

/** Pushes local podman images to the test registry; resolves with each one's `registry/repo@sha256:...`. */
export async function pushImages(images: readonly string[]): Promise<string[]> {
    const stdout = await runChecked([path.join(projectRoot, "scripts", "cluster"), "push", ...images]);
    const references = stdout.trim().split("\n");
    if (references.length !== images.length || !references.every((reference) => /@sha256:[0-9a-f]{64}$/.test(reference))) {
        throw new Error(`scripts/cluster push printed ${JSON.stringify(stdout)} for ${images.join(", ")}`);
    }
    return references;
}

/** Waits until a namespace is gone (its deletion finished: every pod stopped). */
export async function waitNamespaceGone(namespace: string, timeoutMs: number): Promise<void> {
    await pollUntil(
        `namespace ${namespace} to be deleted`,
        async () => ((await kubectlResult(["get", "namespace", namespace])).code !== 0 ? true : undefined),
        { timeoutMs, intervalMs: 500 },
    );
}

/** Deletes a namespace a test run left (interrupted), and waits until it is gone. */
export async function removeNamespace(namespace: string, timeoutMs: number): Promise<void> {
    if ((await kubectlResult(["get", "namespace", namespace])).code === 0) {
        await kubectl(["delete", "namespace", namespace, "--wait=false"]);
        await waitNamespaceGone(namespace, timeoutMs);
    }
}

/** A container's terminated state, when the kubelet first reported it, ms since the epoch. */
export interface Termination {
    readonly exitCode: number;
    readonly seenAt: number;
}

/**
 * Watches a pod (`kubectl get --watch`) until the kubelet reports its container terminated,
 * which it does between the end of the grace period and the pod's removal: a window a poll
 * can miss, a watch cannot. `established` resolves once the watch has seen the pod.
 */
export function watchTermination(namespace: string, pod: string, timeoutMs: number): { established: Promise<void>; terminated: Promise<Termination> } {
    let markEstablished = (): void => undefined;
    const established = new Promise<void>((resolve) => (markEstablished = resolve));
    let settle: (termination: Termination) => void = () => undefined;
    // The watch's lines arrive asynchronously, after the promise below has taken `settle`.
    const watch = kubectlWatch(
        ["pod", pod, "--namespace", namespace],
        '{.metadata.resourceVersion}{" "}{.status.containerStatuses[0].state.terminated.exitCode}{"\\n"}',
        (line) => {
            markEstablished();
            const exitCode = line.split(" ")[1];
            if (exitCode !== undefined && exitCode !== "") {
                settle({ exitCode: Number(exitCode), seenAt: Date.now() });
                watch.stop();
            }
        },
    );
    const terminated = new Promise<Termination>((resolve, reject) => {
        const deadline = setTimeout(() => {
            watch.stop();
            reject(new Error(`no terminated state of pod ${namespace}/${pod} after ${timeoutMs} ms; kubectl said: ${lastLines(watch.stderr(), 5)}`));
        }, timeoutMs);
        settle = (termination) => {
            clearTimeout(deadline);
            resolve(termination);
        };
        watch.child.on("exit", (code) => {
            clearTimeout(deadline);
            reject(
                new Error(`kubectl get --watch of pod ${namespace}/${pod} ended (${String(code)}) before a terminated state: ${lastLines(watch.stderr(), 5)}`),
            );
        });
    });
    return { established, terminated };
}
