/**
 * End to end on a real Kubernetes cluster (scripts/cluster: upstream etcd, kube-apiserver,
 * controller-manager, scheduler, containerd + kubelet, kube-proxy, an OCI registry). For the
 * dev, prod and local stacks, the objects the program declares (evaluated offline as
 * `npm run synth` evaluates them) are applied server-side with the real registry digests of
 * images built from the golden Dockerfile. The API server validates them, PodSecurity admission
 * judges them, the Deployment controller rolls them, the kubelet probes and restarts them and
 * kube-proxy routes the load; the tests assert from the cluster and from the node (/proc and
 * cgroups of the processes containerd started), never from the manifest alone.
 *
 * Mocha runs with --delay: the stacks are evaluated before the suites are declared, so that
 * each Deployment gets its own suite.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { evaluateStack, RuntimeConfig } from "../../scripts/lib/evaluate";
import { KubernetesObject } from "../../scripts/lib/manifests";
import {
    clusterEnvironment,
    ClusterEnvironment,
    containerPid,
    emptyDirPath,
    evict,
    getObject,
    kubectl,
    kubectlResult,
    PodState,
    podReady,
    podsOf,
    pushImages,
    selectorOf,
    serverSideApply,
    serverSideDiff,
    waitNamespaceGone,
    watchTermination,
} from "./support/cluster";
import {
    clusterChanges,
    declaredObjects,
    DeclaredWorkload,
    declaredWorkloads,
    envValue,
    expectedClusterChanges,
    forCluster,
    goDurationSeconds,
    workloadSignature,
} from "./support/deployments";
import { serviceEndpoints, ServiceEndpoints, smokePath } from "./support/endpoints";
import { Figures, LoadFigures } from "./support/figures";
import { assertConfined, assertLimits, assertReadOnlyRoot } from "./support/hardening";
import { httpGet, HttpOutcome, HttpTarget } from "./support/http";
import { buildServiceImages, deriveImage, e2eImageTag } from "./support/images";
import { FixedRateLoad, summarize } from "./support/loadGenerator";
import { buildProbeImage } from "./support/netprobe";
import { processAlive } from "./support/runtime";
import { pollUntil } from "./support/wait";
import { describeNetworkPolicies } from "./networkPolicies";
import { AutoscalingLoad, describeAutoscaling } from "./autoscaling";

const stacks = ["dev", "prod", "local"] as const;

/** The field manager the tests apply with, as a deploy tool would use its own. */
const fieldManager = "go-services-e2e";

/** The fixed rate of the load sent through a Service while its pods are disrupted, requests/s. */
const loadRate = 200;

/** A request without a complete answer after this long has failed. */
const requestTimeoutMs = 5000;

/** How long the load runs before a disruption starts, so that connections are spread and warm. */
const warmLoadMs = 2000;

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

/** The Service's ClusterIP and port: where kube-proxy takes the load. */
async function serviceTarget(namespace: string, name: string): Promise<HttpTarget> {
    const service = await getObject<{ spec: { clusterIP: string; ports: { port: number }[] } }>(["service", name, "--namespace", namespace]);
    const port = service.spec.ports[0]?.port;
    assert.ok(port !== undefined, `service ${namespace}/${name} has no port`);
    return { host: service.spec.clusterIP, port };
}

/** How long the Deployment controller may take to roll the Deployment out (its progress deadline). */
function rolloutDeadlineMs(workload: DeclaredWorkload): number {
    return (workload.deployment.spec?.progressDeadlineSeconds ?? 600) * 1000;
}

/** Waits until the Deployment controller reports the rollout complete (kubectl rollout status). */
async function waitRolledOut(namespace: string, workload: DeclaredWorkload): Promise<void> {
    await kubectl([
        "rollout",
        "status",
        `deployment/${workload.deployment.metadata?.name ?? ""}`,
        "--namespace",
        namespace,
        `--timeout=${rolloutDeadlineMs(workload) / 1000}s`,
    ]);
}

