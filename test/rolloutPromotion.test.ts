import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { canaryAnalysisSeconds, podTemplateRevision, promotionDeadlineSeconds } from "../components/canary";
import { defaultCanary } from "../components/rolloutStrategy";
import { rolloutPromotionProvider } from "../components/rolloutPromotion";
import {
    awaitPromotion,
    clusterReader,
    controllerObserveSeconds,
    judgeRollout,
    measuredValue,
    PromotionError,
    PromotionRequest,
    promotionChanged,
    WaitOptions,
} from "../components/rolloutPromotionGate";
import {
    aborted,
    analysisRun,
    failedStep3,
    observed,
    passedStep1,
    pausedInconclusive,
    previousRevision,
    progressing,
    promoted,
    startStubKubernetes,
    StubCluster,
    StubKubernetes,
} from "./support/stubKubernetes";

const request: PromotionRequest = {
    service: "hello",
    namespace: "apps",
    rollout: "hello",
    version: "v1.4.3",
    revision: "b".repeat(64),
    thresholds: { "error-ratio": 0.05, "latency-p99": 0.5 },
    window: "1m",
    prometheusUrl: "http://prometheus.monitoring.svc:9090",
    deadlineSeconds: 600,
};

/** A clock that moves only when the gate sleeps: deadlines without waiting for them. */
function fakeTime(): WaitOptions & { slept: () => number } {
    let now = 0;
    return {
        pollMilliseconds: 2000,
        now: () => now,
        sleep: (milliseconds) => {
            now += milliseconds;
            return Promise.resolve();
        },
        slept: () => now / 1000,
    };
}

describe("canary promotion: how long pulumi up waits", () => {
    it("waits for the analyses, a progress deadline and a minute, or rollout.timeout when longer", () => {
        // Per step: 1m window + 3 x 30s + 4 queries of up to 10s = 190 s; two steps.
        assert.strictEqual(canaryAnalysisSeconds(defaultCanary), 380);
        assert.strictEqual(promotionDeadlineSeconds(defaultCanary, { timeout: "10m", progressDeadlineSeconds: 300 }), 380 + 300 + 60);
        assert.strictEqual(promotionDeadlineSeconds(defaultCanary, { timeout: "1h", progressDeadlineSeconds: 300 }), 3600);
        const quick = { steps: [50], analysis: { interval: "10s", count: 2, window: "20s" } };
        assert.strictEqual(promotionDeadlineSeconds(quick, { timeout: "1m", progressDeadlineSeconds: 60 }), 20 + 10 + 20 + 60 + 60);
    });

    it("calls a release new exactly when the pod template changes, or when the last wait did not promote", () => {
        const template = { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "hello", image: "r@sha256:1" }] } };
        const revision = podTemplateRevision(template);
        assert.strictEqual(revision, podTemplateRevision(structuredClone(template)));
        assert.notStrictEqual(revision, podTemplateRevision({ ...template, spec: { containers: [{ name: "hello", image: "r@sha256:2" }] } }));
        assert.strictEqual(promotionChanged({ revision, promoted: true }, { revision }), false, "a second up with no change does not wait");
        assert.strictEqual(promotionChanged({ revision, promoted: true }, { revision: "other" }), true);
        assert.strictEqual(promotionChanged({ revision, promoted: false }, { revision }), true, "after a failed wait, the next up waits (and fails) again");
        assert.strictEqual(promotionChanged({}, { revision }), true);
    });
});

