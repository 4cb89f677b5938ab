/**
 * `npm run up:local` and `npm run down:local` (scripts/up-local): the local stack deployed by the
 * real Pulumi engine to a real Kubernetes cluster on this machine, and taken down again.
 * What it decides is in scripts/lib/localStack.ts; this file finds things out and runs them.
 *
 * Everything it writes lives in the state folder (.pulumi-local/, ignored by git; GO_SERVICES_LOCAL_DIR
 * overrides): the file backend's state, a project copy holding the generated Pulumi.local.yaml
 * (with the encryption salt the CLI writes), the port-forwards' PIDs and logs, and run.json,
 * which says what up:local started, so that down:local stops exactly that.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { parse, stringify } from "yaml";
import { lastLines, runCommand } from "./lib/command";
import type { StackFileConfig } from "./lib/engine";
import { pushImage } from "./lib/imagePush";
import { projectName, projectRoot } from "./lib/evaluate";
import {
    chooseTarget,
    compareVersions,
    deployedStackConfig,
    failedPods,
    forwardPorts,
    groupAlive,
    ImageSource,
    kindCluster,
    kindContext,
    kindRegistryContainer,
    localRegistry,
    minimumPulumiVersion,
    missingPackages,
    namespaceOfConfig,
    PodView,
    processAlive,
    projectCopyLinks,
    servicesOfConfig,
    Target,
    updateSummary,
} from "./lib/localStack";

const stackName = "local";
const stateDirectory = path.resolve(process.env.GO_SERVICES_LOCAL_DIR ?? path.join(projectRoot, ".pulumi-local"));
const runFile = path.join(stateDirectory, "run.json");
const projectCopy = path.join(stateDirectory, "project");
/** The file backend's folder: the CLI opens it but does not create it ("unable to open state directory"). */
const backendDirectory = path.join(stateDirectory, "state");
/** The first local port of the services' URLs (one port per service, in name order). */
const forwardBase = Number.parseInt(process.env.GO_SERVICES_LOCAL_PORT ?? "18081", 10);
/** How long the printed URLs may take to answer once the rollout is done. */
const forwardDeadlineMs = 60_000;

/**
 * Cold build minutes per tools/ module on a 2-core machine busy with other builds, as the cache's
 * lock and folder times of the first build on such a machine show (build-tools takes the lock,
 * then writes the folder): kubernetes 81 (4859 s), metrics-server 46, pulumi-kubernetes 21,
 * kube-router 21, pulumi 20, registry 5 (277 s), pause under 1.
 */
const coldBuildMinutes: Readonly<Record<string, number>> = {
    kubernetes: 81,
    registry: 5,
    pause: 1,
    "kube-router": 21,
    "metrics-server": 46,
    pulumi: 20,
    "pulumi-kubernetes": 21,
};

/** What up:local started and where it deployed: read by the next run and by down:local. */
interface RunRecord {
    target: Target;
    /** The kubeconfig the target's context is in (undefined: kubectl's default). */
    kubeconfig?: string;
    kubectl: string;
    namespace: string;
    startedProjectCluster: boolean;
    createdKindCluster: boolean;
    createdKindRegistry: boolean;
    forwards: { service: string; port: number; pid: number }[];
}

class UsageError extends Error {}

function say(message: string): void {
    process.stdout.write(`up:local: ${message}\n`);
}

function fail(message: string): never {
    throw new UsageError(message);
}

function onPath(command: string): string | undefined {
    for (const directory of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(directory || ".", command);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

/** Whether a Docker engine answers (a docker client alone, without its daemon, does not do). */
function dockerWorks(): boolean {
    return onPath("docker") !== undefined && spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 20_000 }).status === 0;
}

function readRecord(): RunRecord | undefined {
    return fs.existsSync(runFile) ? (JSON.parse(fs.readFileSync(runFile, "utf8")) as RunRecord) : undefined;
}

function writeRecord(record: RunRecord): void {
    fs.mkdirSync(stateDirectory, { recursive: true });
    fs.writeFileSync(runFile, `${JSON.stringify(record, null, 2)}\n`);
}

/** Runs a command with its output on this terminal; fails naming it when it exits non-zero. */
async function runShown(command: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; what: string }): Promise<void> {
    const [program = "", ...args] = command;
    const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(program, args, { stdio: ["ignore", "inherit", "inherit"], env: options.env ?? process.env, cwd: options.cwd });
        child.on("error", reject);
        child.on("close", (status) => resolve(status ?? -1));
    });
    if (code !== 0) {
        fail(`${options.what} failed (${command.join(" ")} exited ${code}; its output is above)`);
    }
}

