/**
 * `npm run up:local`: where it deploys, what it generates and how it reads the cluster
 * (scripts/lib/localStack.ts), and the kind path end to end with stand-ins. A kind cluster
 * cannot run on the project's machines (no Docker engine), so `kind`, `docker`, `kubectl` and
 * `pulumi` are scripts on PATH that record their arguments and answer as the real ones do; the
 * real deployment is tested by `npm run test:local` on the project's own cluster.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { runCommand } from "../scripts/lib/command";
import { projectRoot } from "../scripts/lib/evaluate";
import {
    chooseTarget,
    clusterRequirements,
    compareVersions,
    deployedStackConfig,
    failedPods,
    groupAlive,
    missingPackages,
    parseClusterRequirements,
    PodView,
    updateSummary,
} from "../scripts/lib/localStack";

const probe = { hasKind: true, hasDocker: true, platform: "linux" as const, isRoot: true };

describe("up:local decides", () => {
    it("where to deploy: a named context, then kind with docker, then the project's cluster as root on Linux, else what to install", () => {
        assert.deepStrictEqual(chooseTarget({ ...probe, namedContext: "mine" }).kind, "context");
        assert.strictEqual(chooseTarget(probe).kind, "kind");
        assert.strictEqual(chooseTarget({ ...probe, hasDocker: false }).kind, "project-cluster");
        assert.strictEqual(chooseTarget({ ...probe, hasKind: false }).kind, "project-cluster");
        const none = chooseTarget({ ...probe, hasKind: false, isRoot: false });
        assert.strictEqual(none.kind, "none");
        assert.match("message" in none ? none.message : "", /kind not on PATH[\s\S]*Linux as root \(this is linux, not root\)[\s\S]*Nothing was changed/);
        assert.strictEqual(chooseTarget({ ...probe, hasKind: false, platform: "darwin" }).kind, "none");
    });

    it("which Debian packages the project's cluster lacks, each once", () => {
        assert.deepStrictEqual(
            missingPackages(() => true),
            [],
        );
        assert.deepStrictEqual(
            missingPackages((needs) => !["etcd", "ctr", "containerd", "/usr/lib/cni/bridge"].includes(needs)),
            ["etcd-server", "containerd", "containernetworking-plugins"],
        );
    });

    it("reads the cluster's packages from scripts/cluster-packages (which .ci/run installs from too), refusing a malformed line", () => {
        assert.deepStrictEqual(parseClusterRequirements("# comment\n\netcd  etcd-server # the store\n/usr/lib/cni/bridge containernetworking-plugins\n"), [
            { needs: "etcd", debianPackage: "etcd-server" },
            { needs: "/usr/lib/cni/bridge", debianPackage: "containernetworking-plugins" },
        ]);
        assert.throws(() => parseClusterRequirements("etcd\n"), /cluster-packages:1: expected "<command or \/path> <debian-package>", got "etcd"/);
        assert.ok(clusterRequirements.some((requirement) => requirement.needs === "ipset" && requirement.debianPackage === "ipset"));
    });

    it("whether a pulumi on PATH is recent enough (>= 3.270.0)", () => {
        assert.ok(compareVersions("v3.274.1", "3.270.0") > 0);
        assert.strictEqual(compareVersions("v3.270.0", "3.270.0"), 0);
        assert.ok(compareVersions("v3.99.0", "3.270.0") < 0);
        assert.ok(compareVersions("v3.270.0-alpha.x1", "3.270.0") === 0);
    });

    it("the stack configuration: the committed one, deploying to the context, images by digest or built by the stack", () => {
        const committed = {
            "go-services:imageTag": "git-0000000",
            "go-services:kubernetes": { renderYamlToDirectory: "rendered/local" },
            "go-services:services": { hello: { resources: "nano" } },
        };
        const image = `localhost:5001/go-services/hello@sha256:${"a".repeat(64)}`;
        assert.deepStrictEqual(deployedStackConfig(committed, "ctx", { kind: "given", images: new Map([["hello", image]]) }), {
            "go-services:imageTag": "git-0000000",
            "go-services:kubernetes": { context: "ctx" },
            "go-services:services": { hello: { resources: "nano", image } },
        });
        assert.deepStrictEqual(deployedStackConfig(committed, "ctx", { kind: "stack-builds", registry: "localhost:5001" })["go-services:registry"], {
            kind: "oci",
            url: "localhost:5001",
        });
        assert.throws(() => deployedStackConfig(committed, "ctx", { kind: "given", images: new Map() }), /no image was built for the service hello/);
        assert.deepStrictEqual(committed["go-services:kubernetes"], { renderYamlToDirectory: "rendered/local" }, "the committed configuration is left alone");
    });

    it("which pods cannot start, naming the service and the reason", () => {
        const pod = (name: string, status: NonNullable<PodView["status"]>, deleting = false): PodView => ({
            metadata: {
                name,
                uid: `uid-${name}`,
                labels: { "app.kubernetes.io/name": name.split("-")[0] ?? name },
                ...(deleting ? { deletionTimestamp: "now" } : {}),
            },
            status,
        });
        const pods = [
            pod("hello-1", {
                containerStatuses: [
                    {
                        name: "app",
                        restartCount: 3,
                        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off" } },
                        lastState: { terminated: { exitCode: 2 } },
                    },
                ],
            }),
            pod("quotes-1", { containerStatuses: [{ name: "app", state: { waiting: { reason: "ImagePullBackOff", message: "not found" } } }] }),
            pod("quotes-2", { containerStatuses: [{ name: "app", state: { waiting: { reason: "ContainerCreating" } } }] }),
            pod("hello-2", { containerStatuses: [{ name: "app", state: { waiting: { reason: "CrashLoopBackOff" } } }] }, true),
        ];
        assert.deepStrictEqual(failedPods(pods), [
            { service: "hello", pod: "hello-1", container: "app", reason: "CrashLoopBackOff (exit code 2, 3 restarts)", crashed: true },
            { service: "quotes", pod: "quotes-1", container: "app", reason: "ImagePullBackOff: not found", crashed: false },
        ]);
        // While a mended revision rolls out, the crashing pod of the earlier run (there before the update) is not this update's failure.
        assert.deepStrictEqual(
            failedPods(pods, new Set(["uid-hello-1"])).map((problem) => problem.pod),
            ["quotes-1"],
        );
    });

    it("whether a process group still has a running process (a port-forward's kubectl may outlive its loop)", async () => {
        // A loop whose child keeps running once the loop itself is gone, as a port-forward's kubectl can.
        const group = spawn("bash", ["-c", "sleep 30 & kill -KILL $$"], { detached: true, stdio: "ignore" });
        const pid = group.pid ?? 0;
        await new Promise((resolve) => group.on("exit", resolve));
        assert.ok(groupAlive(pid), "the sleep of the group runs on");
        process.kill(-pid, "SIGTERM");
        const deadline = Date.now() + 10_000;
        while (groupAlive(pid)) {
            assert.ok(Date.now() < deadline, "the group is gone after SIGTERM");
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok(!groupAlive(process.pid + 1_000_000), "no such group");
    });

    it("whether an update changed anything, from Pulumi's summary", () => {
        assert.deepStrictEqual(updateSummary("Resources:\n    14 unchanged\n\nDuration: 3s\n"), { changed: false, summary: "14 unchanged" });
        assert.deepStrictEqual(updateSummary("Resources:\n    ~ 2 updated\n    12 unchanged\n\nDuration: 9s\n"), {
            changed: true,
            summary: "~ 2 updated, 12 unchanged",
        });
    });
});

/** A free port on 127.0.0.1 (nothing listens on it once this resolves). */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
        });
    });
}