describe("canary promotion: reading the Rollout", () => {
    it("does not take the previous revision's Healthy for the new one: observedGeneration is a string that must equal the generation", () => {
        assert.deepStrictEqual(judgeRollout(previousRevision), { kind: "unobserved", generation: 2, observed: "1" });
        assert.deepStrictEqual(
            judgeRollout({ metadata: { generation: 3 }, status: { observedGeneration: "3", phase: "Healthy", currentPodHash: "a", stableRS: "a" } }),
            {
                kind: "promoted",
                stableHash: "a",
            },
        );
    });

    it("is promoted only when Healthy with the current pod hash stable", () => {
        assert.strictEqual(judgeRollout(observed({ phase: "Healthy", currentPodHash: "new", stableRS: "old" })).kind, "progressing");
        assert.deepStrictEqual(judgeRollout(progressing), { kind: "progressing", detail: "phase Progressing, step 2 of 4, canary at 10%" });
        assert.strictEqual(judgeRollout(aborted).kind, "aborted");
        assert.strictEqual(judgeRollout(observed({ phase: "Degraded", message: "ProgressDeadlineExceeded", currentPodHash: "new" })).kind, "aborted");
        assert.strictEqual(judgeRollout(pausedInconclusive).kind, "inconclusive");
        assert.strictEqual(
            judgeRollout(observed({ phase: "Paused", currentPodHash: "new", pauseConditions: [{ reason: "CanaryPauseStep" }] })).kind,
            "progressing",
        );
    });

    it("reads Prometheus' values to four significant digits", () => {
        assert.strictEqual(measuredValue("[0.3103448275862069]"), "0.3103");
        assert.strictEqual(measuredValue("[-1]"), "-1");
        assert.strictEqual(measuredValue("2.5"), "2.5");
        assert.strictEqual(measuredValue(undefined), "no value");
    });
});

