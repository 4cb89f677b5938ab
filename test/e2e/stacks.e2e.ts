/**
 * End to end on a real container runtime: every Deployment the dev and prod stacks declare,
 * evaluated offline the way the unit tests and `npm run synth` evaluate them, runs under
 * `podman kube play` with the service image built from the golden Dockerfile. The pod spec
 * is the program's, but for the image and a port published on 127.0.0.1. The tests act as
 * the kubelet (support/prober.ts) and assert from the runtime, never from the manifest: what
 * the kernel applied to the process, what its cgroup enforces, what the endpoints answer, and
 * how the pod behaves under load, on SIGTERM and on a crash.
 *
 * Mocha runs with --delay: the stacks are evaluated before the suites are declared, so that
 * each Deployment gets its own suite.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { evaluateStack } from "../../scripts/lib/evaluate";
import { toYaml } from "../../scripts/lib/manifests";
import {
    declaredProbes,
    DeclaredWorkload,
    declaredWorkloads,
    e2eNamePrefix,
    envValue,
    expectedPodmanChanges,
    forPodman,
    goDurationSeconds,
    podmanChanges,
    PodmanWorkload,
    publishAddress,
} from "./support/deployments";
import { serviceEndpoints, ServiceEndpoints, smokePath } from "./support/endpoints";
import { Figures } from "./support/figures";
import { assertConfined, assertLimits, assertReadOnlyRoot, declaredLimits } from "./support/hardening";
import { httpGet, HttpOutcome, HttpTarget, slowGet } from "./support/http";
import { buildServiceImages, e2eImageTag, ImageBuild } from "./support/images";
import { FixedRateLoad, summarize } from "./support/loadGenerator";
import {
    ContainerInspection,
    containersNamed,
    inspectContainer,
    kubePlay,
    podsNamed,
    rememberPod,
    removeLeftovers,
    removePod,
    removeStartedPods,
    stopContainer,
} from "./support/podman";
import { httpProbeCheck, KubeletProber, ProbeKind, ProbeSpec } from "./support/prober";
import { cgroupOf, memoryLimit, memoryPeak, memoryUsage, oomKills, processAlive, processStatus } from "./support/runtime";
import { delay, pollUntil, until } from "./support/wait";

const stacks = ["dev", "prod"] as const;

/** The fixed rate of the load generator, requests/s, and how long the steady load lasts. */
const loadRate = 200;
const loadSeconds = 20;

/**
 * How long after SIGTERM the load generator still routes new requests to the pod. In
 * Kubernetes the endpoints controller removes a terminating pod from its Services at once,
 * but kube-proxy and ingress controllers apply that with a delay, during which requests
 * still arrive; SHUTDOWN_DRAIN (the pod keeps serving after /readyz turned 503) exists to
 * cover it. The load generator models that propagation: it keeps sending for this long after
 * SIGTERM, then sends nothing new (its traffic would go to other endpoints), and every request
 * it sent, those in flight at SIGTERM included, must succeed. Well under SHUTDOWN_DRAIN.
 */
const endpointPropagationMs = 1000;

/**
 * Requests held in flight across SIGTERM: their connections are accepted and their headers
 * are arriving when SIGTERM comes, and they complete this long after it. (At 200 requests/s
 * answered in a millisecond, the load alone seldom has a request in flight at that instant.)
 */
const heldRequests = 5;
const heldRequestMs = 500;

/** Process starts measured for the start-to-ready figure. */
const startToReadyRuns = 5;

/**
 * How long before a liveness probe is due the crash test SIGKILLs the process. podman
 * restarts a killed container in about half a second, so a probe at an arbitrary moment of
 * the 10 s period would almost never see the crash; killing just before a probe is due makes
 * that probe meet the dead process, as it would meet a hung one.
 */
const killBeforeLivenessMs = 100;

/** What a running pod of the test is made of. */
interface RunningPod {
    readonly workload: PodmanWorkload;
    readonly declared: DeclaredWorkload;
    readonly endpoints: ServiceEndpoints;
    readonly target: HttpTarget;
    readonly prober: KubeletProber;
    /** The load started by the load test and stopped by the shutdown test. */
    load?: FixedRateLoad;
}

