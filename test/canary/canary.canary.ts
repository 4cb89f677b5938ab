/**
 * Canary releases on the real cluster (issue 21), through the real engine: the stack's Rollout
 * and AnalysisTemplate applied by `pulumi up` (Automation API, the sandbox of scripts/engine),
 * Argo Rollouts' controller started by scripts/cluster, the project's Prometheus scraping the
 * pods (started here, on 127.0.0.1), and a steady load through the Service. One stack holds a
 * canary service (hello, 4 replicas, steps 25% and 50%, each judged by an analysis) and a
 * rolling one (quotes). The tests run in order:
 *
 * 1. a good new digest goes through every step and is promoted; `up` returns only then; no
 *    request fails;
 * 2. a bad version (test/fixtures/faulty: passes its probes, answers 500 to half its requests)
 *    is aborted by the analysis alone; the failed requests stay within the bound below; stable
 *    serves every request afterwards; `up` fails soon after with a message naming the service,
 *    the metric, the value, the threshold and the way back; quotes, updated in the same `up`,
 *    rolls out regardless;
 * 3. the next `up`, with the version reverted, returns to stable at once;
 * 4. Prometheus unreachable during an analysis: the rollout does not promote and `up` fails;
 * 5. the rolling service was left alone throughout.
 *
 * The bound on failed requests of test 2: the canary takes at most `canaryShare` of the
 * requests (1 pod of 4 at the first step, 25%), of which the faulty build fails
 * `failureShare` (50%), for at most `exposureSeconds`: from its first Ready until the abort
 * takes it out of the Service's endpoints, which is minReadySeconds (before the step counts
 * as done), the analysis window (the first measurement's delay), one measurement interval and
 * the controller's and kube-proxy's reaction (margin). At 200 requests/s that is
 * 200 x 0.25 x 0.5 x (5 + 10 + 5 + 15) = 875 requests, where a rolling update of the same
 * version would fail 100 requests every second until someone acts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import {
    changingSteps,
    committedStackConfig,
    createStack,
    EngineSandbox,
    openSandbox,
    servicesOf,
    StackFileConfig,
    stateResources,
    withGivenImages,
    writeStackConfig,
} from "../../scripts/lib/engine";
import { projectName } from "../../scripts/lib/evaluate";
import { analysisMetricNames } from "../../components/canary";
import { defaultAlertThresholds } from "../../components/monitoringSettings";
import { clusterEnvironment, kubectlResult, pushImages, removeNamespace } from "../e2e/support/cluster";
import { buildFixtureImage, buildServiceImages, deriveImage } from "../e2e/support/images";
import { FixedRateLoad, LoadSummary, RequestRecord, summarize } from "../e2e/support/loadGenerator";
import { pollUntil } from "../e2e/support/wait";
import { readDeployment, rolloutIncomplete } from "../engine/support/deployments";
import { loadRate, serviceTarget, underLoad } from "../engine/support/load";
import { ClusterPrometheus } from "./support/prometheus";
import { analysisRuns, AnalysisRunState, notPromoted, readRollout, RolloutState, RolloutTimeline, waitStableOnly, watchRollout } from "./support/rollouts";

const stackName = "canary";
const namespace = "go-services-canary";
/** The version the service images are built and deployed as. */
const version = "0.1.0-canary";
/** The version the faulty build answers with, so that its answers are told from stable's. */
const faultyVersion = "0.1.0-canary-faulty";

/** The canary service and its settings: short steps, so that the suite takes minutes. */
const canaryService = "hello";
const rollingService = "quotes";
const replicas = 4;
const steps = [25, 50];
const analysis = { interval: "5s", count: 2, window: "10s" };
const intervalSeconds = 5;
const windowSeconds = 10;
const minReadySeconds = 5;

/** The faulty build's share of requests answered 500 (its default FAILURE_SHARE). */
const failureShare = 0.5;
/** The canary's largest share of the requests at the first step: ceil(4 x 25%) = 1 pod of 4. */
const canaryShare = Math.ceil((replicas * (steps[0] ?? 0)) / 100) / replicas;
/** The controller noticing the failed analysis, scaling the canary down, and kube-proxy dropping its endpoint. */
const reactionMarginSeconds = 15;
/** Longest the canary serves before the abort takes it out of the Service. */
const exposureSeconds = minReadySeconds + windowSeconds + intervalSeconds + reactionMarginSeconds;
/** The most requests the bad version may fail (see the file's comment). */
const failedRequestsBound = Math.ceil(loadRate * canaryShare * failureShare * exposureSeconds);

