/**
 * The evidence behind the default image pull policy: what happens to a running pod's
 * container restart when its registry is down, under IfNotPresent and under Always. The test
 * runs a registry of its own (CNCF distribution, on the cluster's spare registry address) so
 * that it can stop it without disturbing anything else on the cluster, runs the dev stack's
 * hello pod spec once under each policy, stops the registry, and SIGKILLs both containers.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runChecked } from "../../scripts/lib/command";
import { evaluateStack, projectRoot } from "../../scripts/lib/evaluate";
import { pushImage } from "../../scripts/lib/imagePush";
import { clusterEnvironment, containerPid, getObject, kubectl, kubectlResult, PodState, podReady, waitNamespaceGone } from "./support/cluster";
import { declaredObjects, declaredWorkloads } from "./support/deployments";
import { httpGet } from "./support/http";
import { buildServiceImages } from "./support/images";
import { pollUntil } from "./support/wait";

const namespace = "go-services-e2e-pull-policy";
const policies = ["IfNotPresent", "Always"] as const;
type PullPolicy = (typeof policies)[number];

/** How long the kubelet may take to restart a container and find it ready, or to report a failed pull. */
const kubeletBudgetMs = 90_000;

/** The spare registry, started and stopped by the test. */
class SpareRegistry {
    private process: ChildProcess | undefined;

    constructor(
        private readonly binary: string,
        private readonly address: string,
        private readonly directory: string,
    ) {
        fs.writeFileSync(
            path.join(directory, "config.yml"),
            [
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                `    rootdirectory: ${path.join(directory, "data")}`,
                "http:",
                `  addr: 127.0.0.1:${address.split(":")[1] ?? ""}`,
                "",
            ].join("\n"),
        );
    }

    async start(): Promise<void> {
        this.process = spawn(this.binary, ["serve", path.join(this.directory, "config.yml")], { stdio: "ignore" });
        await pollUntil(
            `the spare registry to answer on ${this.address}`,
            async () => {
                const outcome = await httpGet({ host: "127.0.0.1", port: Number(this.address.split(":")[1]) }, "/v2/", 1000);
                return outcome.kind === "response" && outcome.status === 200 ? true : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 100 },
        );
    }

    async stop(): Promise<void> {
        const running = this.process;
        this.process = undefined;
        if (!running || running.exitCode !== null) {
            return;
        }
        const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
        running.kill("SIGTERM");
        await exited;
    }
}

/** The pod's only container status, read from the API server. */
async function containerStatus(name: string): Promise<{ pod: PodState; status: NonNullable<PodState["status"]["containerStatuses"]>[number] | undefined }> {
    const pod = await getObject<PodState>(["pod", name, "--namespace", namespace]);
    return { pod, status: pod.status.containerStatuses?.[0] };
}

