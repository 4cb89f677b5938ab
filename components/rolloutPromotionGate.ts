/**
 * What `pulumi up` waits on for a canary service: the Argo Rollouts Rollout at the new revision,
 * fully promoted. This module is the code of the RolloutPromotion dynamic provider
 * (rolloutPromotion.ts), which the provider's Node.js process loads at run time; it imports no
 * Pulumi module, so that process loads nothing but this and the Kubernetes client.
 *
 * The gate reads the Rollout's status every few seconds until one of:
 * - promoted: the controller observed the current generation (`status.observedGeneration`, a
 *   string, equals `metadata.generation`), the phase is Healthy and the current pod hash is the
 *   stable one;
 * - aborted (an analysis failed or erred, the progress deadline passed, an operator aborted): the
 *   message names the service, the metric, its measured value and threshold from the latest
 *   failed AnalysisRun, and the way back;
 * - paused by an inconclusive analysis (no data): not success either;
 * - the deadline, or no controller observing the Rollout.
 */
import * as k8s from "@kubernetes/client-node";

/** The metrics the canary analysis measures, with the unit their values are in ("" for a ratio). */
export const metricUnits: Readonly<Record<string, string>> = { "error-ratio": "", "latency-p99": " s" };

/** Seconds the gate gives the Argo Rollouts controller to observe a new generation of the Rollout. */
export const controllerObserveSeconds = 120;

/** Milliseconds between two reads of the Rollout. */
export const pollMilliseconds = 2000;

/** What the gate is given: the RolloutPromotion's inputs, as the engine passes them. */
export interface PromotionRequest {
    /** The service, as its messages name it. */
    service: string;
    namespace: string;
    /** The Rollout's name. */
    rollout: string;
    /** The version being released (its app.kubernetes.io/version). */
    version: string;
    /** The desired pod template's hash: a new one is a new release to wait for. */
    revision: string;
    /** The analysis thresholds, by metric name (error-ratio, latency-p99). */
    thresholds: Record<string, number>;
    /** The PromQL range of the analysis, e.g. 1m. */
    window: string;
    /** The Prometheus the analysis queries. */
    prometheusUrl: string;
    /** How long to wait for full promotion. */
    deadlineSeconds: number;
    /** The kubeconfig context to use; default the current one. */
    context?: string;
    /** A kubeconfig document; default the ambient kubeconfig ($KUBECONFIG, ~/.kube/config). */
    kubeconfig?: string;
}

/** What the RolloutPromotion records: the request (without the kubeconfig) and whether it was promoted. */
export type PromotionState = Omit<PromotionRequest, "kubeconfig"> & {
    /** True once the revision was fully promoted; false after a failed wait, so the next `up` waits again. */
    promoted: boolean;
    /** The pod-template-hash of the stable ReplicaSet after the wait. */
    stableHash?: string;
};

/** The part of an argoproj.io/v1alpha1 Rollout the gate reads. */
export interface RolloutObject {
    metadata?: { generation?: number };
    status?: {
        observedGeneration?: string;
        phase?: string;
        message?: string;
        abort?: boolean;
        currentPodHash?: string;
        stableRS?: string;
        currentStepIndex?: number;
        pauseConditions?: { reason?: string }[];
        canary?: { weights?: { canary?: { weight?: number } } };
    };
    spec?: { strategy?: { canary?: { steps?: unknown[] } } };
}

/** One measurement of an AnalysisRun metric. */
export interface Measurement {
    phase?: string;
    value?: string;
    message?: string;
}

/** The part of an argoproj.io/v1alpha1 AnalysisRun the gate reads. */
export interface AnalysisRunObject {
    metadata?: {
        name?: string;
        creationTimestamp?: string;
        labels?: Record<string, string>;
        ownerReferences?: { kind?: string; name?: string }[];
    };
    status?: {
        phase?: string;
        message?: string;
        metricResults?: { name?: string; phase?: string; message?: string; consecutiveError?: number; measurements?: Measurement[] }[];
    };
}

/** Reads the cluster for the gate. */
export interface RolloutReader {
    rollout(): Promise<RolloutObject>;
    /** The step AnalysisRuns of the Rollout for a pod-template-hash, any order. */
    analysisRuns(podHash: string): Promise<AnalysisRunObject[]>;
    /** The app.kubernetes.io/version of the Rollout's ReplicaSet for a pod-template-hash, if it can be read. */
    version(podHash: string): Promise<string | undefined>;
}

