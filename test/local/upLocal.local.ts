/**
 * `npm run up:local` as a new user runs it (npm run test:local): in a fresh clone of this
 * repository, on this machine (Linux as root, no Docker engine), so on the project's own cluster.
 *
 * 1. up:local starts the cluster, deploys every service by digest with the real engine and prints
 *    a URL per service that answers; a second run changes nothing; a one-line change in one
 *    service rolls only that service, with 0 failed requests at a steady load through its
 *    Service; down:local leaves no process, mount, network namespace, iptables rule or state,
 *    and git status is clean.
 * 2. A kube context named (the project's cluster, started apart, standing in for a user's): a
 *    service that exits at start fails the run naming the service, CrashLoopBackOff and its last
 *    log line; the mended stack converges on the next run; down:local leaves the cluster running.
 *    When the project's cluster already runs (CI's shared one, `scripts/cluster up`), this suite
 *    uses it and leaves it running; otherwise it starts one and stops it at the end.
 *
 * Suite 1 needs the cluster stopped (up:local must start it); CI runs suite 2 on its shared
 * cluster and suite 1 after that is down (`--grep`, .ci/run).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandResult, runChecked, runCommand } from "../../scripts/lib/command";
import { projectRoot } from "../../scripts/lib/evaluate";
import { groupAlive } from "../../scripts/lib/localStack";
import { readDeployment } from "../engine/support/deployments";
import { underLoad } from "../engine/support/load";
import { podsOf } from "../e2e/support/cluster";
import { serviceEndpoints } from "../e2e/support/endpoints";

const namespace = "go-services-local";
const version = "git-0000000";
const services = ["hello", "quotes"];
const clusterState = process.env.GO_SERVICES_CLUSTER_DIR ?? path.join(os.tmpdir(), "go-services-cluster");
const figures: string[] = [];
/** What the broken hello of the failure case says as it exits. */
const crashMessage = "the test:local stand-in for a service that exits at start";

let clone = "";

/** The environment of a new user's shell: none of the cluster's or a test's variables. */
function userEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (value !== undefined && !/^(KUBECONFIG|GO_SERVICES_|PULUMI_|npm_|MOCHA)/.test(key)) {
            env[key] = value;
        }
    }
    return { ...env, ...extra };
}

/** Runs an npm script in the clone as a user would; the result, and how long it took in the figures. */
async function npmRun(script: string, label: string, extra: Readonly<Record<string, string>> = {}): Promise<CommandResult> {
    const started = Date.now();
    const pairs = Object.entries(userEnvironment(extra)).map(([key, value]) => `${key}=${value}`);
    const result = await runCommand(["env", "-i", ...pairs, "npm", "run", "--silent", script], { cwd: clone });
    figures.push(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s (npm run ${script}, exit ${result.code})`);
    return result;
}

function assertOk(result: CommandResult, what: string): void {
    assert.strictEqual(result.code, 0, `${what} exited ${result.code}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
}

/** The URL and curl line up:local printed for each service. */
function printedUrls(stdout: string): Map<string, { url: string; curl: string }> {
    const urls = new Map<string, { url: string; curl: string }>();
    for (const match of stdout.matchAll(/^ {2}(\S+)\s+(http:\/\/127\.0\.0\.1:\d+)\s+curl -s (\S+)$/gm)) {
        urls.set(match[1] ?? "", { url: match[2] ?? "", curl: match[3] ?? "" });
    }
    return urls;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/, url);
    return { status: response.status, body: await response.json() };
}