/** A port free on 127.0.0.1 now, to publish a pod's container port on. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, publishAddress, () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

function probeOf(prober: KubeletProber, kind: ProbeKind): ProbeSpec {
    const spec = prober.spec(kind);
    assert.ok(spec, `the container declares no ${kind} probe`);
    return spec;
}

/** The first moment from now that is `leadMs` before a probe of `kind` is due (probes tick every period). */
function aheadOfProbe(prober: KubeletProber, kind: ProbeKind, leadMs: number): number {
    const periodMs = probeOf(prober, kind).periodSeconds * 1000;
    let at = (prober.nextTickAt(kind) ?? Date.now()) - leadMs;
    while (at < Date.now()) {
        at += periodMs;
    }
    return at;
}

/** Longest the kubelet waits for a container to start and turn ready, by its probes. */
function startupBudgetMs(prober: KubeletProber): number {
    const startup = probeOf(prober, "startup");
    const readiness = probeOf(prober, "readiness");
    return (startup.initialDelaySeconds + startup.periodSeconds * startup.failureThreshold + readiness.periodSeconds * readiness.successThreshold) * 1000;
}

/** Waits until the prober finds the container ready; fails if the kubelet would have killed it instead. */
async function waitReady(pod: RunningPod, what: string): Promise<void> {
    await pod.prober.waitFor(what, (prober) => prober.ready || prober.killRequested !== undefined, startupBudgetMs(pod.prober));
    assert.strictEqual(pod.prober.killRequested, undefined, `the kubelet would have killed the container: ${pod.prober.killRequested ?? ""}`);
}

/** Polls podman until the container runs a process other than `previous`'s, after a restart. */
function waitRestarted(pod: RunningPod, previous: ContainerInspection, timeoutMs: number): Promise<ContainerInspection> {
    return pollUntil(
        `${pod.workload.containerName} to be restarted`,
        async () => {
            const now = await inspectContainer(pod.workload.containerName);
            return now.running && now.pid !== previous.pid && now.restartCount > previous.restartCount ? now : undefined;
        },
        { timeoutMs, intervalMs: 20 },
    );
}

/** Polls the readiness endpoint as fast as it answers; resolves when it first answers 200. */
function firstReady(pod: RunningPod, timeoutMs: number): Promise<number> {
    const readinessPath = probeOf(pod.prober, "readiness").path;
    return pollUntil(
        `${readinessPath} to answer 200`,
        async () => {
            const outcome = await httpGet(pod.target, readinessPath, 1000);
            return outcome.kind === "response" && outcome.status === 200 ? Date.now() : undefined;
        },
        { timeoutMs, intervalMs: 5 },
    );
}

/** Whether a load answer is a correct one. */
function acceptsLoad(endpoints: ServiceEndpoints): (answer: HttpOutcome) => boolean {
    return (answer) => {
        if (answer.kind !== "response" || answer.status !== 200 || !answer.contentType.startsWith("application/json")) {
            return false;
        }
        try {
            return endpoints.acceptLoad(JSON.parse(answer.body));
        } catch {
            return false;
        }
    };
}