/** The ready pods of a workload, not being deleted. */
async function readyPods(namespace: string, workload: DeclaredWorkload): Promise<PodState[]> {
    const pods = await podsOf(namespace, selectorOf(workload.deployment.spec?.selector.matchLabels ?? {}));
    return pods.filter((pod) => podReady(pod) && pod.metadata.deletionTimestamp === undefined);
}

/** The summary of a load for the figures and messages. */
function loadFigures(load: FixedRateLoad): LoadFigures & { failures: readonly string[] } {
    const summary = summarize(load.records);
    return { ratePerSecond: loadRate, requests: summary.requests, failed: summary.failed, p99Ms: summary.p99Ms, failures: summary.failures };
}

/** Runs `disruption` while load goes through the Service; resolves with the load's records once every request is answered. */
async function underLoad<T>(target: HttpTarget, endpoints: ServiceEndpoints, disruption: () => Promise<T>): Promise<{ result: T; load: FixedRateLoad }> {
    const load = new FixedRateLoad({ target, path: endpoints.loadPath, ratePerSecond: loadRate, timeoutMs: requestTimeoutMs, accept: acceptsLoad(endpoints) });
    load.start();
    try {
        await pollUntil("the load to warm up", () => (load.records.length >= (loadRate * warmLoadMs) / 1000 ? true : undefined), {
            timeoutMs: warmLoadMs + requestTimeoutMs * 4,
            intervalMs: 50,
        });
        const result = await disruption();
        return { result, load };
    } finally {
        await load.finish();
    }
}

/** A pod's container as the node runs it: the host PID and the pod's /tmp on the node. */
function nodeView(environment: ClusterEnvironment, pod: PodState): { pid: number; tmpSource: string } {
    const status = pod.status.containerStatuses?.[0];
    assert.ok(status?.state?.running, `pod ${pod.metadata.name}: its container is not running (${JSON.stringify(status?.state)})`);
    return { pid: containerPid(environment, status.containerID), tmpSource: emptyDirPath(environment, pod.metadata.uid, "tmp") };
}