/** Runs a command quietly; resolves with stdout, fails quoting its stderr. */
async function runQuiet(command: readonly string[], what: string, env?: Readonly<Record<string, string>>): Promise<string> {
    const result = await runCommand(command, { env });
    if (result.code !== 0) {
        fail(`${what} failed: ${command.join(" ")} exited ${result.code}:\n${lastLines(result.stderr || result.stdout, 15)}`);
    }
    return result.stdout;
}

// ---------------------------------------------------------------------------------------
// Ports.

/** Whether something listens on 127.0.0.1:port. */
function portTaken(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(true));
        server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(false)));
    });
}

/** Fails naming every taken port of `ports` (port: what it is for) and the process holding it. */
async function requireFreePorts(ports: ReadonlyMap<number, string>): Promise<void> {
    const taken: string[] = [];
    for (const [port, purpose] of ports) {
        if (await portTaken(port)) {
            // Every socket on the port, listening or not, with its process when it has one.
            const holder = spawnSync("ss", ["-tanpH", `sport = :${port}`], { encoding: "utf8" }).stdout.trim();
            taken.push(`  port ${port} (${purpose}) is taken${holder ? `: ${holder}` : ""}`);
        }
    }
    if (taken.length > 0) {
        fail(
            `ports up:local needs are in use:\n${taken.join("\n")}\nStop what holds them (or, for the URLs, set GO_SERVICES_LOCAL_PORT to another first port) and run npm run up:local again.`,
        );
    }
}

// ---------------------------------------------------------------------------------------
// The tools built from tools/ (scripts/build-tools), with an estimate and a line per component.