describe("e2e: a container restart with the registry down, under each image pull policy", function () {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-e2e-pull-policy-"));
    let registry: SpareRegistry | undefined;
    const podName = (policy: PullPolicy): string => `hello-${policy.toLowerCase()}`;

    before(async function () {
        clusterEnvironment();
        const spare = process.env.GO_SERVICES_SPARE_REGISTRY;
        assert.ok(spare, "scripts/cluster env exports no GO_SERVICES_SPARE_REGISTRY");
        const registryBinary = path.join((await runChecked([path.join(projectRoot, "scripts", "build-tools"), "--cached", "registry"])).trim(), "registry");
        registry = new SpareRegistry(registryBinary, spare, directory);
        await registry.start();

        const objects = declaredObjects("dev", await evaluateStack("dev", { values: "placeholders" }));
        const hello = declaredWorkloads("dev", objects).find((workload) => workload.service === "hello");
        assert.ok(hello, "the dev stack has no hello Deployment");
        const built = (await buildServiceImages(["hello"])).images.get("hello")?.image ?? "";
        const image = `${spare}/go-services/hello@${await pushImage(built, `${spare}/go-services/hello:pull-policy`)}`;

        if ((await kubectlResult(["get", "namespace", namespace])).code === 0) {
            await kubectl(["delete", "namespace", namespace, "--wait=false"]);
            await waitNamespaceGone(namespace, 180_000);
        }
        const stackNamespace = objects.find((object) => object.kind === "Namespace");
        const labels = (stackNamespace?.metadata.labels ?? {}) as Record<string, string>;
        await kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } }));
        await pollUntil(
            "the default ServiceAccount of the namespace",
            async () => ((await kubectlResult(["get", "serviceaccount", "default", "--namespace", namespace])).code === 0 ? true : undefined),
            {
                timeoutMs: 60_000,
                intervalMs: 250,
            },
        );
        for (const policy of policies) {
            const spec = structuredClone(hello.pod);
            delete spec.serviceAccountName;
            const container = spec.containers[0];
            assert.ok(container);
            container.image = image;
            container.imagePullPolicy = policy;
            await kubectl(
                ["apply", "--server-side", "-f", "-"],
                JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: podName(policy), namespace }, spec }),
            );
        }
        for (const policy of policies) {
            await pollUntil(`${podName(policy)} to be ready`, async () => (podReady((await containerStatus(podName(policy))).pod) ? true : undefined), {
                timeoutMs: kubeletBudgetMs,
                intervalMs: 250,
            });
        }
    });

    after(async function () {
        await registry?.stop();
        if ((await kubectlResult(["get", "namespace", namespace])).code === 0) {
            await kubectl(["delete", "namespace", namespace, "--wait=false"]);
            await waitNamespaceGone(namespace, 180_000);
        }
        fs.rmSync(directory, { recursive: true, force: true });
    });

    it("IfNotPresent restarts from the node's copy; Always cannot start the container until the registry is back", async function () {
        const environment = clusterEnvironment();
        assert.ok(registry);
        await registry.stop();
        const restarts = new Map<PullPolicy, number>();
        const killedAt = Date.now();
        for (const policy of policies) {
            const { status } = await containerStatus(podName(policy));
            restarts.set(policy, status?.restartCount ?? 0);
            process.kill(containerPid(environment, status?.containerID), "SIGKILL");
        }

        const readyAgainMs = await pollUntil(
            "the IfNotPresent container to be restarted and ready with the registry down",
            async () => {
                const { pod, status } = await containerStatus(podName("IfNotPresent"));
                return status && status.restartCount > (restarts.get("IfNotPresent") ?? 0) && podReady(pod) ? Date.now() - killedAt : undefined;
            },
            { timeoutMs: kubeletBudgetMs, intervalMs: 100 },
        );
        const pullFailure = await pollUntil(
            "the Always container to fail its pull with the registry down",
            async () => {
                const { status } = await containerStatus(podName("Always"));
                const reason = status?.state?.waiting?.reason;
                return reason === "ErrImagePull" || reason === "ImagePullBackOff" ? { reason, afterMs: Date.now() - killedAt } : undefined;
            },
            { timeoutMs: kubeletBudgetMs, intervalMs: 100 },
        );
        const alwaysReady = (await containerStatus(podName("Always"))).pod;
        assert.strictEqual(podReady(alwaysReady), false, "the Always pod is ready without its image");

        const restartedAt = Date.now();
        await registry.start();
        const recoveredMs = await pollUntil(
            "the Always container to start again once the registry is back",
            async () => (podReady((await containerStatus(podName("Always"))).pod) ? Date.now() - restartedAt : undefined),
            { timeoutMs: kubeletBudgetMs * 2, intervalMs: 250 },
        );
        process.stdout.write(
            `      image pull policy, registry down: IfNotPresent ready again ${readyAgainMs} ms after SIGKILL; ` +
                `Always: ${pullFailure.reason} ${pullFailure.afterMs} ms after SIGKILL, ready ${recoveredMs} ms after the registry came back\n`,
        );
    });
});