/** Declares the suites of one stack. */
function describeStack(
    stack: (typeof stacks)[number],
    declared: readonly KubernetesObject[],
    autoscaled: readonly KubernetesObject[],
    images: () => StackImages,
    figures: Figures,
    proven: Map<string, string>,
): void {
    const workloads = declaredWorkloads(stack, declared);
    const namespaceObject = declared.find((object) => object.kind === "Namespace");
    const namespace = namespaceObject?.metadata.name ?? "";
    const hasDisruptionBudget = (workload: DeclaredWorkload): boolean =>
        declared.some((object) => object.kind === "PodDisruptionBudget" && object.metadata.name === workload.deployment.metadata?.name);

    describe(`the ${stack} stack on the cluster`, function () {
        let environment: ClusterEnvironment;
        let applied: KubernetesObject[] = [];
        let appliedAt = 0;

        before(async function () {
            assert.ok(namespaceObject, `the ${stack} stack declares no Namespace`);
            environment = clusterEnvironment();
            applied = forCluster(declared, images().first);
            // A namespace left by an interrupted run would hide what this run's apply does.
            if ((await kubectlResult(["get", "namespace", namespace])).code === 0) {
                await kubectl(["delete", "namespace", namespace, "--wait=false"]);
                await waitNamespaceGone(namespace, 180_000);
            }
        });

        after(async function () {
            if ((await kubectlResult(["get", "namespace", namespace])).code === 0) {
                await kubectl(["delete", "namespace", namespace, "--wait=false"]);
                await waitNamespaceGone(namespace, 180_000);
            }
        });

        it("is the synthesized stack with the real registry digests substituted, and nothing else changed", () => {
            assert.deepStrictEqual(clusterChanges(declared, applied), expectedClusterChanges(declared));
            for (const workload of declaredWorkloads(stack, applied)) {
                assert.match(workload.container.image ?? "", /^localhost:5001\/go-services\/[a-z0-9-]+@sha256:[0-9a-f]{64}$/);
            }
        });

        it("applies server-side with warnings as errors; a second apply changes no object", async function () {
            appliedAt = Date.now();
            await serverSideApply(applied, fieldManager);
            const state = await appliedState(applied);
            assert.ok(
                state.every((line) => !line.endsWith("applied never")),
                `objects the apply did not manage: ${state.join("; ")}`,
            );
            await serverSideApply(applied, fieldManager);
            assert.deepStrictEqual(await appliedState(applied), state, "the second apply changed an object");
        });

        it("has every Deployment Available through the kubelet's startup and readiness probes, running the pushed digest; kubectl diff --server-side is then empty", async function () {
            for (const workload of workloads) {
                await waitRolledOut(namespace, workload);
            }
            figures.record(stack, { applyToAvailableMs: Date.now() - appliedAt });
            // kubectl diff reads each live object, then dry-runs the apply: a status write by a
            // controller in between shows as a difference the apply did not make. Such a race
            // passes; a difference the apply would make shows in every attempt.
            let lastDiff = "";
            await pollUntil(
                "kubectl diff --server-side to show no difference",
                async () => {
                    lastDiff = await serverSideDiff(applied, fieldManager);
                    return lastDiff === "" ? true : undefined;
                },
                { timeoutMs: 60_000, intervalMs: 2000, lastSeen: () => lastDiff },
            );
            const startToReady: number[] = [];
            for (const workload of workloads) {
                const pods = await readyPods(namespace, workload);
                assert.ok(pods.length >= 1, `${workload.service}: no ready pod`);
                const pushed = images().first.get(workload.service) ?? "";
                for (const pod of pods) {
                    const status = pod.status.containerStatuses?.[0];
                    assert.ok(
                        status?.started && status.ready,
                        `${pod.metadata.name}: container started ${String(status?.started)}, ready ${String(status?.ready)}`,
                    );
                    assert.strictEqual(status.imageID, pushed, `${pod.metadata.name}: the kubelet ran ${status.imageID ?? "?"}, not the pushed ${pushed}`);
                    const runningSince = Date.parse(status.state?.running?.startedAt ?? "");
                    const readySince = Date.parse(pod.status.conditions?.find((condition) => condition.type === "Ready")?.lastTransitionTime ?? "");
                    startToReady.push((readySince - runningSince) / 1000);
                }
            }
            figures.record(stack, { podStartToReadySeconds: startToReady });
        });

        it("is judged by PodSecurity restricted: the pods are admitted, a privileged pod in the same namespace is refused", async function () {
            const live = await getObject<{ metadata: { labels?: Record<string, string> } }>(["namespace", namespace]);
            assert.strictEqual(live.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
            const workload = workloads[0];
            assert.ok(workload, `the ${stack} stack declares no Deployment`);
            const pod = (spec: unknown): string =>
                JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "e2e-admission-check", namespace }, spec });
            const template = declaredWorkloads(stack, applied)[0]?.pod;
            // The Deployment's own pod spec is admitted (a server-side dry run goes through admission)...
            await kubectl(["create", "--dry-run=server", "-f", "-"], pod(template));
            // ...and the same spec made privileged is refused by PodSecurity, not by validation.
            const bad = structuredClone(template);
            assert.ok(bad?.containers[0]);
            bad.containers[0].securityContext = { ...bad.containers[0].securityContext, privileged: true, allowPrivilegeEscalation: true };
            const refused = await kubectlResult(["create", "--dry-run=server", "-f", "-"], pod(bad));
            assert.notStrictEqual(refused.code, 0, "a privileged pod was admitted");
            assert.match(refused.stderr, /violates PodSecurity "restricted:latest": .*privileged/);
            for (const workloadInStack of workloads) {
                const events = await kubectl(["get", "events", "--namespace", namespace, "--field-selector", "reason=FailedCreate", "-o", "name"]);
                assert.strictEqual(events.trim(), "", `${workloadInStack.service}: ReplicaSet pods failed to be created`);
            }
        });

        for (const workload of workloads) {
            const signature = workloadSignature(workload, declared);
            const provenBy = proven.get(signature);
            if (provenBy !== undefined) {
                // Same pods, Service and budget as a workload an earlier stack's suite ran: the
                // same suite again would prove nothing new (local's services are dev's).
                figures.note(`${stack}/${workload.service}`, `per-Deployment suite not repeated: the same pod template, Service and budget as ${provenBy}`);
                continue;
            }
            proven.set(signature, `${stack}/${workload.service}`);
            describeWorkload(
                stack,
                namespace,
                workload,
                () => environment,
                images,
                hasDisruptionBudget(workload),
                figures,
                () => applied,
            );
        }

        describeNetworkPolicies(stack, namespace, declared, workloads, () => images().probe, figures);

        for (const workload of workloads) {
            const hpa = autoscaled.find((object) => object.kind === "HorizontalPodAutoscaler" && object.metadata.name === workload.deployment.metadata?.name);
            if (hpa) {
                const name = workload.deployment.metadata?.name ?? workload.service;
                const endpoints = serviceEndpoints(workload.service, e2eImageTag, smokePath(workload.service));
                const load = (): AutoscalingLoad => ({
                    hpa,
                    adjustments: autoscalingAdjustments,
                    target: () => serviceTarget(namespace, name),
                    path: endpoints.loadPath,
                    ratePerSecond: autoscalingLoadRate,
                    timeoutMs: requestTimeoutMs,
                    accept: acceptsLoad(endpoints),
                    fieldManager,
                });
                describeAutoscaling(stack, namespace, workload, load, figures);
            }
        }
    });
}