/** The program's default `rollout.timeout`, which `up` waits at most for a service. */
const rolloutTimeoutMs = 10 * 60_000;
/** How long after the abort `up` may take to fail: the promotion's poll and the engine's exit, on a busy machine. */
const failAfterAbortMs = 60_000;
/** An `up` that must not wait for a rollout: the engine starting and diffing on a busy machine. */
const quickUpMs = 90_000;

/** The secret config key holding the test cluster's kubeconfig, which `kubernetes.kubeconfig` names. */
const kubeconfigKey = "testClusterKubeconfig";

/**
 * The load opens a connection per request: kube-proxy balances connections, so requests over
 * connections opened before the canary started would never reach it.
 */
const freshConnections = { keepAlive: false };

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface Images {
    /** hello as built, the first stable version. */
    readonly hello: string;
    /** The same program under other digests: good new versions. */
    readonly helloGood: string;
    readonly helloThird: string;
    readonly faulty: string;
    readonly quotes: string;
    readonly quotesNext: string;
}

/** The stack: dev's settings, images by digest, hello a canary judged by the test's Prometheus, quotes rolling. */
function canaryStack(hello: string, quotes: string, prometheusUrl: string): StackFileConfig {
    const config = withGivenImages(
        committedStackConfig("dev"),
        new Map([
            [canaryService, hello],
            [rollingService, quotes],
        ]),
        version,
    );
    config[`${projectName}:namespace`] = namespace;
    config[`${projectName}:kubernetes`] = { kubeconfig: kubeconfigKey };
    config[`${projectName}:monitoring`] = { mode: "annotations", prometheusUrl };
    const services = servicesOf(config);
    services[canaryService] = {
        ...services[canaryService],
        replicas,
        rollout: { minReadySeconds, strategy: "canary", canary: { steps, analysis } },
    };
    services[rollingService] = { ...services[rollingService], replicas: 2 };
    return config;
}

/** How an `up` ended: its result or its error, and when. */
type UpOutcome = { ok: true; events: EngineEvent[]; startedAt: number; endedAt: number } | { ok: false; error: Error; startedAt: number; endedAt: number };

/** Runs `up` with the configuration and resolves with how it ended, never rejecting. */
async function upWith(stack: Stack, config: StackFileConfig): Promise<UpOutcome> {
    await writeStackConfig(stack, config);
    const events: EngineEvent[] = [];
    const startedAt = Date.now();
    try {
        await stack.up({ onEvent: (event) => events.push(event) });
        return { ok: true, events, startedAt, endedAt: Date.now() };
    } catch (error) {
        return { ok: false, error: error instanceof Error ? error : new Error(String(error)), startedAt, endedAt: Date.now() };
    }
}

function describeOutcome(outcome: UpOutcome): string {
    return outcome.ok ? "succeeded" : `failed: ${outcome.error.message.split("\n").slice(-15).join("\n")}`;
}

/** The line of a failed `up` that says why: the canary's message, else the last line. */
function upError(outcome: UpOutcome): string {
    if (outcome.ok) {
        return "";
    }
    const lines = outcome.error.message.split("\n").map((line) => line.trim());
    return lines.find((line) => line.includes(`${canaryService}: the canary`)) ?? lines.filter((line) => line.length > 0).pop() ?? "";
}

/** The load summary as a figure. */
function describeLoad(load: LoadSummary): string {
    return `${load.failed}/${load.requests} requests failed at ${loadRate}/s, p99 ${Math.round(load.p99Ms)} ms`;
}

/** The Rollout once it is settled: fully promoted, or aborted. */
async function settledRollout(deadlineMs: number): Promise<RolloutState> {
    let last: RolloutState | undefined;
    return pollUntil(
        `the ${canaryService} Rollout to be promoted or aborted`,
        async () => {
            last = await readRollout(namespace, canaryService);
            return notPromoted(last) === undefined || last.status?.abort === true ? last : undefined;
        },
        { timeoutMs: deadlineMs, intervalMs: 500, lastSeen: () => JSON.stringify(last?.status) },
    );
}

/** The AnalysisRuns created at or after `since` (ms since the epoch, to the second). */
async function runsSince(since: number): Promise<AnalysisRunState[]> {
    const runs = await analysisRuns(namespace);
    return runs.filter((run) => Date.parse(run.metadata.creationTimestamp) >= Math.floor(since / 1000) * 1000);
}

