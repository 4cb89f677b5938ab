/**
 * What `npm run up:local` and `npm run down:local` decide, as plain functions of what they
 * found (scripts/local.ts does the finding and the running): where to deploy, which Debian
 * packages the project's cluster lacks, the local stack's generated configuration, which pods
 * have failed and why, and whether a `pulumi up` changed anything.
 */
import * as fs from "fs";
import * as path from "path";
import type { StackFileConfig } from "./engine";
import { projectName, projectRoot } from "./evaluate";

/** The kind cluster up:local creates, and its registry (kind's local-registry guide). */
export const kindCluster = "go-services";
export const kindContext = `kind-${kindCluster}`;
export const kindRegistryContainer = "kind-registry";
export const localRegistry = "localhost:5001";

/**
 * What a project copy holds of the repository: what `pulumi up` reads to run the program.
 * Pulumi.yaml is copied (the CLI takes the project folder from where it finds it); the rest are
 * links, so the copy runs the working tree's program. The committed stack files are left out:
 * the CLI writes the file of every stack it creates (its encryption salt), and must never write those.
 */
export const projectCopyLinks = ["package.json", "tsconfig.json", "node_modules", "index.ts", "components", "services", "docker"] as const;

/** The context of scripts/cluster's admin kubeconfig. */
export const projectClusterContext = "go-services-test";

/** The oldest Pulumi CLI the README asks for; an older one on PATH is passed over for the pinned build. */
export const minimumPulumiVersion = "3.270.0";

/** Where up:local deploys. */
export type Target =
    | { readonly kind: "context"; readonly context: string; readonly why: string }
    | { readonly kind: "kind"; readonly context: string; readonly why: string }
    | { readonly kind: "project-cluster"; readonly context: string; readonly why: string };

/** What {@link chooseTarget} looks at. */
export interface TargetProbe {
    /** The --context flag, then GO_SERVICES_KUBE_CONTEXT. */
    readonly namedContext?: string;
    readonly hasKind: boolean;
    /** A Docker engine answers (`docker info`), not just a client on PATH. */
    readonly hasDocker: boolean;
    readonly platform: NodeJS.Platform;
    readonly isRoot: boolean;
}

/** Where to deploy, in the README's order, or why nowhere (what to install). */
export function chooseTarget(probe: TargetProbe): Target | { readonly kind: "none"; readonly message: string } {
    if (probe.namedContext !== undefined && probe.namedContext !== "") {
        return { kind: "context", context: probe.namedContext, why: "the kube context you named" };
    }
    if (probe.hasKind && probe.hasDocker) {
        return { kind: "kind", context: kindContext, why: `kind and docker are on PATH: kind cluster '${kindCluster}' with a registry on ${localRegistry}` };
    }
    if (probe.platform === "linux" && probe.isRoot) {
        return {
            kind: "project-cluster",
            context: projectClusterContext,
            why: "no kube context named, no kind + docker: the project's own cluster (scripts/cluster) with its registry on localhost:5001",
        };
    }
    const missing = [probe.hasKind ? undefined : "kind not on PATH", probe.hasDocker ? undefined : "no Docker engine answering docker info"].filter(
        (name) => name !== undefined,
    );
    return {
        kind: "none",
        message: [
            "up:local found nowhere to deploy:",
            "  - no kube context named (--context NAME or GO_SERVICES_KUBE_CONTEXT=NAME, with kubectl on PATH and a registry the cluster pulls from in GO_SERVICES_REGISTRY),",
            `  - no kind cluster possible (${missing.join(", ")}: install Docker and kind, https://kind.sigs.k8s.io/docs/user/quick-start/),`,
            `  - and the project's own cluster (scripts/cluster) needs Linux as root (this is ${probe.platform}${probe.isRoot ? "" : ", not root"}).`,
            "Install one of these and run npm run up:local again. Nothing was changed.",
        ].join("\n"),
    };
}

/** A command the project's cluster needs, and the Debian package that has it. */
export interface ClusterRequirement {
    /** A command name on PATH, or an absolute path that must exist. */
    readonly needs: string;
    readonly debianPackage: string;
}