/** The rate of the load that drives an autoscaled service's CPU up, requests/s. */
const autoscalingLoadRate = 400;

/** What the autoscaling test changes in the stack's config, through the keys a user would set. */
const autoscalingAdjustments =
    "autoscaling.targetCPUUtilization 5, behavior.scaleDown.stabilizationWindowSeconds 15, behavior.scaleDown.policies [Percent 100 per 15 s]";

/**
 * The stack's config with every autoscaled service's HPA made to act within a test's time on
 * this machine: a 15 s scale-down window instead of 300 s; a scale-down policy that may remove
 * every surplus pod per 15 s instead of half of them per minute (the default took 177 s to
 * scale twelve pods back in); and a CPU target that the load the test can send from the same
 * two cores reaches (at 70 % of a 250m request, three pods would need over half a core of
 * request handling).
 */
function forAutoscalingTest(config: RuntimeConfig): RuntimeConfig {
    const key = "go-services:services";
    const services = JSON.parse(config.values[key] ?? "{}") as Record<string, { autoscaling?: Record<string, unknown> }>;
    for (const service of Object.values(services)) {
        if (service.autoscaling) {
            service.autoscaling = {
                ...service.autoscaling,
                targetCPUUtilization: 5,
                behavior: {
                    scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
                },
            };
        }
    }
    return { ...config, values: { ...config.values, [key]: JSON.stringify(services) } };
}

/**
 * What an apply can change of each object, read back from the cluster: its generation (bumped
 * by every spec change) and when the tests' field manager last changed it (managedFields).
 * Not the resourceVersion: the controllers' status updates bump it whatever the apply did.
 */
async function appliedState(objects: readonly KubernetesObject[]): Promise<string[]> {
    return Promise.all(
        objects.map(async (object) => {
            const where = object.metadata.namespace ? ["--namespace", object.metadata.namespace] : [];
            const live = await getObject<{ metadata: { generation?: number; managedFields?: { manager: string; operation: string; time?: string }[] } }>([
                "--show-managed-fields",
                `${object.kind}.${groupOf(object.apiVersion)}`,
                object.metadata.name ?? "",
                ...where,
            ]);
            const applied = live.metadata.managedFields?.find((entry) => entry.manager === fieldManager && entry.operation === "Apply");
            return `${object.kind}/${object.metadata.name ?? ""} generation ${String(live.metadata.generation)}, applied ${applied?.time ?? "never"}`;
        }),
    );
}

/** The API group of an apiVersion, "" for the core group (kubectl reads "Kind." as the core group). */
function groupOf(apiVersion: string): string {
    return apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
}

