/**
 * The canary gate (components/rolloutPromotion.ts) under the real engine: the CLI starts the
 * dynamic provider plugin (pulumi-resource-pulumi-nodejs, which scripts/engine puts on its PATH),
 * which loads the serialized provider and, through it, the gate's code. The Rollout it waits on
 * is played by a stub Kubernetes API on 127.0.0.1 (test/support/stubKubernetes.ts), named by a
 * secret kubeconfig: up waits for the promotion, a second up is a no-op, an abort fails the up
 * at once with its message, the next up fails again, a reverted version passes. The whole canary
 * on the test cluster, with Argo Rollouts' controller, is proven elsewhere; this needs neither.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RolloutPromotion } from "../../components/rolloutPromotion";
import { EngineSandbox, openSandbox, stateResources } from "../../scripts/lib/engine";
import { projectName } from "../../scripts/lib/evaluate";
import { isSecretEnvelope } from "../../scripts/lib/manifests";
import { aborted, failedStep3, previousRevision, progressing, promoted, startStubKubernetes, StubKubernetes } from "../support/stubKubernetes";

const promotionType = "pulumi-nodejs:dynamic:RolloutPromotion";

describe("the canary gate under the real engine (dynamic provider plugin, stub Kubernetes API)", function () {
    let directory: string;
    let sandbox: EngineSandbox;
    let running: { stub: StubKubernetes; stack: Stack } | undefined;
    /** The stub and the stack the before hook started. */
    const sandboxed = () => running ?? assert.fail("the before hook did not start the stub and the stack");
    /** The revision the program declares; each test sets it before its up. */
    let revision = "1".repeat(64);

    before(async function () {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-promotion-"));
        sandbox = await openSandbox(directory);
        const stub = await startStubKubernetes({ rollouts: [], analysisRuns: [], replicaSetVersions: { "hello-old": "v1.4.2" } });
        const kubeconfig = stub.kubeconfig;
        const program = () => {
            const promotion = new RolloutPromotion("hello-promotion", {
                service: "hello",
                namespace: "apps",
                rollout: "hello",
                version: "v1.4.3",
                revision,
                thresholds: { "error-ratio": 0.05, "latency-p99": 0.5 },
                window: "1m",
                prometheusUrl: "http://prometheus.monitoring.svc:9090",
                deadlineSeconds: 120,
                kubeconfig: pulumi.secret(kubeconfig),
            });
            return Promise.resolve({ promoted: promotion.promoted });
        };
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "promotion", projectName, program },
            { workDir: sandbox.projectDirectory, pulumiCommand: sandbox.workspace.pulumiCommand, envVars: sandbox.workspace.envVars },
        );
        running = { stub, stack };
    });

    after(async () => {
        await running?.stack.workspace.removeStack("promotion", { force: true }).catch(() => undefined);
        await running?.stub.close();
        if (directory) {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    it("waits in up until the Rollout is promoted, keeps the kubeconfig a secret, and a second up waits on nothing", async function () {
        const { stub, stack } = sandboxed();
        stub.play([previousRevision, progressing, progressing, promoted]);
        const result = await stack.up();
        assert.deepStrictEqual(result.summary.resourceChanges, { create: 2 });
        assert.strictEqual(result.outputs.promoted?.value, true);
        assert.ok(stub.rolloutReads() >= 4, `the provider read the Rollout until promoted (${stub.rolloutReads()} reads)`);

        // exportStack shows secrets decrypted (`--show-secrets`), each still marked as a secret.
        const promotion = (await stateResources(stack)).find((resource) => resource.type === promotionType);
        assert.ok(promotion, `a ${promotionType} in the state`);
        assert.ok(isSecretEnvelope(promotion.inputs?.kubeconfig), "the kubeconfig input is a secret");
        assert.ok(!JSON.stringify(promotion.outputs).includes("stub-token"), "the outputs hold no kubeconfig");
        assert.strictEqual(promotion.outputs?.promoted, true);

        const reads = stub.rolloutReads();
        const preview = await stack.preview();
        assert.deepStrictEqual(Object.keys(preview.changeSummary), ["same"], JSON.stringify(preview.changeSummary));
        const again = await stack.up();
        assert.deepStrictEqual(again.summary.resourceChanges, { same: 2 });
        assert.strictEqual(stub.rolloutReads(), reads, "neither the preview nor the unchanged up read the cluster");
    });

    it("fails up at the first read after an abort, with the message, and again on the next up until the version is reverted", async function () {
        const { stub, stack } = sandboxed();
        revision = "2".repeat(64);
        stub.play([previousRevision, progressing, aborted], [failedStep3]);
        const started = Date.now();
        const failure = await stack.up().then(
            () => assert.fail("up succeeded"),
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        const seconds = (Date.now() - started) / 1000;
        assert.match(
            failure,
            /hello: the canary of version v1\.4\.3 was aborted: error-ratio measured 0\.3103, above its threshold 0\.05 \(AnalysisRun hello-new-2-3\)\. Argo Rollouts has returned all traffic to the stable version v1\.4\.2\. The way back: revert the version in the stack to v1\.4\.2 and run `pulumi up`/,
        );
        assert.doesNotMatch(failure, /warning:/, "the CLI finds the plugin beside itself, as a Pulumi distribution has it");
        console.log(`      up failed ${seconds.toFixed(1)} s after it started (polls every 2 s; deadline 120 s)`);
        assert.ok(seconds < 60, `up failed after ${seconds} s, long before its deadline`);
        const promotion = (await stateResources(stack)).find((resource) => resource.type === promotionType);
        assert.strictEqual(promotion?.outputs?.promoted, false, "the state says the revision was not promoted");

        stub.play([aborted]);
        await assert.rejects(stack.up(), /hello: the canary of version v1\.4\.3 was aborted/);

        // The way back: the previous revision, which Argo returns to at once (a new generation, Healthy).
        revision = "1".repeat(64);
        stub.play([{ metadata: { generation: 3 }, status: { observedGeneration: "3", phase: "Healthy", currentPodHash: "old", stableRS: "old" } }]);
        const back = await stack.up();
        assert.deepStrictEqual(back.summary.resourceChanges, { same: 1, update: 1 });
        assert.strictEqual(back.outputs.promoted?.value, true);
    });

    it("is destroyed without touching the cluster", async function () {
        const { stub, stack } = sandboxed();
        const reads = stub.rolloutReads();
        const result = await stack.destroy();
        assert.deepStrictEqual(result.summary.resourceChanges, { delete: 2 });
        assert.strictEqual(stub.rolloutReads(), reads);
    });
});