async function buildTools(modules: readonly string[]): Promise<Map<string, string>> {
    const buildTools = path.join(projectRoot, "scripts", "build-tools");
    const folders = new Map<string, string>();
    const missing: string[] = [];
    for (const module of modules) {
        const cached = await runCommand([buildTools, "--cached", module]);
        if (cached.code === 0) {
            folders.set(module, cached.stdout.trim());
        } else {
            missing.push(module);
        }
    }
    if (missing.length === 0) {
        return folders;
    }
    const minutes = missing.reduce((sum, module) => sum + (coldBuildMinutes[module] ?? 5), 0);
    say(
        `building ${missing.map((module) => `tools/${module}`).join(", ")} from the Go module proxy, once (cached in ~/.cache/go-services/tools): about ${minutes} minutes cold on 2 cores`,
    );
    for (const [index, module] of missing.entries()) {
        const started = Date.now();
        say(`[${index + 1}/${missing.length}] tools/${module}: building (about ${coldBuildMinutes[module] ?? 5} min cold)`);
        const result = await runCommand([buildTools, module]);
        if (result.code !== 0) {
            fail(
                `building tools/${module} failed:\n${lastLines(result.stderr, 20)}\nCheck that the Go module proxy is reachable (go env GOPROXY) and run npm run up:local again.`,
            );
        }
        folders.set(module, result.stdout.trim());
        say(`[${index + 1}/${missing.length}] tools/${module}: built in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    return folders;
}

// ---------------------------------------------------------------------------------------
// The engine: pulumi on PATH when recent enough, else the pinned build of scripts/engine.

async function engineEnvironment(withDocker: boolean): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const onPathCli = onPath("pulumi");
    let version: string | undefined;
    if (onPathCli !== undefined) {
        version = (await runCommand([onPathCli, "version"])).stdout.trim();
    }
    if (version !== undefined && compareVersions(version, minimumPulumiVersion) >= 0) {
        say(`engine: ${onPathCli} ${version}`);
    } else {
        say(
            `engine: the pinned Pulumi CLI and Kubernetes provider built from tools/ (${onPathCli ? `${onPathCli} is ${version || "of unknown version"}, older than ${minimumPulumiVersion}` : "no pulumi on PATH"})`,
        );
        await buildTools(["pulumi", "pulumi-kubernetes"]);
        const exported = await runQuiet(
            ["bash", "-c", 'eval "$("$0" env)" && env -0', path.join(projectRoot, "scripts", "engine")],
            "setting up the sandboxed engine (scripts/engine env)",
        );
        for (const entry of exported.split("\0")) {
            const separator = entry.indexOf("=");
            const key = entry.slice(0, separator);
            if (separator > 0 && (key === "PATH" || key.startsWith("PULUMI_"))) {
                env[key] = entry.slice(separator + 1);
            }
        }
        if (withDocker) {
            // The pinned build holds only the Kubernetes provider; a stack that builds its images needs the Docker one.
            delete env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
        }
    }
    fs.mkdirSync(backendDirectory, { recursive: true });
    env.PULUMI_BACKEND_URL = `file://${backendDirectory}`;
    // The local stack's secrets: an empty passphrase unless one is set (as before up:local deployed).
    env.PULUMI_CONFIG_PASSPHRASE = process.env.PULUMI_CONFIG_PASSPHRASE ?? "";
    env.PULUMI_SKIP_UPDATE_CHECK = "true";
    return env;
}

// ---------------------------------------------------------------------------------------
// Targets.

function committedConfig(): StackFileConfig {
    const document = parse(fs.readFileSync(path.join(projectRoot, `Pulumi.${stackName}.yaml`), "utf8")) as { config?: StackFileConfig } | null;
    return document?.config ?? {};
}

async function installClusterPackages(): Promise<void> {
    const missing = missingPackages((needs) => (needs.startsWith("/") ? fs.existsSync(needs) : onPath(needs) !== undefined));
    if (missing.length === 0) {
        return;
    }
    const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
    if (!fs.existsSync("/etc/debian_version")) {
        fail(`the project's cluster needs these Debian packages (or your distribution's equivalents): ${missing.join(" ")}\n  ${command}`);
    }
    say(`installing the Debian packages the project's cluster needs: ${missing.join(" ")}`);
    await runShown(["apt-get", "update", "-qq"], { what: "apt-get update" });
    await runShown(["apt-get", "install", "-y", "-qq", ...missing], {
        what: `apt-get install ${missing.join(" ")}`,
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    // Podman with runc and cgroupfs: what works on these machines (README, Development).
    if (missing.includes("podman") && !fs.existsSync("/etc/containers/containers.conf")) {
        fs.mkdirSync("/etc/containers", { recursive: true });
        fs.writeFileSync("/etc/containers/containers.conf", '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n');
        say("wrote /etc/containers/containers.conf: podman with the cgroupfs cgroup manager");
    }
}

/** The cluster's environment as scripts/cluster env exports it. */
async function projectClusterEnvironment(): Promise<{ kubeconfig: string; kubectl: string }> {
    const exported = await runQuiet(
        ["bash", "-c", 'eval "$("$0" env)" && printf "%s\\n%s\\n" "$KUBECONFIG" "$(command -v kubectl)"', path.join(projectRoot, "scripts", "cluster")],
        "scripts/cluster env",
    );
    const [kubeconfig = "", kubectl = ""] = exported.split("\n");
    return { kubeconfig, kubectl };
}

async function projectClusterRunning(): Promise<boolean> {
    const status = await runCommand([path.join(projectRoot, "scripts", "cluster"), "status"]);
    return status.code === 0 && status.stdout.trim() !== "" && !status.stdout.includes("not running");
}

async function prepareProjectCluster(record: RunRecord): Promise<void> {
    await installClusterPackages();
    if (await projectClusterRunning()) {
        say(`the project's cluster is running${record.startedProjectCluster ? " (started by an earlier up:local)" : ""}`);
    } else {
        await requireFreePorts(
            new Map([
                [5001, "the cluster's registry"],
                [6443, "kube-apiserver"],
                [2379, "etcd"],
                [2380, "etcd peers"],
                [10248, "the kubelet's health"],
                [10256, "kube-proxy's health"],
                [10257, "kube-controller-manager"],
                [10259, "kube-scheduler"],
            ]),
        );
        // Everything scripts/cluster up builds, so that a cold build is announced and shown per component.
        await buildTools(["kubernetes", "registry", "pause", "kube-router", "metrics-server"]);
        // Recorded first, so that down:local stops a cluster whose start was interrupted.
        record.startedProjectCluster = true;
        writeRecord(record);
        say("starting the project's cluster (scripts/cluster up)");
        const cluster = path.join(projectRoot, "scripts", "cluster");
        const started = await runCommand([cluster, "up"]);
        if (started.code !== 0) {
            await runCommand([cluster, "down"]);
            record.startedProjectCluster = false;
            writeRecord(record);
            fail(`scripts/cluster up failed, and was stopped again:\n${lastLines(started.stderr, 25)}`);
        }
    }
    const environment = await projectClusterEnvironment();
    record.kubeconfig = environment.kubeconfig;
    record.kubectl = environment.kubectl;
}

/** kind's local-registry guide, step by step: registry container, cluster, containerd's hosts.toml, network, ConfigMap. */
async function prepareKind(record: RunRecord, registry: string): Promise<void> {
    const registryPort = /^localhost:(\d+)$/.exec(registry)?.[1] ?? fail(`GO_SERVICES_REGISTRY=${registry}: the kind registry is localhost:<port>`);
    const kubectl =
        onPath("kubectl") ??
        fail("the kind cluster is driven with kubectl: install it (https://kubernetes.io/docs/tasks/tools/) and run npm run up:local again");
    record.kubectl = kubectl;
    const registryRunning = (await runCommand(["docker", "inspect", "-f", "{{.State.Running}}", kindRegistryContainer])).stdout.trim() === "true";
    const clusters = (await runQuiet(["kind", "get", "clusters"], "kind get clusters")).split("\n").map((line) => line.trim());
    if (!registryRunning) {
        await requireFreePorts(new Map([[Number(registryPort), "the kind cluster's registry"]]));
        record.createdKindRegistry = true;
        writeRecord(record);
        say(`starting the registry container ${kindRegistryContainer} on 127.0.0.1:5001`);
        await runQuiet(
            [
                "docker",
                "run",
                "-d",
                "--restart=always",
                "-p",
                `127.0.0.1:${registryPort}:5000`,
                "--network",
                "bridge",
                "--name",
                kindRegistryContainer,
                "registry:2",
            ],
            "starting the registry",
        );
    }
    if (!clusters.includes(kindCluster)) {
        record.createdKindCluster = true;
        writeRecord(record);
        const config = path.join(stateDirectory, "kind-config.yaml");
        fs.writeFileSync(
            config,
            [
                "kind: Cluster",
                "apiVersion: kind.x-k8s.io/v1alpha4",
                "containerdConfigPatches:",
                "  - |-",
                '    [plugins."io.containerd.grpc.v1.cri".registry]',
                '      config_path = "/etc/containerd/certs.d"',
                "",
            ].join("\n"),
        );
        say(`creating the kind cluster ${kindCluster}`);
        await runShown(["kind", "create", "cluster", "--name", kindCluster, "--config", config], { what: "kind create cluster" });
    }
    const nodes = (await runQuiet(["kind", "get", "nodes", "--name", kindCluster], "kind get nodes")).split("\n").filter((node) => node.trim() !== "");
    for (const node of nodes) {
        const hosts = `[host."http://${kindRegistryContainer}:5000"]`;
        await runQuiet(
            [
                "docker",
                "exec",
                node,
                "sh",
                "-c",
                `mkdir -p /etc/containerd/certs.d/${registry} && printf '%s\\n' '${hosts}' > /etc/containerd/certs.d/${registry}/hosts.toml`,
            ],
            `configuring ${node} for the registry`,
        );
    }
    const networks = (await runCommand(["docker", "inspect", "-f", "{{json .NetworkSettings.Networks.kind}}", kindRegistryContainer])).stdout.trim();
    if (networks === "" || networks === "null") {
        await runQuiet(["docker", "network", "connect", "kind", kindRegistryContainer], "connecting the registry to the kind network");
    }
    const configMap = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: local-registry-hosting",
        "  namespace: kube-public",
        "data:",
        "  localRegistryHosting.v1: |",
        `    host: "${registry}"`,
        '    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"',
        "",
    ].join("\n");
    const applied = await runCommand([kubectl, "--context", kindContext, "apply", "-f", "-"], { input: configMap });
    if (applied.code !== 0) {
        fail(`kubectl apply of the local-registry-hosting ConfigMap failed: ${lastLines(applied.stderr, 5)}`);
    }
}

async function prepareNamedContext(record: RunRecord): Promise<void> {
    let kubectl = onPath("kubectl");
    if (kubectl === undefined) {
        const built = await runCommand([path.join(projectRoot, "scripts", "build-tools"), "--cached", "kubernetes"]);
        kubectl =
            built.code === 0
                ? path.join(built.stdout.trim(), "kubectl")
                : fail("a named kube context is reached with kubectl: put it on PATH and run npm run up:local again");
    }
    record.kubectl = kubectl;
    record.kubeconfig = process.env.KUBECONFIG;
    const found = await runCommand([kubectl, "config", "get-contexts", "-o", "name"]);
    if (!found.stdout.split("\n").includes(record.target.context)) {
        fail(
            `no kube context '${record.target.context}' in ${process.env.KUBECONFIG ?? "~/.kube/config"}; contexts: ${found.stdout.split("\n").filter(Boolean).join(", ") || "none"}`,
        );
    }
}

// ---------------------------------------------------------------------------------------
// Images without Docker: scripts/build-images' builder, pushed to the cluster's registry.

async function buildAndPush(services: readonly string[], tag: string, registry: string): Promise<Map<string, string>> {
    say(`building the images of ${services.join(", ")} with podman (scripts/build-images --no-checks --tag ${tag})`);
    const build = await runCommand([path.join(projectRoot, "scripts", "build-images"), "--no-checks", "--tag", tag, ...services]);
    if (build.code !== 0) {
        fail(`building the images failed:\n${lastLines(build.stderr, 30)}`);
    }
    const images = new Map<string, string>();
    for (const service of services) {
        const repository = `go-services/${service}`;
        try {
            const digest = await pushImage(`localhost/${repository}:${tag}`, `${registry}/${repository}:${tag}`);
            images.set(service, `${registry}/${repository}@${digest}`);
        } catch (error) {
            fail(`pushing the image of ${service} to ${registry} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
    for (const [service, image] of images) {
        say(`  ${service}: ${image}`);
    }
    return images;
}

// ---------------------------------------------------------------------------------------
// The project copy and its generated stack file.

function writeProjectCopy(config: StackFileConfig): void {
    fs.mkdirSync(projectCopy, { recursive: true });
    fs.copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(projectCopy, "Pulumi.yaml"));
    for (const entry of projectCopyLinks) {
        const link = path.join(projectCopy, entry);
        const target = path.join(projectRoot, entry);
        if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink() && fs.readlinkSync(link) === target) {
            continue;
        }
        fs.rmSync(link, { force: true, recursive: true });
        fs.symlinkSync(target, link);
    }
    const stackFile = path.join(projectCopy, `Pulumi.${stackName}.yaml`);
    const existing = fs.existsSync(stackFile) ? ((parse(fs.readFileSync(stackFile, "utf8")) as Record<string, unknown> | null) ?? {}) : {};
    const header = `# Generated by npm run up:local from Pulumi.${stackName}.yaml (edit that file, not this one); the CLI keeps its encryption salt here.\n`;
    fs.writeFileSync(stackFile, header + stringify({ ...existing, config }));
}

// ---------------------------------------------------------------------------------------
// pulumi up, with a watch on the pods that stops it when one cannot start.

async function kubectlJson<T>(record: RunRecord, args: readonly string[]): Promise<T | undefined> {
    const result = await runCommand([record.kubectl, "--context", record.target.context, ...args, "-o", "json"], { env: kubeEnvironment(record) });
    return result.code === 0 ? (JSON.parse(result.stdout) as T) : undefined;
}

function kubeEnvironment(record: RunRecord): Record<string, string> {
    return record.kubeconfig ? { KUBECONFIG: record.kubeconfig } : {};
}

async function podsOfNamespace(record: RunRecord): Promise<PodView[]> {
    return (await kubectlJson<{ items: PodView[] }>(record, ["get", "pods", "--namespace", record.namespace]))?.items ?? [];
}

/** Why the services' pods cannot start, with their last log lines; empty when none has failed. Pods of `passedOver` (uids) are left out. */
async function diagnose(record: RunRecord, passedOver: ReadonlySet<string> = new Set()): Promise<string[]> {
    const messages: string[] = [];
    for (const problem of failedPods(await podsOfNamespace(record), passedOver)) {
        let message = `service ${problem.service}: pod ${problem.pod} ${problem.reason}`;
        if (problem.crashed) {
            const logs = await runCommand(
                [
                    record.kubectl,
                    "--context",
                    record.target.context,
                    "logs",
                    "--namespace",
                    record.namespace,
                    problem.pod,
                    "-c",
                    problem.container,
                    "--previous",
                    "--tail",
                    "15",
                ],
                { env: kubeEnvironment(record) },
            );
            const text = lastLines(logs.stdout, 15);
            message += text ? `; its last log lines:\n${text.replace(/^/gm, "    ")}` : "";
        }
        messages.push(message);
    }
    return messages;
}

/** Runs pulumi up; resolves with whether it changed anything, fails with the diagnosis when a pod cannot start. */
async function pulumiUp(record: RunRecord, env: NodeJS.ProcessEnv): Promise<boolean> {
    const select = await runCommand(["pulumi", "stack", "select", "--create", stackName], { cwd: projectCopy, env: env as Record<string, string> });
    if (select.code !== 0) {
        fail(`pulumi stack select --create ${stackName} failed: ${lastLines(select.stderr, 10)}`);
    }
    // The pods already there (a crashing one of an earlier, failed run among them) are not this update's: the watch below leaves them out.
    const earlierPods = new Set((await podsOfNamespace(record)).map((pod) => pod.metadata.uid).filter((uid) => uid !== undefined));
    say(`pulumi up --stack ${stackName} (state in ${path.relative(process.cwd(), backendDirectory)})`);
    // pulumi runs in a process group of its own, so that a Ctrl-C on the terminal reaches up:local alone, which
    // passes it on once: pulumi's first SIGINT cancels the update cleanly, a second one stops it at once.
    const child: ChildProcess = spawn("pulumi", ["up", "--stack", stackName, "--yes", "--skip-preview", "--suppress-progress"], {
        cwd: projectCopy,
        env,
        stdio: ["ignore", "pipe", "inherit"],
        detached: true,
    });
    let interrupts = 0;
    const interrupt = (): void => {
        interrupts += 1;
        say(interrupts === 1 ? "interrupted: pulumi up is cancelling the update (Ctrl-C again stops it at once)" : "stopping pulumi up at once");
        child.kill("SIGINT");
    };
    process.on("SIGINT", interrupt);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        process.stdout.write(chunk);
    });
    const exited = new Promise<number>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve(code ?? -1));
    });
    let done = false;
    void exited.then(() => (done = true));
    const finished = (): boolean => done;
    // Pulumi waits up to 10 minutes for a rollout; a pod that cannot start is known sooner.
    let problems: string[] = [];
    while (!finished()) {
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        if (finished()) {
            break;
        }
        problems = await diagnose(record, earlierPods);
        if (problems.length > 0) {
            say("a pod cannot start: stopping pulumi up (run again once fixed; it converges)");
            child.kill("SIGINT");
            const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 60_000))]);
            if (!stopped) {
                child.kill("SIGINT");
            }
            await exited;
            break;
        }
    }
    const code = await exited;
    process.off("SIGINT", interrupt);
    if (interrupts > 0) {
        fail("interrupted: pulumi up stopped (its output is above); run npm run up:local again, it converges");
    }
    if (problems.length > 0 || code !== 0) {
        const found = problems.length > 0 ? problems : await diagnose(record);
        fail(
            [
                code === 0 ? "the rollout failed" : `pulumi up failed (exit ${code}; Pulumi's own error is above)`,
                ...found,
                found.length > 0
                    ? `Fix the service and run npm run up:local again (kubectl --context ${record.target.context} --namespace ${record.namespace} describe pods shows more).`
                    : "Run npm run up:local again once the cause above is mended.",
            ].join("\n"),
        );
    }
    const summary = updateSummary(output);
    say(summary.changed ? `deployed (${summary.summary})` : `no changes (${summary.summary})`);
    return summary.changed;
}