/** Declares the suites of one Deployment of a stack. */
function describeWorkload(
    stack: string,
    namespace: string,
    workload: DeclaredWorkload,
    environment: () => ClusterEnvironment,
    images: () => StackImages,
    hasDisruptionBudget: boolean,
    figures: Figures,
    applied: () => readonly KubernetesObject[],
): void {
    const service = workload.service;
    const name = workload.deployment.metadata?.name ?? service;
    const endpoints = serviceEndpoints(service, e2eImageTag, smokePath(service));
    const graceSeconds = workload.pod.terminationGracePeriodSeconds ?? 30;

    describe(`${stack}/${service}`, function () {
        it("runs confined as declared: uid/gid 65532, no capabilities, no_new_privs, seccomp, read-only root, cgroup limits", async function () {
            for (const pod of await readyPods(namespace, workload)) {
                const { pid, tmpSource } = nodeView(environment(), pod);
                assertConfined(workload, pid);
                await assertReadOnlyRoot(workload, pid, tmpSource);
                assertLimits(workload, pid);
            }
        });

        it("answers its endpoints through its Service's ClusterIP (kube-proxy)", async function () {
            const target = await serviceTarget(namespace, name);
            for (const expected of endpoints.expectations) {
                const outcome = await httpGet(target, expected.path, requestTimeoutMs);
                assert.ok(
                    outcome.kind === "response",
                    `GET ${expected.path} via ${target.host}:${target.port}: ${outcome.kind === "error" ? outcome.code : ""}`,
                );
                assert.strictEqual(outcome.status, expected.status, `GET ${expected.path}: ${outcome.body}`);
                assert.match(outcome.contentType, /^application\/json/, `GET ${expected.path}: content type`);
                expected.body(JSON.parse(outcome.body));
            }
        });

        it("is restarted by the kubelet after a SIGKILL, ready again and confined as before", async function () {
            const [pod] = await readyPods(namespace, workload);
            assert.ok(pod, "no ready pod");
            const before = pod.status.containerStatuses?.[0]?.restartCount ?? 0;
            const { pid } = nodeView(environment(), pod);
            const killedAt = Date.now();
            process.kill(pid, "SIGKILL");
            const restarted = await pollUntil(
                `the kubelet to restart ${pod.metadata.name} and find it ready`,
                async () => {
                    const now = await getObject<PodState>(["pod", pod.metadata.name, "--namespace", namespace]);
                    const status = now.status.containerStatuses?.[0];
                    return status && status.restartCount === before + 1 && status.ready && podReady(now) ? now : undefined;
                },
                { timeoutMs: restartBudgetMs(workload), intervalMs: 100 },
            );
            figures.record(stack, { killToReadyMs: { [service]: Date.now() - killedAt } });
            assert.strictEqual(restarted.metadata.uid, pod.metadata.uid, "the same pod, its container restarted in place");
            assert.strictEqual(restarted.status.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137, "the last state is the SIGKILL (128 + 9)");
            const after = nodeView(environment(), restarted);
            assert.notStrictEqual(after.pid, pid, "a new process");
            assert.ok(!processAlive(pid), "the killed process is gone");
            assertConfined(workload, after.pid);
            await assertReadOnlyRoot(workload, after.pid, after.tmpSource);
            assertLimits(workload, after.pid);
        });

        it(`rolls to a new image digest under ${loadRate} requests/s through the Service with no failed request`, async function () {
            const target = await serviceTarget(namespace, name);
            const next = images().second.get(service);
            assert.ok(next, `no second image for ${service}`);
            const objects = applied().map((object) =>
                object.kind === "Deployment" && object.metadata.name === name ? (forCluster([object], new Map([[service, next]]))[0] ?? object) : object,
            );
            const started = Date.now();
            const { load } = await underLoad(target, endpoints, async () => {
                await serverSideApply(objects, fieldManager);
                await waitRolledOut(namespace, workload);
            });
            const durationMs = Date.now() - started - warmLoadMs;
            const summary = loadFigures(load);
            figures.record(stack, { rollouts: { [service]: { durationMs, load: summary } } });
            for (const pod of await readyPods(namespace, workload)) {
                assert.strictEqual(pod.status.containerStatuses?.[0]?.imageID, next, `${pod.metadata.name} runs the new digest`);
            }
            assert.strictEqual(summary.failed, 0, `${summary.failed} of ${summary.requests} requests failed: ${summary.failures.join("; ")}`);
        });

        const replicas = workload.deployment.spec?.replicas;
        if (replicas === undefined || replicas > 1) {
            it(`drains a deleted pod under ${loadRate} requests/s: /readyz 503 after SIGTERM, exit 0 within the grace period, no failed request`, async function () {
                const target = await serviceTarget(namespace, name);
                const drainMs = goDurationSeconds(envValue(workload.container, "SHUTDOWN_DRAIN")) * 1000;
                const { result, load } = await underLoad(target, endpoints, () => deleteAndWatch(namespace, workload, graceSeconds));
                await waitRolledOut(namespace, workload);
                const summary = loadFigures(load);
                figures.record(stack, { drains: { [service]: { ...result, load: summary } } });
                assert.strictEqual(result.exitCode, 0, "the container's exit code");
                assert.ok(
                    result.readyz503AfterMs < drainMs,
                    `/readyz answered 503 only ${result.readyz503AfterMs} ms after the deletion, SHUTDOWN_DRAIN is ${drainMs} ms`,
                );
                assert.ok(result.exitAfterMs >= drainMs, `exited ${result.exitAfterMs} ms after the deletion, before SHUTDOWN_DRAIN (${drainMs} ms) was over`);
                assert.ok(
                    result.exitAfterMs < graceSeconds * 1000,
                    `exited ${result.exitAfterMs} ms after the deletion; the grace period is ${graceSeconds} s`,
                );
                assert.strictEqual(summary.failed, 0, `${summary.failed} of ${summary.requests} requests failed: ${summary.failures.join("; ")}`);
            });
        }

        if (hasDisruptionBudget) {
            it("has its PodDisruptionBudget enforced: the eviction API refuses an eviction that would break it", async function () {
                const budget = await pollUntil(
                    `the disruption controller to observe PDB ${name}`,
                    async () => {
                        const pdb = await getObject<{
                            metadata: { generation: number };
                            status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number };
                        }>(["pdb", name, "--namespace", namespace]);
                        return pdb.status?.observedGeneration === pdb.metadata.generation && (pdb.status.disruptionsAllowed ?? 0) >= 1 ? pdb.status : undefined;
                    },
                    { timeoutMs: rolloutDeadlineMs(workload), intervalMs: 200 },
                );
                const pods = await readyPods(namespace, workload);
                const outcomes = [];
                for (const pod of pods.slice(0, (budget.disruptionsAllowed ?? 0) + 1)) {
                    outcomes.push(await evict(namespace, pod.metadata.name));
                }
                const refused = outcomes.pop();
                assert.ok(
                    outcomes.every((outcome) => outcome.allowed),
                    `evictions within the budget were refused: ${outcomes.map((o) => o.message).join("; ")}`,
                );
                assert.ok(refused && !refused.allowed, `an eviction beyond the budget (${budget.disruptionsAllowed ?? 0} allowed) was accepted`);
                assert.match(refused.message, /Cannot evict pod as it would violate the pod's disruption budget/);
                await waitRolledOut(namespace, workload);
            });
        }
    });
}