const standIns: Readonly<Record<string, string>> = {
    kind: `case "$*" in
"get clusters") [[ -f "$STANDIN_DIR/kind-cluster" ]] && echo go-services; exit 0 ;;
"create cluster"*) touch "$STANDIN_DIR/kind-cluster"; cp "\${@: -1}" "$STANDIN_DIR/kind-config.yaml" ;;
"get nodes --name go-services") echo go-services-control-plane ;;
esac`,
    docker: `case "$*" in
"info"*) echo 28.2.2 ;;
"inspect -f {{.State.Running}} kind-registry") [[ -f "$STANDIN_DIR/registry" ]] && echo true || exit 1 ;;
"inspect -f {{json .NetworkSettings.Networks.kind}} kind-registry") echo null ;;
"run "*) touch "$STANDIN_DIR/registry"; echo 0123abcd ;;
esac`,
    kubectl: `case "$*" in
*"apply -f -") cat >"$STANDIN_DIR/applied.yaml" ;;
*"get pods"*) echo '{"items": []}' ;;
esac`,
    // As the real CLI, it opens the file backend's folder but does not create it.
    pulumi: `case "$1" in
version) echo v3.274.1 ;;
stack)
	backend=\${PULUMI_BACKEND_URL#file://}
	[[ -d $backend ]] || { echo "error: unable to open state directory $PULUMI_BACKEND_URL" >&2; exit 255; }
	if [[ $* == "stack select --create local" && -z \${STANDIN_STACK_FAILS:-} ]]; then touch "$backend/local"; fi
	[[ -f $backend/local ]] || { echo "error: no stack named 'local' found" >&2; exit 255; } ;;
up)
	if [[ -n \${STANDIN_PULUMI_UP_WAITS:-} ]]; then
		trap 'echo SIGINT >>"$STANDIN_DIR/pulumi-signals"; echo "^C received; cancelling."; exit 1' INT
		echo "Updating (local):"
		touch "$STANDIN_DIR/pulumi-up-waits"
		while :; do sleep 0.1; done
	fi
	echo "error: the stand-in deploys nothing" >&2; exit 1 ;;
esac`,
};