/** Where the Rollout stands. */
export type RolloutVerdict =
    | { kind: "promoted"; stableHash: string }
    | { kind: "unobserved"; generation?: number; observed?: string }
    | { kind: "progressing"; detail: string }
    | { kind: "aborted"; podHash: string; message: string }
    | { kind: "inconclusive"; podHash: string };

/** The failure of a wait: the message, and the state the RolloutPromotion keeps (not promoted, so the next `up` waits again). */
export class PromotionError extends Error {
    /** Set for the engine: the resource exists but did not initialize; its state is `properties`. */
    readonly id: string;
    readonly properties: PromotionState;
    readonly reasons: string[];

    constructor(message: string, state: PromotionState) {
        super(message);
        this.name = "PromotionError";
        this.id = promotionId(state);
        this.properties = state;
        this.reasons = [message];
    }
}

/** The RolloutPromotion's id. */
export function promotionId(request: Pick<PromotionRequest, "namespace" | "rollout">): string {
    return `${request.namespace}/${request.rollout}`;
}

/** Where the Rollout stands, from its object alone. */
export function judgeRollout(rollout: RolloutObject): RolloutVerdict {
    const generation = rollout.metadata?.generation;
    const status = rollout.status ?? {};
    if (generation === undefined || status.observedGeneration !== String(generation)) {
        return { kind: "unobserved", generation, observed: status.observedGeneration };
    }
    const podHash = status.currentPodHash ?? "";
    if (status.abort === true || status.phase === "Degraded") {
        return { kind: "aborted", podHash, message: status.message ?? "" };
    }
    if ((status.pauseConditions ?? []).some((condition) => condition.reason === "InconclusiveAnalysisRun")) {
        return { kind: "inconclusive", podHash };
    }
    if (status.phase === "Healthy" && podHash !== "" && podHash === status.stableRS) {
        return { kind: "promoted", stableHash: podHash };
    }
    const steps = rollout.spec?.strategy?.canary?.steps?.length;
    const step = status.currentStepIndex !== undefined && steps !== undefined ? `, step ${status.currentStepIndex + 1} of ${steps}` : "";
    const weight = status.canary?.weights?.canary?.weight;
    const share = weight !== undefined ? `, canary at ${weight}%` : "";
    return { kind: "progressing", detail: `phase ${status.phase ?? "unknown"}${status.message ? ` (${status.message})` : ""}${step}${share}` };
}

/** The latest AnalysisRun in one of `phases`, owned by the Rollout. */
function latestRun(runs: readonly AnalysisRunObject[], rollout: string, phases: readonly string[]): AnalysisRunObject | undefined {
    return runs
        .filter((run) => (run.metadata?.ownerReferences ?? []).some((owner) => owner.kind === "Rollout" && owner.name === rollout))
        .filter((run) => phases.includes(run.status?.phase ?? ""))
        .sort((a, b) => (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? ""))[0];
}

/** A measured value as Prometheus gave it ("[0.3103448]"), to four significant digits. */
export function measuredValue(value: string | undefined): string {
    const number = Number.parseFloat((value ?? "").replace(/^\[|\]$/g, ""));
    return Number.isFinite(number) ? String(Number(number.toPrecision(4))) : (value ?? "no value");
}

function withUnit(metric: string, value: string): string {
    return `${value}${metricUnits[metric] ?? ""}`;
}

/** Why an analysis run did not pass, naming its metric, measured value and threshold. */
export function analysisFinding(run: AnalysisRunObject, request: PromotionRequest): string {
    const name = run.metadata?.name ?? "(unnamed)";
    const results = run.status?.metricResults ?? [];
    const failed = results.find((result) => result.phase === "Failed");
    if (failed?.name !== undefined) {
        const measurement = [...(failed.measurements ?? [])].reverse().find((each) => each.phase === "Failed");
        const threshold = request.thresholds[failed.name];
        const limit = threshold === undefined ? "" : `, above its threshold ${withUnit(failed.name, String(threshold))}`;
        return `${failed.name} measured ${withUnit(failed.name, measuredValue(measurement?.value))}${limit} (AnalysisRun ${name})`;
    }
    const erred = results.find((result) => result.phase === "Error");
    if (erred?.name !== undefined) {
        const measurement = [...(erred.measurements ?? [])].reverse().find((each) => each.phase === "Error");
        return (
            `its analysis could not measure ${erred.name}: ${erred.consecutiveError ?? "several"} queries in a row failed ` +
            `(${measurement?.message ?? erred.message ?? "no message"}; AnalysisRun ${name}); is Prometheus at ${request.prometheusUrl} ` +
            `reachable from the Argo Rollouts controller? A canary that cannot be measured is never promoted`
        );
    }
    const inconclusive = results.find((result) => result.phase === "Inconclusive");
    if (inconclusive?.name !== undefined) {
        const measurement = [...(inconclusive.measurements ?? [])].reverse().find((each) => each.phase === "Inconclusive");
        const value = measuredValue(measurement?.value);
        const noTraffic = value === "-1" ? `: the canary answered no request in its ${request.window} window` : "";
        return `its analysis was inconclusive: ${inconclusive.name} measured ${withUnit(inconclusive.name, value)}${noTraffic} (AnalysisRun ${name}); no data is not success`;
    }
    return `AnalysisRun ${name} ended ${run.status?.phase ?? "without a phase"}${run.status?.message ? ` (${run.status.message})` : ""}`;
}