/** Sends `count` requests through the canary service's Service at the load rate; resolves with what each answered. */
async function sample(count: number, accept: (body: unknown) => boolean): Promise<LoadSummary> {
    const load = new FixedRateLoad({
        target: await serviceTarget(namespace, canaryService),
        path: "/hello?name=Canary",
        ratePerSecond: loadRate,
        timeoutMs: 5000,
        keepAlive: false,
        accept: (answer) => {
            try {
                return answer.status === 200 && accept(JSON.parse(answer.body));
            } catch {
                return false;
            }
        },
    });
    load.start();
    await pollUntil(`${count} requests to be answered`, () => (load.records.length >= count ? true : undefined), {
        timeoutMs: (count / loadRate) * 1000 + 30_000,
        intervalMs: 50,
    });
    return summarize(await load.finish());
}

/** Every number in a message. */
function numbersIn(message: string): number[] {
    return [...message.matchAll(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g)].map((match) => Number(match[0]));
}

describe("canary releases on the test cluster (npm run test:canary)", function () {
    this.timeout(rolloutTimeoutMs);
    const figures: string[] = [];
    let sandboxDirectory = "";
    let sandbox: EngineSandbox | undefined;
    let prometheus: ClusterPrometheus | undefined;
    let images: Images;
    let stack: Stack;
    /** The configuration last deployed successfully, and the digests it runs. */
    let deployed: { hello: string; quotes: string };
    /** The rolling service's Deployment as the last `up` that changed it left it. */
    let rollingBefore: { uid: string; generation: number };

    const engine = (): EngineSandbox => {
        assert.ok(sandbox, "the engine sandbox did not open");
        return sandbox;
    };
    const prometheusUrl = (): string => {
        assert.ok(prometheus, "Prometheus did not start");
        return prometheus.url;
    };
    const config = (hello: string, quotes: string): StackFileConfig => canaryStack(hello, quotes, prometheusUrl());

    /**
     * `up` with the configuration under load through the canary's Service, the Rollout watched,
     * until the Rollout is settled (should `up` return early, the load still covers the canary).
     */
    async function releaseUnderLoad(
        next: StackFileConfig,
    ): Promise<{ outcome: UpOutcome; load: LoadSummary; records: readonly RequestRecord[]; timeline: RolloutTimeline }> {
        const timeline = watchRollout(namespace, canaryService);
        try {
            const release = async (): Promise<UpOutcome> => {
                const outcome = await upWith(stack, next);
                const settled = await settledRollout(rolloutTimeoutMs);
                // After an abort the load goes on until the canary is out of the Service, so that every request it failed counts.
                if (settled.status?.abort === true) {
                    await waitStableOnly(namespace, canaryService, canaryService, settled.status.stableRS ?? "", rolloutTimeoutMs);
                }
                return outcome;
            };
            const { result, load, records } = await underLoad(namespace, canaryService, version, release, freshConnections);
            return { outcome: result, load, records, timeline };
        } finally {
            timeline.stop();
        }
    }

    before(async function () {
        this.timeout(30 * 60_000);
        const environment = clusterEnvironment();
        await removeNamespace(namespace, rolloutTimeoutMs);
        sandboxDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-canary-"));
        sandbox = await openSandbox(sandboxDirectory);
        prometheus = await ClusterPrometheus.start(environment.kubeconfig, namespace);

        const started = Date.now();
        const build = await buildServiceImages([canaryService, rollingService], version);
        const faulty = await buildFixtureImage("faulty", faultyVersion);
        figures.push(`images: ${build.command} and ${faulty.command} took ${seconds(Date.now() - started)}`);
        const hello = build.images.get(canaryService)?.image ?? "";
        const quotes = build.images.get(rollingService)?.image ?? "";
        const local = [
            hello,
            await deriveImage(hello, "io.go-services.canary.version", "2"),
            await deriveImage(hello, "io.go-services.canary.version", "3"),
            faulty.images.get("faulty")?.image ?? "",
            quotes,
            await deriveImage(quotes, "io.go-services.canary.version", "2"),
        ];
        const [helloFirst = "", helloGood = "", helloThird = "", faultyPushed = "", quotesFirst = "", quotesNext = ""] = await pushImages(local);
        images = { hello: helloFirst, helloGood, helloThird, faulty: faultyPushed, quotes: quotesFirst, quotesNext };
    });

    after(async function () {
        this.timeout(rolloutTimeoutMs);
        // A failed test leaves its stack: destroy it, so the next run starts from an empty cluster.
        const left = sandbox ? await Stack.select(stackName, sandbox.workspace).catch(() => undefined) : undefined;
        if (left && (await stateResources(left)).length > 0) {
            await left.destroy().catch((error: unknown) => figures.push(`cleanup: destroying ${stackName} failed: ${String(error)}`));
        }
        await removeNamespace(namespace, rolloutTimeoutMs).catch((error: unknown) => figures.push(`cleanup: ${String(error)}`));
        await prometheus?.remove();
        if (sandboxDirectory !== "") {
            fs.rmSync(sandboxDirectory, { recursive: true, force: true });
        }
        process.stdout.write(`\nFigures of the canary run:\n${figures.map((line) => `  ${line}`).join("\n")}\n`);
    });

    it("0. up creates the stack: the canary's first version goes straight to stable, the rolling service rolls out", async function () {
        stack = await createStack(engine(), stackName, config(images.hello, images.quotes), {
            [kubeconfigKey]: fs.readFileSync(clusterEnvironment().kubeconfig, "utf8"),
        });
        const outcome = await upWith(stack, config(images.hello, images.quotes));
        figures.push(`${stackName}: first up ${outcome.ok ? "succeeded" : `failed (${upError(outcome)})`} in ${seconds(outcome.endedAt - outcome.startedAt)}`);
        const rollout = await settledRollout(rolloutTimeoutMs);
        assert.strictEqual(notPromoted(rollout), undefined);
        const quotes = await readDeployment(namespace, rollingService);
        assert.strictEqual(rolloutIncomplete(quotes), undefined);
        rollingBefore = { uid: quotes.metadata.uid, generation: quotes.metadata.generation };
        await pollUntil(
            `Prometheus to scrape all ${replicas} ${canaryService} pods`,
            async () => ((await prometheus?.podsUp(canaryService))?.length === replicas ? true : undefined),
            { timeoutMs: 60_000, intervalMs: 500 },
        );
        deployed = { hello: images.hello, quotes: images.quotes };
        assert.ok(outcome.ok, `up ${describeOutcome(outcome)}`);
    });

    it(`1. a good new digest goes through every step and is promoted; up returns only then; no request fails at ${loadRate}/s`, async function () {
        const before = await readRollout(namespace, canaryService);
        const { outcome, load, timeline } = await releaseUnderLoad(config(images.helloGood, deployed.quotes));
        const returnedAt = outcome.endedAt;
        const rollout = await readRollout(namespace, canaryService);
        assert.strictEqual(notPromoted(rollout), undefined, "promoted");
        assert.notStrictEqual(rollout.status?.stableRS, before.status?.stableRS, "a new stable pod template");
        const promotedAt = timeline.first(outcome.startedAt, (event) => event.phase === "Healthy" && event.stableRS === rollout.status?.stableRS)?.at;
        assert.ok(promotedAt !== undefined, `the watch saw the promotion: ${JSON.stringify(timeline.events())}`);

        // Every step: each weight, then an analysis that passed.
        const runs = await runsSince(outcome.startedAt);
        assert.deepStrictEqual(
            runs.map((run) => run.status?.phase),
            steps.map(() => "Successful"),
            `one successful analysis per step: ${JSON.stringify(runs.map((run) => run.status))}`,
        );
        const stepsSeen = new Set(timeline.events().map((event) => event.step));
        for (let index = 0; index < steps.length * 2; index++) {
            assert.ok(stepsSeen.has(String(index)), `step ${index} seen: ${[...stepsSeen].join(", ")}`);
        }
        assert.strictEqual(load.failed, 0, `${load.failed} of ${load.requests} requests failed: ${load.failures.join("; ")}`);
        figures.push(
            `good digest: up start to full promotion ${seconds(promotedAt - outcome.startedAt)}, up returned after ${seconds(returnedAt - outcome.startedAt)}; ${describeLoad(load)}`,
        );
        // The engine's side: up waited for the promotion.
        assert.ok(outcome.ok, `up ${describeOutcome(outcome)}`);
        assert.ok(returnedAt >= promotedAt, `up returned ${seconds(promotedAt - returnedAt)} before the promotion`);
        deployed = { ...deployed, hello: images.helloGood };
    });

    it(`2. a bad version is aborted by its analysis, fails at most ${failedRequestsBound} requests, stable serves all after, and up fails saying why`, async function () {
        const before = await readRollout(namespace, canaryService);
        // quotes moves to a new digest in the same up: its rolling update must not depend on hello's canary.
        const { outcome, load, records, timeline } = await releaseUnderLoad(config(images.faulty, images.quotesNext));
        deployed = { ...deployed, quotes: images.quotesNext };
        const rollout = await readRollout(namespace, canaryService);
        assert.strictEqual(rollout.status?.abort, true, `aborted: ${JSON.stringify(rollout.status)}`);
        assert.strictEqual(rollout.status.stableRS, before.status?.stableRS, "the stable pod template stays");
        const abortedAt = timeline.first(outcome.startedAt, (event) => event.abort)?.at;
        assert.ok(abortedAt !== undefined, `the watch saw the abort: ${JSON.stringify(timeline.events())}`);

        // Aborted by the analysis: the error ratio measured above its threshold.
        const [run, ...others] = await runsSince(outcome.startedAt);
        assert.ok(run && others.length === 0, "one analysis ran");
        assert.strictEqual(run.status?.phase, "Failed", JSON.stringify(run.status));
        const errorRatio = run.status.metricResults?.find((metric) => metric.name === analysisMetricNames.errorRatio);
        assert.strictEqual(errorRatio?.phase, "Failed", JSON.stringify(run.status.metricResults));
        const measured = numbersIn(errorRatio.measurements?.find((measurement) => measurement.phase === "Failed")?.value ?? "")[0];
        assert.ok(measured !== undefined && measured > defaultAlertThresholds.errorRatio, `measured error ratio ${String(measured)}`);

        // The requests the bad version failed, against the bound.
        const failures = records.filter((record) => !record.ok);
        const firstBad = failures[0];
        assert.ok(firstBad, "the bad version answered some requests");
        assert.ok(failures.length <= failedRequestsBound, `${failures.length} failed requests, above the bound ${failedRequestsBound}`);
        figures.push(
            `bad version: first failed request to abort ${seconds(abortedAt - firstBad.sentAt)}; ${failures.length} failed of ${load.requests} (bound ${failedRequestsBound}: ${loadRate}/s x ${canaryShare} x ${failureShare} x ${exposureSeconds} s); measured error ratio ${measured}`,
        );

        // Stable serves every request afterwards, with the stable version.
        const after = await sample(loadRate * 5, (body) => (body as { version?: unknown }).version === version);
        assert.strictEqual(
            after.failed,
            0,
            `after the abort: ${after.failed} of ${after.requests} requests failed or were not stable's: ${after.failures.join("; ")}`,
        );

        // The rolling service rolled out its new digest in the same up.
        const quotes = await readDeployment(namespace, rollingService);
        assert.strictEqual(rolloutIncomplete(quotes), undefined);
        assert.strictEqual(quotes.spec.template.spec.containers[0]?.image, images.quotesNext);
        rollingBefore = { uid: quotes.metadata.uid, generation: quotes.metadata.generation };

        // The engine's side: up failed soon after the abort, naming the service, metric, value, threshold and the way back.
        assert.ok(!outcome.ok, "up failed");
        figures.push(
            `bad version: up failed ${seconds(outcome.endedAt - abortedAt)} after the abort, ${seconds(outcome.endedAt - outcome.startedAt)} after it started: ${upError(outcome)}`,
        );
        assert.ok(outcome.endedAt - abortedAt <= failAfterAbortMs, `up failed ${seconds(outcome.endedAt - abortedAt)} after the abort`);
        assert.ok(outcome.endedAt - outcome.startedAt < rolloutTimeoutMs / 2, "well before the rollout timeout");
        const message = outcome.error.message;
        assert.ok(message.includes(canaryService), `the service in: ${message}`);
        assert.ok(message.includes(analysisMetricNames.errorRatio), `the metric in: ${message}`);
        const numbers = numbersIn(message);
        assert.ok(
            numbers.some((value) => Math.abs(value - measured) <= 0.01),
            `the measured value ${measured} in: ${message}`,
        );
        assert.ok(numbers.includes(defaultAlertThresholds.errorRatio), `the threshold ${defaultAlertThresholds.errorRatio} in: ${message}`);
        assert.match(message, /revert/i, "the way back");
    });

    it("3. the next up with the version reverted returns to stable at once", async function () {
        const before = await readRollout(namespace, canaryService);
        const { result: outcome, load } = await underLoad(
            namespace,
            canaryService,
            version,
            async () => {
                const upOutcome = await upWith(stack, config(deployed.hello, deployed.quotes));
                await settledRollout(quickUpMs);
                return upOutcome;
            },
            freshConnections,
        );
        const rollout = await readRollout(namespace, canaryService);
        assert.strictEqual(notPromoted(rollout), undefined, "back to stable");
        assert.strictEqual(rollout.status?.stableRS, before.status?.stableRS, "the same stable pod template");
        assert.deepStrictEqual(await runsSince(outcome.startedAt), [], "no analysis: nothing new to judge");
        assert.strictEqual(load.failed, 0, `${load.failed} of ${load.requests} requests failed: ${load.failures.join("; ")}`);
        figures.push(`revert: up ${seconds(outcome.endedAt - outcome.startedAt)}, ${describeLoad(load)}`);
        assert.ok(outcome.ok, `up ${describeOutcome(outcome)}`);
        assert.ok(outcome.endedAt - outcome.startedAt <= quickUpMs, `up took ${seconds(outcome.endedAt - outcome.startedAt)}`);
        const changed = changingSteps(outcome.events).filter((step) => step.type.startsWith("kubernetes:"));
        assert.deepStrictEqual(
            changed.map((step) => step.type),
            ["kubernetes:argoproj.io/v1alpha1:Rollout"],
            "only the Rollout changes",
        );
    });

    it("4. with Prometheus unreachable during an analysis, the rollout does not promote and up fails", async function () {
        const server = prometheus;
        assert.ok(server);
        const before = await readRollout(namespace, canaryService);
        const started = Date.now();
        let up: Promise<UpOutcome> | undefined;
        // Under load, so that the analysis would have data to judge: what stops it is Prometheus alone.
        const { result: rollout, load } = await underLoad(
            namespace,
            canaryService,
            version,
            async () => {
                up = upWith(stack, config(images.helloThird, deployed.quotes));
                try {
                    await pollUntil("the first analysis of the new version to start", async () => ((await runsSince(started)).length > 0 ? true : undefined), {
                        timeoutMs: rolloutTimeoutMs / 2,
                        intervalMs: 250,
                    });
                    await server.stop();
                    const settled = await settledRollout(rolloutTimeoutMs);
                    if (settled.status?.abort === true) {
                        await waitStableOnly(namespace, canaryService, canaryService, settled.status.stableRS ?? "", rolloutTimeoutMs);
                    }
                    return settled;
                } finally {
                    await server.resume();
                }
            },
            freshConnections,
        );
        const outcome = await (up ?? Promise.reject(new Error("up did not start")));
        assert.strictEqual(rollout.status?.abort, true, `not promoted, aborted: ${JSON.stringify(rollout.status)}`);
        assert.strictEqual(rollout.status.stableRS, before.status?.stableRS, "the stable pod template stays");
        const runs = await runsSince(started);
        assert.ok(
            runs.some((run) => run.status?.phase === "Error"),
            `an analysis erred: ${JSON.stringify(runs.map((run) => run.status))}`,
        );
        assert.strictEqual(load.failed, 0, `${load.failed} of ${load.requests} requests failed: ${load.failures.join("; ")}`);
        figures.push(`Prometheus unreachable: up failed after ${seconds(outcome.endedAt - outcome.startedAt)}: ${upError(outcome)}; ${describeLoad(load)}`);
        assert.ok(!outcome.ok, "up failed");
        assert.ok(outcome.error.message.includes(canaryService), `the service in: ${outcome.error.message}`);
        assert.ok(outcome.error.message.includes(server.url), `Prometheus's address in: ${outcome.error.message}`);
        const reverted = await upWith(stack, config(deployed.hello, deployed.quotes));
        assert.ok(reverted.ok, `the revert's up ${describeOutcome(reverted)}`);
        assert.strictEqual(notPromoted(await settledRollout(quickUpMs)), undefined, "back to stable");
    });

    it("5. the rolling service was left alone by every canary release", async function () {
        const quotes = await readDeployment(namespace, rollingService);
        assert.strictEqual(rolloutIncomplete(quotes), undefined);
        assert.deepStrictEqual({ uid: quotes.metadata.uid, generation: quotes.metadata.generation }, rollingBefore);
        assert.strictEqual(quotes.spec.template.spec.containers[0]?.image, deployed.quotes);
        await stack.destroy();
        assert.notStrictEqual((await kubectlResult(["get", "namespace", namespace])).code, 0, `namespace ${namespace} after destroy`);
        await engine().workspace.removeStack(stackName);
    });
});