/** How long the kubelet may take to notice a dead container, restart it and find it ready (its back-off starts at 10 s). */
function restartBudgetMs(workload: DeclaredWorkload): number {
    const startup = workload.container.startupProbe;
    const readiness = workload.container.readinessProbe;
    const probes = (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) + (readiness?.periodSeconds ?? 10) * 2;
    return (10 + probes) * 1000;
}

/** What a pod deletion looked like from outside. */
interface DrainOutcome {
    readonly readyz503AfterMs: number;
    readonly exitCode: number;
    readonly exitAfterMs: number;
}

/**
 * Deletes one ready pod of the workload and watches it go: polls its /readyz on the pod IP
 * (the kubelet's view) until it answers 503, and watches the pod until the kubelet reports
 * its container terminated.
 */
async function deleteAndWatch(namespace: string, workload: DeclaredWorkload, graceSeconds: number): Promise<DrainOutcome> {
    const [pod] = await readyPods(namespace, workload);
    assert.ok(pod?.status.podIP, "no ready pod with an IP");
    const port = workload.container.ports?.[0]?.containerPort ?? 8080;
    const readinessPath = workload.container.readinessProbe?.httpGet?.path ?? "/readyz";
    const watch = watchTermination(namespace, pod.metadata.name, (graceSeconds + 60) * 1000);
    await watch.established;
    const deletedAt = Date.now();
    await kubectl(["delete", "pod", pod.metadata.name, "--namespace", namespace, "--wait=false"]);
    const first503 = pollUntil(
        `${pod.metadata.name} ${readinessPath} to answer 503`,
        async () => {
            const outcome = await httpGet({ host: pod.status.podIP ?? "", port }, readinessPath, 1000);
            return outcome.kind === "response" && outcome.status === 503 ? Date.now() - deletedAt : undefined;
        },
        { timeoutMs: graceSeconds * 1000, intervalMs: 20 },
    );
    const [readyz503AfterMs, termination] = await Promise.all([first503, watch.terminated]);
    return { readyz503AfterMs, exitCode: termination.exitCode, exitAfterMs: termination.seenAt - deletedAt };
}