/** The message of an aborted canary. */
export async function abortMessage(request: PromotionRequest, verdict: { podHash: string; message: string }, reader: RolloutReader): Promise<string> {
    const runs = await analysisRunsOrNone(reader, verdict.podHash);
    const run = latestRun(runs, request.rollout, ["Failed", "Error"]);
    const cause = run ? analysisFinding(run, request) : verdict.message || "the Rollout is Degraded";
    const stable = await stableVersion(reader);
    return (
        `${request.service}: the canary of version ${request.version} was aborted: ${cause}. ` +
        `Argo Rollouts has returned all traffic to the stable version${stable ? ` ${stable}` : ""}. ` +
        `The way back: revert the version in the stack${stable ? ` to ${stable}` : ""} and run \`pulumi up\`: the Rollout returns to the stable pods at once, without a canary.`
    );
}

/** The message of a canary paused by an inconclusive analysis. */
export async function inconclusiveMessage(request: PromotionRequest, verdict: { podHash: string }, reader: RolloutReader): Promise<string> {
    const runs = await analysisRunsOrNone(reader, verdict.podHash);
    const run = latestRun(runs, request.rollout, ["Inconclusive"]);
    const cause = run ? analysisFinding(run, request) : "its analysis was inconclusive; no data is not success";
    const kubectl = `kubectl argo rollouts %s ${request.rollout} -n ${request.namespace}`;
    return (
        `${request.service}: the canary of version ${request.version} was not promoted: ${cause}. ` +
        `Argo Rollouts paused it. Either send it traffic and promote it (\`${kubectl.replace("%s", "promote")}\`), ` +
        `or abort it (\`${kubectl.replace("%s", "abort")}\`) and revert the version in the stack; then run \`pulumi up\` again.`
    );
}

// The verdict is known; what names its cause is read on a best-effort basis, so that a read
// failing then still fails the wait with the verdict rather than with the read's error.

async function analysisRunsOrNone(reader: RolloutReader, podHash: string): Promise<AnalysisRunObject[]> {
    return reader.analysisRuns(podHash).catch(() => []);
}

async function stableVersion(reader: RolloutReader): Promise<string | undefined> {
    const stable = (await reader.rollout().catch(() => undefined))?.status?.stableRS;
    return stable ? reader.version(stable).catch(() => undefined) : undefined;
}

/** How the gate waits: the clock and the pause between two reads (tests use their own). */
export interface WaitOptions {
    pollMilliseconds: number;
    now: () => number;
    sleep: (milliseconds: number) => Promise<void>;
}