/** Every printed URL answers with the service's JSON, and the pod runs the digest the registry holds for the tag. */
async function checkServices(stdout: string, hello: string): Promise<void> {
    const urls = printedUrls(stdout);
    assert.deepStrictEqual([...urls.keys()].sort(), services, `a URL per service in:\n${stdout}`);
    for (const service of services) {
        const printed = urls.get(service);
        assert.ok(printed);
        const smoke = await getJson(printed.curl);
        assert.strictEqual(smoke.status, 200, printed.curl);
        assert.ok(serviceEndpoints(service, version, "/").acceptLoad(smoke.body), `${printed.curl}: ${JSON.stringify(smoke.body)}`);
        assert.deepStrictEqual(await getJson(`${printed.url}/version`).then((answer) => (answer.body as Record<string, unknown>).service), service);
        if (service === "hello") {
            assert.strictEqual((smoke.body as { message: string }).message, hello, "the code the pod runs");
        }
        const image = (await readDeployment(namespace, service)).spec.template.spec.containers[0]?.image ?? "";
        const digest = /^localhost:5001\/go-services\/[a-z-]+@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
        assert.ok(digest, `${service} runs an image by digest from the registry: ${image}`);
        const headers = await runChecked([
            "curl",
            "-fsSI",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
            `http://localhost:5001/v2/go-services/${service}/manifests/${version}`,
        ]);
        assert.match(headers, new RegExp(`docker-content-digest: ${digest}`, "i"), `${service}: the registry's ${version} is what runs`);
        const pods = await podsOf(namespace, `app.kubernetes.io/name=${service}`);
        assert.ok(pods.length > 0);
        for (const pod of pods.filter((candidate) => candidate.metadata.deletionTimestamp === undefined)) {
            assert.match(pod.status.containerStatuses?.[0]?.imageID ?? "", new RegExp(`@${digest}$`), `${pod.metadata.name} runs ${digest}`);
        }
    }
}

/** Puts the running cluster's kubectl and kubeconfig in this process's environment (for the e2e support code). */
async function useClusterEnvironment(): Promise<void> {
    const exported = await runChecked(["bash", "-c", 'eval "$("$0" env)" && env -0', path.join(clone, "scripts", "cluster")]);
    for (const entry of exported.split("\0")) {
        const separator = entry.indexOf("=");
        const key = entry.slice(0, separator);
        if (["KUBECONFIG", "PATH", "GO_SERVICES_REGISTRY", "GO_SERVICES_CLUSTER_DIR"].includes(key)) {
            process.env[key] = entry.slice(separator + 1);
        }
    }
}

/** What `scripts/cluster status` of `root` (the clone, by default) prints. */
async function clusterStatus(root: string = clone): Promise<string> {
    return (await runCommand([path.join(root, "scripts", "cluster"), "status"])).stdout;
}