/** The images of a run: the first build, and a second digest of each for the rolling updates. */
interface StackImages {
    readonly first: ReadonlyMap<string, string>;
    readonly second: ReadonlyMap<string, string>;
    /** The network probe (tools/netprobe) the NetworkPolicy tests connect from. */
    readonly probe: string;
}

/** Evaluates the stacks, then declares the suites and starts the run. */
async function declareSuites(): Promise<void> {
    const figures = new Figures();
    const declared = new Map<string, KubernetesObject[]>();
    const autoscaled = new Map<string, KubernetesObject[]>();
    for (const stack of stacks) {
        declared.set(stack, declaredObjects(stack, await evaluateStack(stack, { values: "placeholders" })));
        autoscaled.set(stack, declaredObjects(stack, await evaluateStack(stack, { values: "placeholders", adjustConfig: forAutoscalingTest })));
    }
    let images: StackImages | undefined;

    describe("e2e: each stack on a real Kubernetes cluster (scripts/cluster)", function () {
        before(async function () {
            clusterEnvironment();
            const services = [
                ...new Set([...declared].flatMap(([stack, objects]) => declaredWorkloads(stack, objects).map((workload) => workload.service))),
            ].sort();
            const build = await buildServiceImages(services);
            figures.note("Images", `${build.command} took ${(build.durationMs / 1000).toFixed(1)} s`);
            const built = services.map((service) => build.images.get(service)?.image ?? "");
            const pushedAt = Date.now();
            const first = await pushImages(built);
            const second = await pushImages(await Promise.all(built.map((image) => deriveImage(image, "io.go-services.e2e.rollout", "2"))));
            figures.note("Push", `${services.length * 2} images to the registry in ${((Date.now() - pushedAt) / 1000).toFixed(1)} s`);
            images = {
                first: new Map(services.map((service, index) => [service, first[index] ?? ""])),
                second: new Map(services.map((service, index) => [service, second[index] ?? ""])),
                probe: await buildProbeImage(),
            };
            const apiserverReady = path.join(clusterEnvironment().stateDirectory, "run", "apiserver-ready-seconds");
            if (fs.existsSync(apiserverReady)) {
                figures.note("Control plane", `kube-apiserver /readyz ${fs.readFileSync(apiserverReady, "utf8").trim()} s after its start`);
            }
        });

        after(function () {
            figures.report();
        });

        // The workloads whose per-Deployment suite has run, by signature: "<stack>/<service>".
        const proven = new Map<string, string>();
        for (const stack of stacks) {
            describeStack(
                stack,
                declared.get(stack) ?? [],
                autoscaled.get(stack) ?? [],
                () => {
                    assert.ok(images, "the images were not built and pushed");
                    return images;
                },
                figures,
                proven,
            );
        }
    });
}

declareSuites().then(run, (error: unknown) => {
    describe("e2e", () => {
        it("evaluates the dev, prod and local stacks", () => {
            throw error;
        });
    });
    run();
});
