/**
 * The podman the e2e tests drive: always with runc (crun fails on these machines' cgroups),
 * always by name, and every pod started is remembered so that it is removed by name at the
 * end, also when a step fails or the run is interrupted.
 */
import { spawnSync, SpawnSyncReturns, StdioOptions } from "child_process";
import { runChecked } from "./command";
import { arrayAt, booleanAt, numberAt, stringAt } from "./json";

/** The OCI runtime podman runs containers with (the same variable scripts/build-images reads). */
export const podmanRuntime = process.env.PODMAN_RUNTIME ?? "runc";

function withRuntime(args: readonly string[]): string[] {
    return ["--runtime", podmanRuntime, ...args];
}

/** Runs podman; resolves with stdout, rejects with podman's stderr on a non-zero exit. */
export function podman(args: readonly string[]): Promise<string> {
    return runChecked(["podman", ...withRuntime(args)]);
}

/** Runs podman synchronously, for where nothing can be awaited (a signal handler, a preflight check). */
export function podmanSync(args: readonly string[], stdio: StdioOptions = "pipe"): SpawnSyncReturns<string> {
    return spawnSync("podman", withRuntime(args), { encoding: "utf8", stdio });
}

/**
 * The names `podman kube play` gives what it creates for a Deployment: one pod per replica,
 * `<deployment>-pod-<n>`, and in it the container `<pod>-<container>` (podman 4.x).
 */
export function kubePlayNames(deploymentName: string, containerName: string): { pod: string; container: string } {
    const pod = `${deploymentName}-pod-0`;
    return { pod, container: `${pod}-${containerName}` };
}

/**
 * Plays a manifest file. podman 4.3 maps probes to health checks it schedules with systemd
 * timers; without systemd it logs an error for that and still starts the pod, which is fine
 * here: the tests probe as the kubelet does (prober.ts), and the image has no shell to run
 * the mapped checks anyway.
 */
export async function kubePlay(manifestFile: string): Promise<void> {
    await podman(["kube", "play", "--start", manifestFile]);
}

/** Pods started by this run, removed by {@link removeStartedPods} and on SIGINT/SIGTERM. */
const startedPods = new Set<string>();

/** Records a pod as started by this run; call it before the pod is created. */
export function rememberPod(name: string): void {
    startedPods.add(name);
    installSignalCleanup();
}

/** podman arguments that remove a pod and its containers at once (SIGKILL), and ignore a pod already gone. */
function podRemoval(name: string): string[] {
    return ["pod", "rm", "--force", "--ignore", "--time", "0", name];
}

/** Removes a pod and its containers by name, at once (SIGKILL): the test has what it needs. */
export async function removePod(name: string): Promise<void> {
    await podman(podRemoval(name));
    startedPods.delete(name);
}

/** Removes every pod this run started. */
export async function removeStartedPods(): Promise<void> {
    for (const name of [...startedPods]) {
        await removePod(name);
    }
}

let signalCleanupInstalled = false;

/** Ctrl-C skips mocha's after hooks: remove the pods synchronously, then exit as interrupted. */
function installSignalCleanup(): void {
    if (signalCleanupInstalled) {
        return;
    }
    signalCleanupInstalled = true;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            for (const name of startedPods) {
                podmanSync(podRemoval(name), "ignore");
            }
            process.exit(signal === "SIGINT" ? 130 : 143);
        });
    }
}

/** Names of the pods whose name starts with `prefix`. */
export async function podsNamed(prefix: string): Promise<string[]> {
    const names = await podman(["pod", "ps", "--format", "{{.Name}}"]);
    return names.split("\n").filter((name) => name.startsWith(prefix));
}

/** Names of the containers (in a pod or not) whose name starts with `prefix`. */
export async function containersNamed(prefix: string): Promise<string[]> {
    const names = await podman(["ps", "--all", "--format", "{{.Names}}"]);
    return names.split("\n").filter((name) => name.startsWith(prefix));
}

/** Removes the pods and containers a previous, interrupted run left behind. */
export async function removeLeftovers(prefix: string): Promise<string[]> {
    const pods = await podsNamed(prefix);
    for (const pod of pods) {
        await removePod(pod);
    }
    const containers = await containersNamed(prefix);
    for (const container of containers) {
        await podman(["rm", "--force", "--ignore", "--time", "0", container]);
    }
    return [...pods, ...containers];
}