/** What a stopped cluster must not leave behind. */
async function assertNothingLeft(forwardPids: readonly number[]): Promise<void> {
    assert.ok(!fs.existsSync(clusterState), `${clusterState} is removed`);
    assert.doesNotMatch(await clusterStatus(), /running \(pid/);
    const mounts = await runChecked(["findmnt", "-rn", "-o", "TARGET"]);
    assert.ok(!mounts.split("\n").some((target) => target.startsWith(clusterState)), "no mount of the cluster");
    const netns = fs.existsSync("/var/run/netns") ? fs.readdirSync("/var/run/netns").filter((name) => name.startsWith("cni-")) : [];
    assert.deepStrictEqual(netns, [], "no pod network namespace");
    const rules = await runChecked(["iptables-save"]);
    assert.deepStrictEqual(
        rules.split("\n").filter((line) => /KUBE-/.test(line)),
        [],
        "no kube-proxy or kubelet iptables rule",
    );
    for (const pid of forwardPids) {
        assert.ok(!groupAlive(pid), `port-forward ${pid} (its loop and kubectl) is stopped`);
    }
    assert.ok(!fs.existsSync(path.join(clone, ".pulumi-local")), ".pulumi-local/ is removed");
    assert.strictEqual(await runChecked(["git", "-C", clone, "status", "--porcelain"]), "", "git status is clean");
}

function forwardPids(): number[] {
    const record = JSON.parse(fs.readFileSync(path.join(clone, ".pulumi-local", "run.json"), "utf8")) as { forwards: { pid: number }[] };
    return record.forwards.map((forward) => forward.pid);
}

// After both suites: how long each run took.
after(function () {
    process.stdout.write(`\n  figures:\n${figures.map((line) => `    ${line}`).join("\n")}\n`);
});

describe("npm run up:local in a fresh clone, on the project's own cluster", function () {
    before(async function () {
        if (/running \(pid/.test(await clusterStatus(projectRoot))) {
            throw new Error("a test cluster is running: up:local must start its own (scripts/cluster down first)");
        }
        clone = fs.mkdtempSync(path.join(os.tmpdir(), "up-local-clone-"));
        await runChecked(["git", "clone", "--quiet", projectRoot, clone]);
        // What `npm ci` installs, from this checkout's node_modules (hard links: seconds instead of a minute).
        await runChecked(["cp", "-al", path.join(projectRoot, "node_modules"), path.join(clone, "node_modules")]);
    });

    after(async function () {
        if (clone !== "" && fs.existsSync(path.join(clone, ".pulumi-local"))) {
            await npmRun("down:local", "clean-up down:local");
        }
        if (fs.existsSync(clusterState)) {
            await runCommand([path.join(projectRoot, "scripts", "cluster"), "down"]);
        }
        if (clone !== "") {
            fs.rmSync(clone, { recursive: true, force: true });
        }
    });

    it("1. up:local starts the cluster and deploys every service by digest; each printed URL answers", async function () {
        const up = await npmRun("up:local", "up:local (cluster stopped, tools built)");
        assertOk(up, "up:local");
        assert.match(up.stdout.split("\n")[0] ?? "", /^up:local: deploying the local stack to the project's own cluster/);
        await useClusterEnvironment();
        await checkServices(up.stdout, "hello, Podman");
    });

    it("2. a second run changes nothing", async function () {
        const again = await npmRun("up:local", "up:local again (no change)");
        assertOk(again, "the second up:local");
        assert.match(again.stdout, /up:local: no changes \(\d+ unchanged\)/);
        await checkServices(again.stdout, "hello, Podman");
    });

    it("3. after a one-line change in hello, only hello's image and Deployment change, with 0 failed requests under load", async function () {
        const file = path.join(clone, "services", "hello", "internal", "hello", "hello.go");
        const source = fs.readFileSync(file, "utf8");
        assert.ok(source.includes('"hello, " + name,'), "the line to change");
        fs.writeFileSync(file, source.replace('"hello, " + name,', '"hello, " + name + "!",'));
        try {
            await changedHelloRolls();
        } finally {
            // The clone's git status must be clean for case 4, whatever happened here.
            fs.writeFileSync(file, source);
        }
    });

    async function changedHelloRolls(): Promise<void> {
        const before = new Map(await Promise.all(services.map(async (service) => [service, await readDeployment(namespace, service)] as const)));
        const { result, load } = await underLoad(namespace, "hello", version, () => npmRun("up:local", "up:local after a one-line change in hello"));
        assertOk(result, "up:local after the change");
        assert.match(result.stdout, /up:local: deployed \(~ 1 updated, \d+ unchanged\)/);
        assert.strictEqual(load.failed, 0, `failed requests during hello's rollout: ${load.failures.join("; ")}`);
        assert.ok(load.requests > 0);
        figures.push(`hello's rollout under ${load.requests} requests: ${load.failed} failed, p99 ${load.p99Ms.toFixed(0)} ms`);
        const quotes = await readDeployment(namespace, "quotes");
        const hello = await readDeployment(namespace, "hello");
        assert.deepStrictEqual(
            [quotes.metadata.uid, quotes.metadata.generation],
            [before.get("quotes")?.metadata.uid, before.get("quotes")?.metadata.generation],
            "quotes is left alone",
        );
        assert.ok(hello.metadata.generation > (before.get("hello")?.metadata.generation ?? Infinity), "hello rolled");
        assert.notStrictEqual(hello.spec.template.spec.containers[0]?.image, before.get("hello")?.spec.template.spec.containers[0]?.image);
        await checkServices(result.stdout, "hello, Podman!");
    }

    it("4. down:local stops the cluster and the URLs and leaves nothing behind; git status is clean", async function () {
        const pids = forwardPids();
        const down = await npmRun("down:local", "down:local (destroy + cluster down)");
        assertOk(down, "down:local");
        await assertNothingLeft(pids);
    });
});

describe("npm run up:local on a kube context the user names (the project's cluster, started apart)", function () {
    let kubeconfig: string;
    /** Whether this suite started the cluster (and so stops it). */
    let started = false;
    const named = () => ({ GO_SERVICES_KUBE_CONTEXT: "go-services-test", KUBECONFIG: kubeconfig });

    before(async function () {
        clone = fs.mkdtempSync(path.join(os.tmpdir(), "up-local-clone-"));
        await runChecked(["git", "clone", "--quiet", projectRoot, clone]);
        await runChecked(["cp", "-al", path.join(projectRoot, "node_modules"), path.join(clone, "node_modules")]);
        started = !/running \(pid/.test(await clusterStatus());
        if (started) {
            await runChecked([path.join(clone, "scripts", "cluster"), "up"]);
        }
        await useClusterEnvironment();
        kubeconfig = process.env.KUBECONFIG ?? "";
        assert.ok(fs.existsSync(kubeconfig), `scripts/cluster env names no kubeconfig: ${kubeconfig}`);
        const namespaceLookup = await runCommand(["kubectl", "get", "namespace", namespace]);
        assert.notStrictEqual(namespaceLookup.code, 0, `namespace ${namespace} is already on the cluster: another run's (npm run down:local there first)`);
    });

    after(async function () {
        if (fs.existsSync(path.join(clone, ".pulumi-local"))) {
            await npmRun("down:local", "clean-up down:local", named());
        }
        if (started) {
            await runCommand([path.join(clone, "scripts", "cluster"), "down"]);
        }
        fs.rmSync(clone, { recursive: true, force: true });
    });

    it("a service that exits at start fails the run, naming the service, CrashLoopBackOff and its last log lines", async function () {
        // A service that exits at start: an error returned before hello serves (configuration is checked
        // before any resource, so a bad value would not reach the cluster).
        const main = path.join(clone, "services", "hello", "cmd", "hello", "main.go");
        const source = fs.readFileSync(main, "utf8");
        const serve = "\treturn platform.Run(ctx, hello.Service(), args, getenv, stdout, stderr)\n";
        assert.ok(source.includes(serve), "the line to break");
        fs.writeFileSync(main, source.replace(serve, `\treturn fmt.Errorf("hello: cannot start: ${crashMessage}")\n${serve}`));
        const failed = await npmRun("up:local", "up:local with a service that exits at start", named()).finally(() => fs.writeFileSync(main, source));
        assert.strictEqual(failed.code, 1, failed.stdout + failed.stderr);
        assert.match(failed.stdout.split("\n")[0] ?? "", /^up:local: deploying the local stack to kube context go-services-test: the kube context you named/);
        assert.match(
            failed.stderr,
            new RegExp(`service hello: pod hello-[a-z0-9-]+ CrashLoopBackOff \\(exit code 1, \\d+ restarts?\\); its last log lines:\n[\\s\\S]*${crashMessage}`),
            failed.stdout + failed.stderr,
        );
        assert.match(failed.stderr, /Fix the service and run npm run up:local again/, failed.stdout + failed.stderr);
    });

    it("the mended stack converges on the next run, and down:local leaves the named cluster running", async function () {
        const up = await npmRun("up:local", "up:local on a named context, after a failed run", named());
        assertOk(up, "up:local after the failed run");
        await checkServices(up.stdout, "hello, Podman");
        const pids = forwardPids();
        const down = await npmRun("down:local", "down:local on a named context", named());
        assertOk(down, "down:local");
        assert.match(down.stdout, /kube context go-services-test is yours: left running/);
        assert.doesNotMatch(await clusterStatus(), /not running/);
        const namespaceLookup = await runCommand(["kubectl", "get", "namespace", namespace]);
        assert.notStrictEqual(namespaceLookup.code, 0, `namespace ${namespace} is gone`);
        for (const pid of pids) {
            assert.ok(!groupAlive(pid), `port-forward ${pid} (its loop and kubectl) is stopped`);
        }
        assert.ok(!fs.existsSync(path.join(clone, ".pulumi-local")));
        assert.strictEqual(await runChecked(["git", "-C", clone, "status", "--porcelain"]), "");
    });
});