describe("up:local on kind (stand-ins for kind, docker, kubectl and pulumi)", function () {
    this.timeout(60_000);
    let directory: string;
    let env: Record<string, string>;

    beforeEach(async () => {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "up-local-kind-"));
        const bin = path.join(directory, "bin");
        fs.mkdirSync(bin);
        for (const [name, body] of Object.entries(standIns)) {
            fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\nprintf '%s\\n' "${name} $*" >>"$STANDIN_DIR/commands"\n${body}\n`, { mode: 0o755 });
        }
        env = {
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
            STANDIN_DIR: directory,
            GO_SERVICES_LOCAL_DIR: path.join(directory, "state"),
            GO_SERVICES_REGISTRY: `localhost:${await freePort()}`,
        };
    });

    afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

    const upLocal = (command: string) => runCommand([path.join(projectRoot, "scripts", "up-local"), command], { env });
    const commands = () => fs.readFileSync(path.join(directory, "commands"), "utf8").trim().split("\n");

    it("creates the cluster and its registry as kind's guide does, has the stack build and push the images, and down removes both", async () => {
        const up = await upLocal("up");
        assert.match(up.stdout.split("\n")[0] ?? "", /^up:local: deploying the local stack to kind cluster go-services \(context kind-go-services\)/);
        assert.notStrictEqual(up.code, 0, "the stand-in pulumi up fails");
        assert.match(up.stderr, /pulumi up failed \(exit 1; Pulumi's own error is above\)/);
        const registry = env.GO_SERVICES_REGISTRY ?? "";
        const port = registry.split(":")[1] ?? "";
        const ran = commands();
        const expected = [
            `docker run -d --restart=always -p 127.0.0.1:${port}:5000 --network bridge --name kind-registry registry:2`,
            `kind create cluster --name go-services --config ${path.join(env.GO_SERVICES_LOCAL_DIR ?? "", "kind-config.yaml")}`,
            `docker exec go-services-control-plane sh -c mkdir -p /etc/containerd/certs.d/${registry} && printf '%s\\n' '[host."http://kind-registry:5000"]' > /etc/containerd/certs.d/${registry}/hosts.toml`,
            "docker network connect kind kind-registry",
            "kubectl --context kind-go-services apply -f -",
            "pulumi stack select --create local",
            "pulumi up --stack local --yes --skip-preview --suppress-progress",
        ];
        let at = -1;
        for (const command of expected) {
            const found = ran.findIndex((line, index) => index > at && line === command);
            assert.ok(found > at, `ran, in this order: ${command}\nall commands:\n${ran.join("\n")}`);
            at = found;
        }
        assert.match(fs.readFileSync(path.join(directory, "kind-config.yaml"), "utf8"), /config_path = "\/etc\/containerd\/certs.d"/);
        assert.match(fs.readFileSync(path.join(directory, "applied.yaml"), "utf8"), new RegExp(`name: local-registry-hosting[\\s\\S]*host: "${registry}"`));
        const stackFile = parse(fs.readFileSync(path.join(env.GO_SERVICES_LOCAL_DIR ?? "", "project", "Pulumi.local.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        assert.deepStrictEqual(stackFile.config["go-services:registry"], { kind: "oci", url: registry });
        assert.deepStrictEqual(stackFile.config["go-services:kubernetes"], { context: "kind-go-services" });
        assert.ok(!ran.some((line) => line.startsWith("kind delete")), "nothing torn down by a failed up");

        fs.writeFileSync(path.join(directory, "commands"), "");
        const down = await upLocal("down");
        assert.strictEqual(down.code, 0, down.stderr);
        assert.deepStrictEqual(
            commands().filter((line) => !line.startsWith("docker info") && !line.startsWith("pulumi version")),
            [
                "pulumi stack select local",
                "pulumi destroy --stack local --yes --skip-preview --suppress-progress",
                "kind delete cluster --name go-services",
                "docker rm -f kind-registry",
            ],
        );
        assert.ok(!fs.existsSync(env.GO_SERVICES_LOCAL_DIR ?? ""), "the state folder is removed");
    });

    it("down after an up that stopped before pulumi created the stack destroys nothing, and still removes what up started", async () => {
        const up = await runCommand([path.join(projectRoot, "scripts", "up-local"), "up"], { env: { ...env, STANDIN_STACK_FAILS: "1" } });
        assert.match(up.stderr, /pulumi stack select --create local failed/);
        fs.writeFileSync(path.join(directory, "commands"), "");
        const down = await upLocal("down");
        assert.strictEqual(down.code, 0, down.stdout + down.stderr);
        assert.match(down.stdout, /no stack local in .*: nothing to destroy/);
        assert.ok(!commands().some((line) => line.startsWith("pulumi destroy")), commands().join("\n"));
        assert.ok(commands().includes("kind delete cluster --name go-services"));
    });

    it("a Ctrl-C stops pulumi up through one SIGINT (its clean cancel) and says to run again", async () => {
        // As a terminal does: SIGINT to up:local's whole process group. pulumi runs in a group of its own and gets it from up:local.
        const child = spawn(path.join(projectRoot, "scripts", "up-local"), ["up"], {
            env: { ...process.env, ...env, STANDIN_PULUMI_UP_WAITS: "1" },
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
        const deadline = Date.now() + 45_000;
        while (!fs.existsSync(path.join(directory, "pulumi-up-waits"))) {
            assert.ok(Date.now() < deadline, `pulumi up never started:\n${stdout}\n${stderr}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        process.kill(-(child.pid ?? 0), "SIGINT");
        assert.strictEqual(await exited, 1, stdout + stderr);
        assert.strictEqual(fs.readFileSync(path.join(directory, "pulumi-signals"), "utf8"), "SIGINT\n", "pulumi got one SIGINT");
        assert.match(stdout, /up:local: interrupted: pulumi up is cancelling the update \(Ctrl-C again stops it at once\)\n\^C received; cancelling\./);
        assert.match(stderr, /up:local: error: interrupted: pulumi up stopped \(its output is above\); run npm run up:local again, it converges/);
    });

    it("names a port that is taken, and changes nothing", async () => {
        const port = Number((env.GO_SERVICES_REGISTRY ?? "").split(":")[1]);
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
        try {
            const up = await upLocal("up");
            assert.strictEqual(up.code, 1);
            assert.match(up.stderr, new RegExp(`port ${port} \\(the kind cluster's registry\\) is taken`));
            assert.ok(!commands().some((line) => /^(kind create|docker run)/.test(line)), "no cluster and no registry started");
        } finally {
            server.close();
        }
    });
});