/** Declares the suites of one stack. */
function describeStack(stack: (typeof stacks)[number], workloads: readonly DeclaredWorkload[], build: () => ImageBuild, figures: Figures): void {
    describe(`the ${stack} stack`, function () {
        const pods = new Map<string, RunningPod>();
        /** Every pod of the stack podman was asked to create, whether or not that succeeded. */
        const podNames: string[] = [];

        before(async function () {
            const manifestDirectory = fs.mkdtempSync(path.join(os.tmpdir(), `${e2eNamePrefix}${stack}-`));
            try {
                for (const declared of workloads) {
                    const image = build().images.get(declared.service);
                    assert.ok(image, `no image was built for ${declared.service}`);
                    const workload = forPodman(declared, image.image, await freePort());
                    const file = path.join(manifestDirectory, `${workload.podName}.yaml`);
                    fs.writeFileSync(file, toYaml(workload.manifest));
                    rememberPod(workload.podName);
                    podNames.push(workload.podName);
                    await kubePlay(file);
                    const inspection = await inspectContainer(workload.containerName);
                    const target = { host: publishAddress, port: workload.hostPort };
                    const prober = new KubeletProber(declaredProbes(declared.container), httpProbeCheck(target));
                    prober.start(inspection.startedAt);
                    const endpoints = serviceEndpoints(declared.service, e2eImageTag, smokePath(declared.service));
                    pods.set(declared.service, { workload, declared, endpoints, target, prober });
                }
            } finally {
                fs.rmSync(manifestDirectory, { recursive: true, force: true });
            }
        });

        after(async function () {
            for (const pod of pods.values()) {
                pod.prober.stop();
                await pod.load?.finish();
            }
            for (const name of podNames) {
                await removePod(name);
            }
            const prefix = `${e2eNamePrefix}${stack}-`;
            const left = [...(await podsNamed(prefix)), ...(await containersNamed(prefix))];
            assert.deepStrictEqual(left, [], `pods or containers left behind by the ${stack} stack`);
        });

        for (const declared of workloads) {
            describe(`${stack}/${declared.service}`, function () {
                const pod = (): RunningPod => {
                    const running = pods.get(declared.service);
                    assert.ok(running, `the pod of ${declared.service} was not started`);
                    return running;
                };

                it("is played with the declared pod spec: only the image and the published port differ", () => {
                    assert.deepStrictEqual(podmanChanges(pod().workload), expectedPodmanChanges(declared));
                    assert.match(declared.container.image ?? "", /@sha256:[0-9a-f]{64}$/, "the declared image is pinned by digest");
                });

                it("passes its startup probe, then readiness, probed as declared", async () => {
                    const { prober } = pod();
                    await waitReady(pod(), "the startup probe, then readiness");
                    const startup = probeOf(prober, "startup");
                    const startupRecords = prober.recordsOf("startup");
                    const firstSuccess = startupRecords.find((record) => record.ok);
                    assert.ok(firstSuccess, "the startup probe succeeded");
                    const gated = [...prober.recordsOf("liveness"), ...prober.recordsOf("readiness")].filter(
                        (record) => record.sentAt < firstSuccess.completedAt,
                    );
                    assert.deepStrictEqual(gated, [], "no liveness or readiness probe before the startup probe succeeded");
                    for (const [index, record] of startupRecords.entries()) {
                        const previous = startupRecords[index - 1];
                        if (previous) {
                            const gap = record.sentAt - previous.sentAt;
                            assert.ok(
                                Math.abs(gap - startup.periodSeconds * 1000) < 250,
                                `startup probes ${gap} ms apart, declared every ${startup.periodSeconds} s`,
                            );
                        }
                    }
                    assert.ok(prober.recordsOf("readiness").some((record) => record.ok && record.detail === "HTTP 200"));
                });

                it("runs as 65532:65532 with no capabilities, no privilege escalation and a seccomp filter", async () => {
                    const inspection = await inspectContainer(pod().workload.containerName);
                    assertConfined(declared, inspection.pid);
                    figures.record(stack, declared.service, { idleRssKiB: processStatus(inspection.pid).vmRssKiB });
                });

                it("has a read-only root filesystem: a write outside /tmp fails, one in /tmp works", async () => {
                    await assertReadOnlyRoot(declared, await inspectContainer(pod().workload.containerName));
                });

                it("runs under the memory and CPU limits of the manifest", async () => {
                    assertLimits(declared, await inspectContainer(pod().workload.containerName));
                });

                it("answers its endpoints correctly", async () => {
                    for (const expected of pod().endpoints.expectations) {
                        const outcome = await httpGet(pod().target, expected.path, 2000);
                        assert.ok(outcome.kind === "response", `GET ${expected.path}: ${outcome.kind === "error" ? outcome.code : ""}`);
                        assert.strictEqual(outcome.status, expected.status, `GET ${expected.path}: ${outcome.body}`);
                        assert.match(outcome.contentType, /^application\/json/, `GET ${expected.path}: content type`);
                        expected.body(JSON.parse(outcome.body));
                    }
                });

                it("is caught by its liveness probe when SIGKILLed, and its restart policy brings it back ready with the same hardening", async () => {
                    const running = pod();
                    const { prober } = running;
                    const liveness = probeOf(prober, "liveness");
                    const detectionBudgetMs = liveness.periodSeconds * liveness.failureThreshold * 1000;
                    assert.strictEqual(declared.pod.restartPolicy ?? "Always", "Always", "the Deployment's pods restart always");
                    const before = await inspectContainer(running.workload.containerName);
                    assert.strictEqual(before.restartPolicy, "always", "podman inspect HostConfig.RestartPolicy");

                    const killAt = aheadOfProbe(prober, "liveness", killBeforeLivenessMs);
                    await until(killAt);
                    const killedAt = Date.now();
                    process.kill(before.pid, "SIGKILL");

                    await prober.waitFor("a failed liveness probe", (p) => p.recordsOf("liveness", killedAt).some((record) => !record.ok), detectionBudgetMs);
                    const failure = prober.recordsOf("liveness", killedAt).find((record) => !record.ok);
                    assert.ok(failure);
                    const seenAfterMs = failure.completedAt - killedAt;
                    assert.ok(seenAfterMs <= detectionBudgetMs, `liveness saw the crash after ${seenAfterMs} ms, more than ${detectionBudgetMs} ms`);

                    const after = await waitRestarted(running, before, detectionBudgetMs);
                    prober.start(after.startedAt);
                    await waitReady(running, "ready again after the restart");
                    const readyAgainAfterMs = Date.now() - killedAt;
                    figures.record(stack, declared.service, { crash: { livenessFailureAfterMs: seenAfterMs, readyAgainAfterMs } });

                    assert.strictEqual(after.restartCount, before.restartCount + 1, "restarted once");
                    assertConfined(declared, after.pid);
                    await assertReadOnlyRoot(declared, after);
                    assertLimits(declared, after);
                });

                it(`turns ready quickly after its process starts (median of ${startToReadyRuns} starts)`, async () => {
                    const running = pod();
                    const budgetMs = startupBudgetMs(running.prober);
                    const samples: number[] = [];
                    running.prober.stop();
                    let latest = await inspectContainer(running.workload.containerName);
                    const starts: string[] = [];
                    for (let run = 0; run < startToReadyRuns; run += 1) {
                        const previous = latest;
                        const killedAt = Date.now();
                        process.kill(previous.pid, "SIGKILL");
                        await pollUntil(`process ${previous.pid} to exit`, () => (processAlive(previous.pid) ? undefined : true), {
                            timeoutMs: 5000,
                            intervalMs: 5,
                        });
                        // The old process is gone, so the first 200 comes from the new one.
                        const readyAt = await firstReady(running, budgetMs);
                        latest = await waitRestarted(running, previous, 5000);
                        starts.push(`killed at +0, started at +${(latest.startedAt - killedAt).toFixed(1)}, ready at +${readyAt - killedAt} ms`);
                        // podman stamps StartedAt just after `runc start` returns, a little after the
                        // process has started: a service ready within that gap measures 0, not less.
                        samples.push(Math.max(0, readyAt - latest.startedAt));
                        assert.ok(
                            latest.startedAt > killedAt,
                            `start ${run + 1}: podman's StartedAt is before the SIGKILL that caused the restart; ${starts.join("; ")}`,
                        );
                    }
                    running.prober.start(latest.startedAt);
                    await waitReady(running, "ready after the last start");
                    figures.record(stack, declared.service, { startToReadyMs: samples });
                    assert.ok(
                        samples.every((sample) => sample < budgetMs),
                        `process start to ready: ${samples.map((sample) => sample.toFixed(1)).join(", ")} ms; each must be within the startup budget of ${budgetMs} ms`,
                    );
                });

                it(`sustains ${loadRate} requests/s for ${loadSeconds} s without being OOM-killed, its memory peaking below its limit`, async () => {
                    const running = pod();
                    const before = await inspectContainer(running.workload.containerName);
                    const cgroup = cgroupOf(before.pid);
                    const limitBytes = declaredLimits(declared).memoryBytes;
                    assert.strictEqual(memoryLimit(cgroup), limitBytes);
                    const oomKillsBefore = oomKills(cgroup);

                    let sampledPeak = memoryUsage(cgroup);
                    const sampler = setInterval(() => {
                        sampledPeak = Math.max(sampledPeak, memoryUsage(cgroup));
                    }, 100);
                    const load = new FixedRateLoad({
                        target: running.target,
                        path: running.endpoints.loadPath,
                        ratePerSecond: loadRate,
                        timeoutMs: 5000,
                        accept: acceptsLoad(running.endpoints),
                    });
                    running.load = load;
                    try {
                        load.start();
                        await delay(loadSeconds * 1000);
                    } finally {
                        clearInterval(sampler);
                    }
                    const peakBytes = Math.max(sampledPeak, memoryPeak(cgroup) ?? 0);
                    const summary = summarize(load.records);
                    const after = await inspectContainer(running.workload.containerName);
                    figures.record(stack, declared.service, {
                        memoryLimitBytes: limitBytes,
                        peakMemoryBytes: peakBytes,
                        load: {
                            ratePerSecond: loadRate,
                            seconds: loadSeconds,
                            requests: summary.requests,
                            failed: summary.failed,
                            p50Ms: summary.p50Ms,
                            p99Ms: summary.p99Ms,
                            maxMs: summary.maxMs,
                        },
                    });

                    assert.ok(
                        after.running && after.pid === before.pid && after.restartCount === before.restartCount,
                        "the same process ran throughout the load",
                    );
                    assert.strictEqual(oomKills(cgroup) - oomKillsBefore, 0, `OOM kills in ${cgroup.memoryDirectory}`);
                    assert.strictEqual(after.oomKilled, false, "podman inspect State.OOMKilled");
                    assert.ok(peakBytes < limitBytes, `memory peaked at ${peakBytes} bytes, the limit is ${limitBytes}`);
                    assert.strictEqual(summary.failed, 0, `failed requests: ${summary.failures.join("; ")}`);
                    assert.ok(
                        summary.requests >= loadRate * loadSeconds * 0.95,
                        `${summary.requests} requests answered in ${loadSeconds} s at ${loadRate}/s: the load was not sustained`,
                    );
                });

                it("drains on SIGTERM under load: /readyz turns 503 within a readiness period, no request fails, exit 0 within the grace period", async () => {
                    const running = pod();
                    const { prober } = running;
                    const load = running.load;
                    assert.ok(load, "the load test left no load running");
                    const readiness = probeOf(prober, "readiness");
                    const periodMs = readiness.periodSeconds * 1000;
                    const graceSeconds = declared.pod.terminationGracePeriodSeconds ?? 30;
                    const drainMs = goDurationSeconds(envValue(declared.container, "SHUTDOWN_DRAIN")) * 1000;
                    const before = await inspectContainer(running.workload.containerName);

                    // SIGTERM half a period before a readiness probe is due, so that the probe meets
                    // the drain and not its end (SHUTDOWN_DRAIN may equal the readiness period).
                    const sigtermAt = aheadOfProbe(prober, "readiness", periodMs / 2);
                    let finishHeld = (): void => undefined;
                    const held = new Promise<void>((resolve) => (finishHeld = resolve));
                    await until(sigtermAt - 100);
                    const heldInFlight = Array.from({ length: heldRequests }, () => slowGet(running.target, running.endpoints.loadPath, held, 10000));
                    await Promise.all(heldInFlight.map((request) => request.started));
                    await until(sigtermAt);
                    const stoppingAt = Date.now();
                    const propagation = setTimeout(() => load.stopRouting(), endpointPropagationMs);
                    const release = setTimeout(finishHeld, heldRequestMs);
                    try {
                        await stopContainer(running.workload.containerName, graceSeconds);
                    } finally {
                        clearTimeout(propagation);
                        clearTimeout(release);
                        finishHeld();
                        prober.stop();
                    }
                    const heldOutcomes = await Promise.all(heldInFlight.map((request) => request.outcome));
                    const records = await load.finish();
                    running.load = undefined;
                    const after = await inspectContainer(running.workload.containerName);

                    const firstReadiness = prober.recordsOf("readiness", stoppingAt)[0];
                    const inFlight = records.filter((record) => record.sentAt < stoppingAt && record.completedAt >= stoppingAt);
                    const heldServed = heldOutcomes.filter(acceptsLoad(running.endpoints)).length;
                    const sentAfter = records.filter((record) => record.sentAt >= stoppingAt);
                    const failed = records.filter((record) => !record.ok);
                    const exitAfterMs = after.finishedAt - stoppingAt;
                    figures.record(stack, declared.service, {
                        shutdown: {
                            inFlightAtSigterm: inFlight.length + heldRequests,
                            servedAfterSigterm: [...inFlight, ...sentAfter].filter((record) => record.ok).length + heldServed,
                            failedAfterSigterm: [...inFlight, ...sentAfter].filter((record) => !record.ok).length + heldRequests - heldServed,
                            readyz503AfterMs: firstReadiness ? firstReadiness.sentAt - stoppingAt : Number.NaN,
                            exitAfterMs,
                            exitCode: after.exitCode,
                        },
                    });

                    assert.ok(firstReadiness, "no readiness probe after SIGTERM");
                    assert.strictEqual(firstReadiness.status, 503, `the first readiness probe after SIGTERM: ${firstReadiness.detail}`);
                    assert.ok(
                        firstReadiness.sentAt - stoppingAt <= periodMs,
                        `the first readiness probe came ${firstReadiness.sentAt - stoppingAt} ms after SIGTERM`,
                    );
                    assert.deepStrictEqual(
                        failed.map((record) => `${record.detail} sent ${record.sentAt - stoppingAt} ms after SIGTERM`),
                        [],
                        failed.some((record) => record.detail.includes("reused keep-alive"))
                            ? "failed requests: the server closed keep-alive connections clients were still sending on; during the drain it should answer " +
                                  "with Connection: close and close idle connections only when the drain is over"
                            : "failed requests",
                    );
                    assert.ok(sentAfter.length >= ((loadRate * endpointPropagationMs) / 1000) * 0.9, `only ${sentAfter.length} requests sent after SIGTERM`);
                    assert.strictEqual(after.exitCode, 0, "exit code");
                    assert.ok(!after.running && after.restartCount === before.restartCount, "the stopped container is not restarted");
                    assert.ok(exitAfterMs >= drainMs, `exited ${exitAfterMs} ms after SIGTERM, before SHUTDOWN_DRAIN (${drainMs} ms) was over`);
                    assert.ok(exitAfterMs < graceSeconds * 1000, `exited ${exitAfterMs} ms after SIGTERM, terminationGracePeriodSeconds is ${graceSeconds}`);
                });
            });
        }
    });
}