const realTime: WaitOptions = {
    pollMilliseconds,
    now: () => Date.now(),
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

/** A read that may succeed on the next try: a connection error, a timeout, a 429 or a 5xx. */
function transient(error: unknown): boolean {
    if (error instanceof k8s.ApiException) {
        return error.code === 429 || error.code >= 500;
    }
    return true;
}

/**
 * Waits until the Rollout has fully promoted the request's revision and returns the state to
 * record; throws a {@link PromotionError} naming why not.
 */
export async function awaitPromotion(request: PromotionRequest, reader: RolloutReader, options: WaitOptions = realTime): Promise<PromotionState> {
    const { kubeconfig: _kubeconfig, ...recorded } = request;
    const failed = (message: string): PromotionError => new PromotionError(message, { ...recorded, promoted: false });
    const started = options.now();
    const where = `Rollout ${request.namespace}/${request.rollout}`;
    // Until the controller observes the current generation, or while reads fail, only for controllerObserveSeconds.
    let observedAt = started;
    let last = "no read yet";
    for (;;) {
        const now = options.now();
        const elapsed = (now - started) / 1000;
        const unobserved = (now - observedAt) / 1000;
        let verdict: RolloutVerdict | undefined;
        try {
            verdict = judgeRollout(await reader.rollout());
        } catch (error) {
            if (!transient(error) || unobserved >= Math.min(controllerObserveSeconds, request.deadlineSeconds)) {
                throw failed(`${request.service}: cannot read the ${where}: ${describe(error)}`);
            }
            last = `the last read failed: ${describe(error)}`;
        }
        switch (verdict?.kind) {
            case "promoted":
                return { ...recorded, promoted: true, stableHash: verdict.stableHash };
            case "aborted":
                throw failed(await abortMessage(request, verdict, reader));
            case "inconclusive":
                throw failed(await inconclusiveMessage(request, verdict, reader));
            case "unobserved":
                last = `generation ${verdict.generation ?? "unknown"}, observed ${verdict.observed ?? "none"}`;
                if (unobserved >= Math.min(controllerObserveSeconds, request.deadlineSeconds)) {
                    throw failed(
                        `${request.service}: no Argo Rollouts controller observed the ${where} within ${Math.round(unobserved)} s (${last}): ` +
                            "install the controller and its CRDs (README, Canary releases), then run `pulumi up` again",
                    );
                }
                break;
            case "progressing":
                observedAt = now;
                last = verdict.detail;
                break;
            case undefined:
                break;
        }
        if (elapsed >= request.deadlineSeconds) {
            throw failed(
                `${request.service}: the canary of version ${request.version} was not fully promoted within ${request.deadlineSeconds} s (${last}). ` +
                    `It goes on without \`pulumi up\`: watch it with \`kubectl argo rollouts get rollout ${request.rollout} -n ${request.namespace}\`, and run \`pulumi up\` again to wait for it.`,
            );
        }
        await options.sleep(options.pollMilliseconds);
    }
}

function describe(error: unknown): string {
    if (error instanceof k8s.ApiException) {
        const body: unknown = error.body;
        const message = typeof body === "string" ? body : JSON.stringify(body);
        return `HTTP ${error.code}: ${message}`;
    }
    return error instanceof Error ? error.message : String(error);
}

/** The kubeconfig the request names: its document, else the ambient one, at its context or the current one. */
export function kubeConfigFor(request: Pick<PromotionRequest, "context" | "kubeconfig">): k8s.KubeConfig {
    const config = new k8s.KubeConfig();
    if (request.kubeconfig) {
        config.loadFromString(request.kubeconfig);
    } else {
        config.loadFromDefault();
    }
    if (request.context) {
        if (!config.getContextObject(request.context)) {
            throw new Error(`the kubeconfig has no context ${request.context}`);
        }
        config.setCurrentContext(request.context);
    }
    return config;
}

const argo = { group: "argoproj.io", version: "v1alpha1" } as const;

/** Reads the Rollout, its AnalysisRuns and ReplicaSets through @kubernetes/client-node. */
export function clusterReader(request: PromotionRequest, config: k8s.KubeConfig = kubeConfigFor(request)): RolloutReader {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const apps = config.makeApiClient(k8s.AppsV1Api);
    const { namespace, rollout: name } = request;
    return {
        rollout: async () => (await custom.getNamespacedCustomObject({ ...argo, namespace, plural: "rollouts", name })) as RolloutObject,
        analysisRuns: async (podHash) => {
            const list = (await custom.listNamespacedCustomObject({
                ...argo,
                namespace,
                plural: "analysisruns",
                labelSelector: `rollouts-pod-template-hash=${podHash},rollout-type=Step`,
            })) as { items?: AnalysisRunObject[] };
            return list.items ?? [];
        },
        version: async (podHash) => {
            const replicaSet = await apps.readNamespacedReplicaSet({ namespace, name: `${name}-${podHash}` });
            return replicaSet.spec?.template?.metadata?.labels?.["app.kubernetes.io/version"];
        },
    };
}

/** The provider's diff: a new release to wait for when the revision changed or the last wait did not promote. */
export function promotionChanged(olds: Partial<PromotionState>, news: Pick<PromotionRequest, "revision">): boolean {
    return olds.revision !== news.revision || olds.promoted !== true;
}