/** The file listing what scripts/cluster up runs, by package: .ci/run reads the same file. */
export const clusterPackagesFile = path.join(projectRoot, "scripts", "cluster-packages");

/** Parses {@link clusterPackagesFile}: `<command or absolute path> <Debian package>` a line; # comments. */
export function parseClusterRequirements(text: string): ClusterRequirement[] {
    const requirements: ClusterRequirement[] = [];
    for (const [index, raw] of text.split("\n").entries()) {
        const line = raw.replace(/#.*/, "").trim();
        if (line === "") {
            continue;
        }
        const [needs, debianPackage, ...rest] = line.split(/\s+/);
        if (needs === undefined || debianPackage === undefined || rest.length > 0) {
            throw new Error(`${clusterPackagesFile}:${index + 1}: expected "<command or /path> <debian-package>", got "${raw}"`);
        }
        requirements.push({ needs, debianPackage });
    }
    return requirements;
}

/** What scripts/cluster up runs, by package (its usage names the same packages). */
export const clusterRequirements: readonly ClusterRequirement[] = parseClusterRequirements(fs.readFileSync(clusterPackagesFile, "utf8"));

/** The Debian packages to install for the requirements `present` says are missing, each once, in order. */
export function missingPackages(present: (needs: string) => boolean): string[] {
    return [...new Set(clusterRequirements.filter((requirement) => !present(requirement.needs)).map((requirement) => requirement.debianPackage))];
}

/** Compares dotted versions (a leading v and a pre-release suffix ignored): negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
    const parts = (version: string) => (version.trim().replace(/^v/, "").split(/[-+]/)[0] ?? "").split(".").map((part) => Number.parseInt(part, 10) || 0);
    const [left, right] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
        const difference = (left[i] ?? 0) - (right[i] ?? 0);
        if (difference !== 0) {
            return difference;
        }
    }
    return 0;
}

/** How the images reach the cluster. */
export type ImageSource =
    /** With Docker: the stack builds and pushes them itself (`registry.kind: oci`). */
    | { readonly kind: "stack-builds"; readonly registry: string }
    /** Without Docker: built by scripts/build-images, pushed, deployed by digest (`services.<name>.image`). */
    | { readonly kind: "given"; readonly images: ReadonlyMap<string, string> };

/**
 * The local stack's configuration for a cluster: the committed Pulumi.local.yaml's, with the
 * cluster named by its context instead of rendering YAML, and the images from `images`.
 */
export function deployedStackConfig(committed: StackFileConfig, context: string, images: ImageSource): StackFileConfig {
    const config = structuredClone(committed);
    config[`${projectName}:kubernetes`] = { context };
    if (images.kind === "stack-builds") {
        config[`${projectName}:registry`] = { kind: "oci", url: images.registry };
        return config;
    }
    const services = servicesOfConfig(config);
    for (const name of Object.keys(services)) {
        const image = images.images.get(name);
        if (image === undefined) {
            throw new Error(`no image was built for the service ${name}`);
        }
        services[name] = { ...services[name], image };
    }
    return config;
}

/** The services map of a stack configuration. */
export function servicesOfConfig(config: StackFileConfig): Record<string, Record<string, unknown>> {
    const services = config[`${projectName}:services`];
    if (typeof services !== "object" || services === null || Array.isArray(services)) {
        throw new Error(`the local stack's configuration has no ${projectName}:services map`);
    }
    return services as Record<string, Record<string, unknown>>;
}

/** The namespace of a stack configuration (the program's default when none is set). */
export function namespaceOfConfig(config: StackFileConfig): string {
    const namespace = config[`${projectName}:namespace`];
    return typeof namespace === "string" ? namespace : "go-services";
}

/** What the diagnosis reads of a pod (`kubectl get pods -o json`). */
export interface PodView {
    readonly metadata: { readonly name: string; readonly uid?: string; readonly labels?: Record<string, string>; readonly deletionTimestamp?: string };
    readonly status?: {
        readonly phase?: string;
        readonly containerStatuses?: readonly {
            readonly name: string;
            readonly ready?: boolean;
            readonly restartCount?: number;
            readonly state?: {
                readonly waiting?: { readonly reason?: string; readonly message?: string };
                readonly terminated?: { readonly reason?: string; readonly exitCode?: number };
            };
            readonly lastState?: { readonly terminated?: { readonly reason?: string; readonly exitCode?: number; readonly message?: string } };
        }[];
    };
}

/** Reasons a container waits that no amount of waiting mends. */
const fatalWaitingReasons = new Set([
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "ErrImageNeverPull",
]);

/** A pod whose container cannot come up, and why. */
export interface PodProblem {
    readonly service: string;
    readonly pod: string;
    readonly container: string;
    /** "CrashLoopBackOff (exit code 1, 3 restarts)", "ImagePullBackOff: <message>". */
    readonly reason: string;
    /** Whether the container ran (so its previous log says why it stopped). */
    readonly crashed: boolean;
}

/**
 * The pods of `pods` that have failed for good (not being deleted), with their service
 * (app.kubernetes.io/name). Pods whose uid is in `passedOver` are left out: while an update
 * runs, those that were there before it (a crashing pod of an earlier run stays until the
 * mended revision is Ready, since maxUnavailable is 0) say nothing about the update.
 */
export function failedPods(pods: readonly PodView[], passedOver: ReadonlySet<string> = new Set()): PodProblem[] {
    const problems: PodProblem[] = [];
    for (const pod of pods) {
        if (pod.metadata.deletionTimestamp !== undefined || (pod.metadata.uid !== undefined && passedOver.has(pod.metadata.uid))) {
            continue;
        }
        const service = pod.metadata.labels?.["app.kubernetes.io/name"] ?? pod.metadata.name;
        for (const status of pod.status?.containerStatuses ?? []) {
            const waiting = status.state?.waiting;
            if (waiting?.reason === undefined || !fatalWaitingReasons.has(waiting.reason)) {
                continue;
            }
            const last = status.lastState?.terminated;
            const details = [
                last?.exitCode !== undefined ? `exit code ${last.exitCode}` : undefined,
                status.restartCount ? `${status.restartCount} restart${status.restartCount === 1 ? "" : "s"}` : undefined,
            ].filter((detail) => detail !== undefined);
            const reason = `${waiting.reason}${details.length > 0 ? ` (${details.join(", ")})` : ""}${waiting.message && waiting.reason !== "CrashLoopBackOff" ? `: ${waiting.message}` : ""}`;
            problems.push({ service, pod: pod.metadata.name, container: status.name, reason, crashed: last !== undefined });
        }
    }
    return problems;
}

/** Pulumi's summary of an update (`Resources:` and the lines after it), and whether it changed anything. */
export function updateSummary(output: string): { readonly changed: boolean; readonly summary: string } {
    const lines = output.split("\n");
    const start = lines.findIndex((line) => line.trim() === "Resources:");
    if (start < 0) {
        return { changed: true, summary: "" };
    }
    const summary: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (!/^\s+\S/.test(line) || /^\s*Duration:/.test(line)) {
            break;
        }
        summary.push(line.trim());
    }
    return { changed: summary.some((line) => !/unchanged$/.test(line)), summary: summary.join(", ") };
}

/** The first free-or-ours port for each service, in order from `base`. */
export function forwardPorts(services: readonly string[], base: number): Map<string, number> {
    return new Map(services.map((service, index) => [service, base + index]));
}

/** A process's state and process group from /proc/<pid>/stat (Linux); undefined when it is gone. */
function processStat(pid: number | string): { readonly state: string; readonly pgrp: number } | undefined {
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // After "pid (comm) ": state, ppid, pgrp, ...
    const [state = "", , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, pgrp: Number(pgrp) };
}

/** Whether a process runs: it exists and is not a zombie waiting for a parent to reap it (Linux /proc). */
export function processAlive(pid: number): boolean {
    const stat = processStat(pid);
    return stat !== undefined && stat.state !== "Z";
}

/** Whether a process group has a member that runs (not a zombie): a port-forward's kubectl can outlive its loop (Linux /proc). */
export function groupAlive(pgid: number): boolean {
    return fs.readdirSync("/proc").some((entry) => {
        if (!/^\d+$/.test(entry)) {
            return false;
        }
        const stat = processStat(entry);
        return stat !== undefined && stat.state !== "Z" && stat.pgrp === pgid;
    });
}