/** Evaluates the stacks, then declares the suites and starts the run. */
async function declareSuites(): Promise<void> {
    const figures = new Figures();
    const declared = new Map<string, DeclaredWorkload[]>();
    for (const stack of stacks) {
        declared.set(stack, declaredWorkloads(stack, await evaluateStack(stack, { values: "mock" })));
    }
    let build: ImageBuild | undefined;

    describe("e2e: each stack's Deployments on podman, probed as the kubelet probes them", function () {
        before(async function () {
            const leftovers = await removeLeftovers(e2eNamePrefix);
            if (leftovers.length > 0) {
                process.stdout.write(`removed what an earlier run left behind: ${leftovers.join(", ")}\n`);
            }
            const services = [...new Set([...declared.values()].flat().map((workload) => workload.service))].sort();
            build = await buildServiceImages(services);
            figures.recordBuild(build.command, build.durationMs);
            for (const [stack, workloads] of declared) {
                for (const workload of workloads) {
                    figures.record(stack, workload.service, { imageBytes: build.images.get(workload.service)?.imageBytes ?? Number.NaN });
                }
            }
        });

        after(async function () {
            await removeStartedPods();
            figures.report();
        });

        for (const stack of stacks) {
            describeStack(
                stack,
                declared.get(stack) ?? [],
                () => {
                    assert.ok(build, "the images were not built");
                    return build;
                },
                figures,
            );
        }
    });
}

declareSuites().then(run, (error: unknown) => {
    describe("e2e", () => {
        it("evaluates the dev and prod stacks", () => {
            throw error;
        });
    });
    run();
});