describe("canary promotion: waiting through the Kubernetes API (@kubernetes/client-node against a stub API on 127.0.0.1)", () => {
    let stub: StubKubernetes | undefined;

    afterEach(async () => {
        await stub?.close();
        stub = undefined;
    });

    async function wait(cluster: Partial<StubCluster>, overrides: Partial<PromotionRequest> = {}, time = fakeTime()) {
        stub = await startStubKubernetes({ rollouts: [], analysisRuns: [], replicaSetVersions: {}, ...cluster });
        const full = { ...request, kubeconfig: stub.kubeconfig, ...overrides };
        return awaitPromotion(full, clusterReader(full), time);
    }

    async function failure(cluster: Partial<StubCluster>, overrides: Partial<PromotionRequest> = {}, time = fakeTime()): Promise<PromotionError> {
        try {
            await wait(cluster, overrides, time);
        } catch (error) {
            assert.ok(error instanceof PromotionError, String(error));
            return error;
        }
        return assert.fail("the wait succeeded");
    }

    it("succeeds once the new revision is fully promoted, and records it without the kubeconfig", async () => {
        const state = await wait({ rollouts: [previousRevision, progressing, progressing, promoted] });
        assert.ok(stub);
        assert.strictEqual(stub.rolloutReads(), 4);
        assert.deepStrictEqual(stub.requests.slice(0, 1), ["GET /apis/argoproj.io/v1alpha1/namespaces/apps/rollouts/hello"]);
        const { kubeconfig: _kubeconfig, ...recorded } = request;
        assert.deepStrictEqual(state, { ...recorded, promoted: true, stableHash: "new" });
    });

    it("fails at the first read after an abort, naming the service, the metric, its value and threshold, and the way back", async () => {
        const time = fakeTime();
        const error = await failure(
            {
                rollouts: [progressing, progressing, aborted],
                analysisRuns: [passedStep1, failedStep3],
                replicaSetVersions: { "hello-old": "v1.4.2" },
            },
            {},
            time,
        );
        assert.strictEqual(time.slept(), 4, "two polls of 2 s: the abort is seen at the next read");
        assert.strictEqual(
            error.message,
            "hello: the canary of version v1.4.3 was aborted: error-ratio measured 0.3103, above its threshold 0.05 (AnalysisRun hello-new-2-3). " +
                "Argo Rollouts has returned all traffic to the stable version v1.4.2. " +
                "The way back: revert the version in the stack to v1.4.2 and run `pulumi up`: the Rollout returns to the stable pods at once, without a canary.",
        );
        assert.strictEqual(error.id, "apps/hello");
        assert.strictEqual(error.properties.promoted, false, "the next up waits again");
        assert.ok(!("kubeconfig" in error.properties), "the kubeconfig is never recorded");
        assert.ok(
            stub?.requests.includes(
                "GET /apis/argoproj.io/v1alpha1/namespaces/apps/analysisruns?labelSelector=rollouts-pod-template-hash%3Dnew%2Crollout-type%3DStep",
            ),
        );
    });

    it("names the latency and its unit when the p99 failed", async () => {
        const slow = analysisRun("hello-new-2-1", "2026-12-03T10:00:00Z", "Failed", [
            { name: "error-ratio", phase: "Successful", measurements: [{ phase: "Successful", value: "[0]" }] },
            { name: "latency-p99", phase: "Failed", measurements: [{ phase: "Failed", value: "[0.8312]" }] },
        ]);
        const error = await failure({ rollouts: [aborted], analysisRuns: [slow] });
        assert.match(
            error.message,
            /was aborted: latency-p99 measured 0\.8312 s, above its threshold 0\.5 s \(AnalysisRun hello-new-2-1\)\. Argo Rollouts has returned all traffic to the stable version\. The way back: revert the version in the stack and run `pulumi up`/,
        );
    });

    it("fails when Prometheus could not be reached: an analysis without data never promotes", async () => {
        const unreachable = analysisRun("hello-new-2-1", "2026-12-03T10:00:00Z", "Error", [
            {
                name: "error-ratio",
                phase: "Error",
                consecutiveError: 3,
                measurements: [
                    {
                        phase: "Error",
                        message: 'Post "http://prometheus.monitoring.svc:9090/api/v1/query": dial tcp 10.0.0.9:9090: connect: connection refused',
                    },
                ],
            },
        ]);
        const error = await failure({ rollouts: [aborted], analysisRuns: [unreachable] });
        assert.match(
            error.message,
            /^hello: the canary of version v1\.4\.3 was aborted: its analysis could not measure error-ratio: 3 queries in a row failed \(Post .*connection refused; AnalysisRun hello-new-2-1\); is Prometheus at http:\/\/prometheus\.monitoring\.svc:9090 reachable from the Argo Rollouts controller\? A canary that cannot be measured is never promoted\./,
        );
    });

    it("fails when an inconclusive analysis paused the canary: no data is not success", async () => {
        const noTraffic = analysisRun("hello-new-2-1", "2026-12-03T10:00:00Z", "Inconclusive", [
            { name: "error-ratio", phase: "Inconclusive", measurements: [{ phase: "Inconclusive", value: "[-1]" }] },
        ]);
        const error = await failure({ rollouts: [progressing, pausedInconclusive], analysisRuns: [noTraffic] });
        assert.strictEqual(
            error.message,
            "hello: the canary of version v1.4.3 was not promoted: its analysis was inconclusive: error-ratio measured -1: the canary answered no request in its 1m window " +
                "(AnalysisRun hello-new-2-1); no data is not success. Argo Rollouts paused it. Either send it traffic and promote it (`kubectl argo rollouts promote hello -n apps`), " +
                "or abort it (`kubectl argo rollouts abort hello -n apps`) and revert the version in the stack; then run `pulumi up` again.",
        );
    });

    it("names an abort that no analysis caused by the Rollout's own message", async () => {
        const stuck = observed({
            phase: "Degraded",
            abort: true,
            message: 'ProgressDeadlineExceeded: ReplicaSet "hello-new" has timed out progressing.',
            currentPodHash: "new",
            stableRS: "old",
        });
        const error = await failure({ rollouts: [stuck], replicaSetVersions: { "hello-old": "v1.4.2" } });
        assert.match(
            error.message,
            /^hello: the canary of version v1\.4\.3 was aborted: ProgressDeadlineExceeded: ReplicaSet "hello-new" has timed out progressing\.\. Argo Rollouts has returned all traffic to the stable version v1\.4\.2\./,
        );
    });

    it("still fails with the abort when the reads that name its cause fail", async () => {
        const reader = {
            rollout: () => Promise.resolve(aborted),
            analysisRuns: () => Promise.reject(new Error("connection reset")),
            version: () => Promise.reject(new Error("connection reset")),
        };
        await assert.rejects(awaitPromotion(request, reader, fakeTime()), (error: unknown) => {
            assert.ok(error instanceof PromotionError);
            assert.match(
                error.message,
                /^hello: the canary of version v1\.4\.3 was aborted: RolloutAborted: Rollout aborted update to revision 2: Metric "error-ratio" assessed Failed/,
            );
            return true;
        });
    });

    it("fails after two minutes when no controller observes the Rollout, saying to install one", async () => {
        const time = fakeTime();
        const error = await failure({ rollouts: [previousRevision] }, {}, time);
        assert.strictEqual(time.slept(), controllerObserveSeconds);
        assert.match(
            error.message,
            /^hello: no Argo Rollouts controller observed the Rollout apps\/hello within 120 s \(generation 2, observed 1\): install the controller/,
        );
    });

    it("fails at the deadline when the canary is still progressing, saying it goes on", async () => {
        const time = fakeTime();
        const error = await failure({ rollouts: [progressing] }, { deadlineSeconds: 300 }, time);
        assert.strictEqual(time.slept(), 300);
        assert.match(
            error.message,
            /^hello: the canary of version v1\.4\.3 was not fully promoted within 300 s \(phase Progressing, step 2 of 4, canary at 10%\)\. It goes on without `pulumi up`/,
        );
    });

    it("fails at once when the Rollout does not exist", async () => {
        const time = fakeTime();
        const error = await failure({ rollouts: [] }, {}, time);
        assert.strictEqual(time.slept(), 0);
        assert.match(error.message, /^hello: cannot read the Rollout apps\/hello: HTTP 404/);
    });

    it("keeps trying while the API cannot be reached, for as long as a controller gets to observe the Rollout", async () => {
        const time = fakeTime();
        // A port nothing listens on: every read fails to connect.
        const closed = await startStubKubernetes({ rollouts: [], analysisRuns: [], replicaSetVersions: {} });
        const kubeconfig = closed.kubeconfig;
        await closed.close();
        const full = { ...request, kubeconfig };
        await assert.rejects(awaitPromotion(full, clusterReader(full), time), (error: unknown) => {
            assert.ok(error instanceof PromotionError);
            assert.match(error.message, /^hello: cannot read the Rollout apps\/hello: .*ECONNREFUSED/);
            return true;
        });
        assert.strictEqual(time.slept(), controllerObserveSeconds);
    });
});