// ---------------------------------------------------------------------------------------
// The URLs: a kubectl port-forward per service, restarted when its pod goes (a rollout).

/** Stops the port-forwards (each a process group: the loop and its kubectl) and waits until every process of them is gone, so that their ports are free. */
async function stopForwards(record: RunRecord): Promise<void> {
    const signalGroups = (signal: NodeJS.Signals): void => {
        for (const forward of record.forwards) {
            try {
                process.kill(-forward.pid, signal);
            } catch {
                // gone already
            }
        }
    };
    signalGroups("SIGTERM");
    const killAt = Date.now() + 10_000;
    let killed = false;
    while (record.forwards.some((forward) => groupAlive(forward.pid))) {
        if (!killed && Date.now() > killAt) {
            signalGroups("SIGKILL");
            killed = true;
        } else if (Date.now() > killAt + 10_000) {
            const left = record.forwards.filter((forward) => groupAlive(forward.pid)).map((forward) => `${forward.service} (process group ${forward.pid})`);
            fail(`the port-forwards of ${left.join(", ")} do not stop, even on SIGKILL`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    record.forwards = [];
}

async function answers(url: string): Promise<boolean> {
    try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        return response.ok;
    } catch {
        return false;
    }
}

async function startForwards(record: RunRecord, services: readonly string[], changed: boolean): Promise<Map<string, number>> {
    const ports = forwardPorts(services, forwardBase);
    const directory = path.join(stateDirectory, "forward");
    // After an update that changed nothing, the port-forwards of the earlier run still reach the same pods.
    const kept =
        !changed &&
        record.forwards.length === ports.size &&
        record.forwards.every((forward) => ports.get(forward.service) === forward.port && processAlive(forward.pid));
    if (!kept) {
        const ours = record.forwards.map((forward) => forward.port);
        await stopForwards(record);
        writeRecord(record);
        // The ports of the stopped port-forwards come free a moment after their processes are gone
        // (test:local saw one taken, by nothing ss could name, right after).
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && (await Promise.all(ours.map(portTaken))).some((taken) => taken)) {
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await requireFreePorts(new Map([...ports].map(([service, port]) => [port, `the URL of ${service}`])));
    }
    fs.mkdirSync(directory, { recursive: true });
    for (const [service, port] of kept ? [] : ports) {
        const log = fs.openSync(path.join(directory, `${service}.log`), "a");
        const child = spawn(
            "bash",
            [
                "-c",
                'while :; do "$@"; sleep 1; done',
                "port-forward",
                record.kubectl,
                "--context",
                record.target.context,
                "--namespace",
                record.namespace,
                "port-forward",
                "--address",
                "127.0.0.1",
                `service/${service}`,
                `${port}:80`,
            ],
            { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...kubeEnvironment(record) } },
        );
        fs.closeSync(log);
        child.unref();
        if (child.pid === undefined) {
            fail(`could not start kubectl port-forward for ${service}`);
        }
        record.forwards.push({ service, port, pid: child.pid });
        writeRecord(record);
    }
    const deadline = Date.now() + forwardDeadlineMs;
    for (const [service, port] of ports) {
        while (!(await answers(`http://127.0.0.1:${port}/readyz`))) {
            if (Date.now() > deadline) {
                fail(
                    `the port-forward of ${service} to 127.0.0.1:${port} does not answer after ${forwardDeadlineMs / 1000} s; see ${path.join(directory, `${service}.log`)}`,
                );
            }
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
    }
    return ports;
}

function smokePath(service: string): string {
    const file = path.join(projectRoot, "services", service, "smoke.path");
    return fs.existsSync(file) ? (fs.readFileSync(file, "utf8").split("\n")[0] ?? "/").trim() : "/version";
}

// ---------------------------------------------------------------------------------------
// up and down.

function namedContext(args: readonly string[]): string | undefined {
    const index = args.indexOf("--context");
    if (index >= 0) {
        return args[index + 1] ?? fail("--context needs a kube context name");
    }
    const inline = args.find((arg) => arg.startsWith("--context="));
    return inline?.slice("--context=".length) ?? process.env.GO_SERVICES_KUBE_CONTEXT;
}

async function up(args: readonly string[]): Promise<void> {
    const started = Date.now();
    const hasDocker = dockerWorks();
    const choice = chooseTarget({
        namedContext: namedContext(args),
        hasKind: onPath("kind") !== undefined,
        hasDocker,
        platform: process.platform,
        isRoot: process.getuid?.() === 0,
    });
    if (choice.kind === "none") {
        process.stdout.write(`${choice.message}\n`);
        process.exitCode = 2;
        return;
    }
    say(
        `deploying the local stack to ${choice.kind === "context" ? `kube context ${choice.context}` : choice.kind === "kind" ? `kind cluster ${kindCluster} (context ${choice.context})` : "the project's own cluster (scripts/cluster)"}: ${choice.why}`,
    );
    const previous = readRecord();
    if (previous !== undefined && (previous.target.kind !== choice.kind || previous.target.context !== choice.context)) {
        fail(`the local stack was deployed to ${previous.target.kind} ${previous.target.context} by an earlier run: run npm run down:local first`);
    }
    const committed = committedConfig();
    const record: RunRecord = previous ?? {
        target: choice,
        kubectl: "kubectl",
        namespace: namespaceOfConfig(committed),
        startedProjectCluster: false,
        createdKindCluster: false,
        createdKindRegistry: false,
        forwards: [],
    };
    writeRecord(record);

    // The registry the cluster pulls from: the project cluster's, else GO_SERVICES_REGISTRY (default localhost:5001).
    const registry = choice.kind === "project-cluster" ? localRegistry : (process.env.GO_SERVICES_REGISTRY ?? localRegistry);
    if (choice.kind === "project-cluster") {
        await prepareProjectCluster(record);
    } else if (choice.kind === "kind") {
        await prepareKind(record, registry);
    } else {
        await prepareNamedContext(record);
    }
    writeRecord(record);

    const services = Object.keys(servicesOfConfig(committed)).sort();
    let images: ImageSource;
    if (hasDocker) {
        images = { kind: "stack-builds", registry };
        say(`images: built and pushed to ${registry} by the stack (registry.kind: oci)`);
    } else {
        if (onPath("podman") === undefined) {
            fail("without Docker, the images are built with podman (scripts/build-images): install podman and run npm run up:local again");
        }
        const tag = committed[`${projectName}:imageTag`];
        images = { kind: "given", images: await buildAndPush(services, typeof tag === "string" ? tag : "dev", registry) };
    }
    writeProjectCopy(deployedStackConfig(committed, choice.context, images));
    const env = await engineEnvironment(hasDocker);
    env.KUBECONFIG = record.kubeconfig ?? process.env.KUBECONFIG;
    if (env.KUBECONFIG === undefined) {
        delete env.KUBECONFIG;
    }
    const changed = await pulumiUp(record, env);

    const ports = await startForwards(record, services, changed);
    say(`every service is rolled out and Ready in namespace ${record.namespace} (${Math.round((Date.now() - started) / 1000)} s):`);
    for (const [service, port] of ports) {
        const url = `http://127.0.0.1:${port}`;
        process.stdout.write(`  ${service.padEnd(12)} ${url}   curl -s ${url}${smokePath(service)}\n`);
    }
    say("the URLs are kubectl port-forwards kept running in the background; npm run down:local stops them and everything else");
}

async function down(): Promise<void> {
    const record = readRecord();
    if (record === undefined) {
        if (fs.existsSync(stateDirectory)) {
            fs.rmSync(stateDirectory, { recursive: true, force: true });
        }
        say(`nothing to take down (no ${path.relative(process.cwd(), runFile) || runFile})`);
        return;
    }
    say(`taking the local stack down from ${record.target.kind} ${record.target.context}`);
    await stopForwards(record);
    writeRecord(record);
    const reachable = record.target.kind !== "project-cluster" || (await projectClusterRunning());
    const stackExists = fs.existsSync(path.join(projectCopy, "Pulumi.yaml")) && fs.existsSync(backendDirectory);
    if (stackExists && reachable) {
        const env = await engineEnvironment(dockerWorks());
        if (record.kubeconfig) {
            env.KUBECONFIG = record.kubeconfig;
        }
        // An up:local stopped before pulumi created the stack leaves an empty backend: nothing to destroy.
        const selected = await runCommand(["pulumi", "stack", "select", stackName], { cwd: projectCopy, env: env as Record<string, string> });
        if (selected.code !== 0) {
            say(`no stack ${stackName} in ${path.relative(process.cwd(), backendDirectory)}: nothing to destroy`);
        } else {
            await runShown(["pulumi", "destroy", "--stack", stackName, "--yes", "--skip-preview", "--suppress-progress"], {
                env,
                cwd: projectCopy,
                what: "pulumi destroy",
            });
        }
    } else if (stackExists) {
        say("the project's cluster is not running: nothing of the stack is left on it; forgetting the stack's state");
    }
    if (record.startedProjectCluster) {
        say("stopping the project's cluster (scripts/cluster down)");
        await runShown([path.join(projectRoot, "scripts", "cluster"), "down"], { what: "scripts/cluster down" });
    } else if (record.target.kind === "project-cluster") {
        say("the project's cluster was running before up:local: left running");
    }
    if (record.createdKindCluster) {
        await runShown(["kind", "delete", "cluster", "--name", kindCluster], { what: "kind delete cluster" });
    }
    if (record.createdKindRegistry) {
        await runShown(["docker", "rm", "-f", kindRegistryContainer], { what: `docker rm ${kindRegistryContainer}` });
    }
    if (record.target.kind === "context") {
        say(`kube context ${record.target.context} is yours: left running`);
    }
    fs.rmSync(stateDirectory, { recursive: true, force: true });
    say(`done; removed ${path.relative(process.cwd(), stateDirectory) || stateDirectory}`);
}

async function main(): Promise<void> {
    const [command, ...args] = process.argv.slice(2);
    if (command === "up") {
        await up(args);
    } else if (command === "down") {
        await down();
    } else {
        fail(`usage: scripts/up-local up [--context NAME] | down (got ${command ?? "nothing"})`);
    }
}

main().catch((error: unknown) => {
    if (error instanceof UsageError) {
        process.stderr.write(`up:local: error: ${error.message}\n`);
    } else {
        process.stderr.write(`up:local: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = 1;
});