/** What the runtime says about a container (podman inspect), typed. */
export interface ContainerInspection {
    readonly id: string;
    readonly name: string;
    readonly status: string;
    readonly running: boolean;
    /** Host PID of the container's process; 0 when it is not running. */
    readonly pid: number;
    readonly exitCode: number;
    readonly oomKilled: boolean;
    /**
     * When the current (or last) process started, ms since the epoch (with sub-ms digits), as podman
     * recorded it: just after `runc start` returned, so a little after the process itself started.
     */
    readonly startedAt: number;
    /** When the last process exited, ms since the epoch (0 before any exit). */
    readonly finishedAt: number;
    readonly restartCount: number;
    readonly restartPolicy: string;
    readonly readonlyRootfs: boolean;
    /** Memory limit in bytes (0: none). */
    readonly memoryBytes: number;
    /** CPU limit in billionths of a CPU (0: none). */
    readonly nanoCpus: number;
    readonly cpuQuota: number;
    readonly cpuPeriod: number;
    readonly mounts: readonly { readonly destination: string; readonly source: string }[];
}

/**
 * Parses a podman timestamp ("2026-11-22T21:50:01.123456789Z", or with an offset) to ms since
 * the epoch, keeping the sub-millisecond digits that Date.parse drops: start-to-ready of a Go
 * service is a few ms, so truncating both ends to whole ms could turn it into 0.
 */
export function epochMs(text: string): number {
    const fraction = /^([^.]*T[^.]*)\.(\d+)(.*)$/.exec(text);
    const whole = Date.parse(fraction ? `${fraction[1] ?? ""}${fraction[3] ?? ""}` : text);
    if (Number.isNaN(whole) || whole < 0) {
        return 0;
    }
    return fraction ? whole + Number(`0.${fraction[2] ?? "0"}`) * 1000 : whole;
}

/** Parses the JSON `podman inspect` prints for one container. */
export function parseInspection(json: string, source: string): ContainerInspection {
    const [raw] = JSON.parse(json) as unknown[];
    return {
        id: stringAt(raw, source, "Id"),
        name: stringAt(raw, source, "Name"),
        status: stringAt(raw, source, "State", "Status"),
        running: booleanAt(raw, source, "State", "Running"),
        pid: numberAt(raw, source, "State", "Pid"),
        exitCode: numberAt(raw, source, "State", "ExitCode"),
        oomKilled: booleanAt(raw, source, "State", "OOMKilled"),
        startedAt: epochMs(stringAt(raw, source, "State", "StartedAt")),
        finishedAt: epochMs(stringAt(raw, source, "State", "FinishedAt")),
        restartCount: numberAt(raw, source, "RestartCount"),
        restartPolicy: stringAt(raw, source, "HostConfig", "RestartPolicy", "Name"),
        readonlyRootfs: booleanAt(raw, source, "HostConfig", "ReadonlyRootfs"),
        memoryBytes: numberAt(raw, source, "HostConfig", "Memory"),
        nanoCpus: numberAt(raw, source, "HostConfig", "NanoCpus"),
        cpuQuota: numberAt(raw, source, "HostConfig", "CpuQuota"),
        cpuPeriod: numberAt(raw, source, "HostConfig", "CpuPeriod"),
        mounts: arrayAt(raw, source, "Mounts").map((_, index) => ({
            destination: stringAt(raw, source, "Mounts", index, "Destination"),
            source: stringAt(raw, source, "Mounts", index, "Source"),
        })),
    };
}

/** Inspects a container by name. */
export async function inspectContainer(name: string): Promise<ContainerInspection> {
    return parseInspection(await podman(["container", "inspect", name]), `podman inspect ${name}`);
}

/**
 * Stops a container the way the kubelet does when a pod is deleted: SIGTERM, then SIGKILL
 * once `graceSeconds` have passed. Resolves when the container has exited.
 */
export async function stopContainer(name: string, graceSeconds: number): Promise<void> {
    await podman(["stop", "--time", String(graceSeconds), name]);
}