describe("canary promotion: the provider Pulumi serializes", () => {
    let stub: StubKubernetes | undefined;
    let directory: string | undefined;

    after(async () => {
        await stub?.close();
        if (directory) {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    /** Runs `script` in a plain Node.js process (no ts-node), with the serialized provider as `provider`; resolves to what it prints. */
    function runSerialized(file: string, script: string): Promise<string> {
        const code = `const provider = require(require.resolve("require-from-string", { paths: [${JSON.stringify(path.join(__dirname, ".."))}] }))(require("fs").readFileSync(${JSON.stringify(file)}, "utf8")).handler();\n${script}`;
        return new Promise((resolve, reject) => {
            const child = spawn(process.execPath, ["-e", code], {
                cwd: os.tmpdir(),
                env: { ...process.env, NODE_OPTIONS: "" },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`))));
        });
    }

    it("loads its code at run time in a plain Node.js process, diffs without the cluster and waits through it", async function () {
        // Serializing and starting a process with ts-node and the client: seconds on a busy machine.
        this.timeout(60000);
        stub = await startStubKubernetes({ rollouts: [progressing, promoted], analysisRuns: [], replicaSetVersions: {} });
        const serialized = await pulumi.runtime.serializeFunction(() => rolloutPromotionProvider);
        assert.ok(serialized.text.length < 4000, `the provider serializes small (${serialized.text.length} characters): its code is loaded, not captured`);
        assert.doesNotMatch(serialized.text, /client-node|KubeConfig/);
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-promotion-"));
        const file = path.join(directory, "provider.js");
        fs.writeFileSync(file, serialized.text);
        const news = { ...request, kubeconfig: stub.kubeconfig };
        const output = await runSerialized(
            file,
            [
                `const news = ${JSON.stringify(news)};`,
                `const same = await provider.diff("apps/hello", { revision: news.revision, promoted: true }, news);`,
                `const created = await provider.create(news);`,
                `console.log(JSON.stringify({ same, created }));`,
            ]
                .join("\n")
                .replace(/^/, "(async () => {\n")
                .concat("\n})().catch((error) => { console.error(error); process.exit(1); });"),
        );
        const result = JSON.parse(output) as { same: { changes: boolean }; created: { id: string; outs: { promoted: boolean } } };
        assert.deepStrictEqual(result.same, { changes: false });
        assert.strictEqual(result.created.id, "apps/hello");
        assert.strictEqual(result.created.outs.promoted, true);
        assert.strictEqual(stub.rolloutReads(), 2, "the diff read nothing");
    });
});
