/**
 * A stand-in for the Kubernetes API, on 127.0.0.1, for the canary gate's tests: it answers the
 * reads the gate makes (a Rollout, its step AnalysisRuns, a ReplicaSet) with the objects a test
 * scripts, in the API's own paths and shapes, so @kubernetes/client-node talks to it as to a
 * cluster. A scripted Rollout is a sequence: each read answers the next, the last one repeats.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import type { AnalysisRunObject, RolloutObject } from "../../components/rolloutPromotionGate";

/** What the stub answers. */
export interface StubCluster {
    /** The Rollout's successive states; an empty list answers 404. */
    rollouts: RolloutObject[];
    analysisRuns: AnalysisRunObject[];
    /** ReplicaSets by name, with the version their pods are labelled with. */
    replicaSetVersions: Record<string, string>;
}

/** A running stub. */
export interface StubKubernetes {
    /** A kubeconfig document whose current context names the stub. */
    readonly kubeconfig: string;
    /** Every request, `METHOD path?query`, in order. */
    readonly requests: string[];
    /** How many times the Rollout was read. */
    rolloutReads(): number;
    /** Scripts the Rollout's states anew: the next read answers the first. */
    play(rollouts: RolloutObject[], analysisRuns?: AnalysisRunObject[]): void;
    close(): Promise<void>;
}

const rolloutPath = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/([^/]+)\/rollouts\/([^/?]+)$/;
const analysisRunsPath = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/([^/]+)\/analysisruns$/;
const replicaSetPath = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets\/([^/?]+)$/;

function notFound(response: http.ServerResponse, what: string): void {
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: `${what} not found`, reason: "NotFound", code: 404 }));
}

function json(response: http.ServerResponse, body: unknown): void {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
}

/** Starts the stub on a free port of 127.0.0.1. */
export async function startStubKubernetes(cluster: StubCluster): Promise<StubKubernetes> {
    const requests: string[] = [];
    let reads = 0;
    let played = 0;
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        requests.push(`${request.method ?? "?"} ${url.pathname}${url.search}`);
        const rollout = rolloutPath.exec(url.pathname);
        if (rollout) {
            const states = cluster.rollouts;
            const state = states[Math.min(reads - played, states.length - 1)];
            reads += 1;
            return state ? json(response, { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", ...state }) : notFound(response, `rollouts ${rollout[2]}`);
        }
        if (analysisRunsPath.test(url.pathname)) {
            const wanted = (url.searchParams.get("labelSelector") ?? "").split(",").map((pair) => pair.split("="));
            const items = cluster.analysisRuns.filter((run) => {
                const labels = run.metadata?.labels ?? {};
                return wanted.every(([key = "", value]) => labels[key] === value);
            });
            return json(response, { apiVersion: "argoproj.io/v1alpha1", kind: "AnalysisRunList", items });
        }
        const replicaSet = replicaSetPath.exec(url.pathname);
        const version = replicaSet ? cluster.replicaSetVersions[replicaSet[2] ?? ""] : undefined;
        if (replicaSet && version !== undefined) {
            return json(response, {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                metadata: { name: replicaSet[2], namespace: replicaSet[1] },
                spec: { selector: {}, template: { metadata: { labels: { "app.kubernetes.io/version": version } } } },
            });
        }
        return notFound(response, url.pathname);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        // Plain HTTP on the loopback: the client refuses it unless TLS verification is off.
        `- {name: stub, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}`,
        "contexts:",
        "- {name: stub, context: {cluster: stub, user: stub}}",
        "users:",
        "- {name: stub, user: {token: stub-token}}",
        "current-context: stub",
        "",
    ].join("\n");
    return {
        kubeconfig,
        requests,
        rolloutReads: () => reads,
        play: (rollouts, analysisRuns = cluster.analysisRuns) => {
            cluster.rollouts = rollouts;
            cluster.analysisRuns = analysisRuns;
            played = reads;
        },
        close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    };
}

// The states of a Rollout `hello` in namespace `apps` that the tests play: generation 2 is the new
// revision (pod hash `new`), the stable one is `old`.

/** A Rollout the controller has observed at generation 2, with a status. */
export function observed(status: NonNullable<RolloutObject["status"]>): RolloutObject {
    return {
        metadata: { generation: 2 },
        spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }] } } },
        status: { observedGeneration: "2", ...status },
    };
}

/** Just after the apply: generation 2, the controller's status still that of generation 1 (Healthy at the old revision). */
export const previousRevision: RolloutObject = {
    metadata: { generation: 2 },
    status: { observedGeneration: "1", phase: "Healthy", currentPodHash: "old", stableRS: "old" },
};
export const progressing = observed({
    phase: "Progressing",
    currentPodHash: "new",
    stableRS: "old",
    currentStepIndex: 1,
    canary: { weights: { canary: { weight: 10 } } },
});
export const promoted = observed({ phase: "Healthy", currentPodHash: "new", stableRS: "new" });
export const aborted = observed({
    phase: "Degraded",
    abort: true,
    message: 'RolloutAborted: Rollout aborted update to revision 2: Metric "error-ratio" assessed Failed due to failed (1) > failureLimit (0)',
    currentPodHash: "new",
    stableRS: "old",
});
export const pausedInconclusive = observed({
    phase: "Paused",
    message: "InconclusiveAnalysisRun",
    currentPodHash: "new",
    stableRS: "old",
    pauseConditions: [{ reason: "InconclusiveAnalysisRun" }],
});

/** A step AnalysisRun of the canary's pods, owned by the Rollout. */
export function analysisRun(
    name: string,
    created: string,
    phase: string,
    metrics: NonNullable<AnalysisRunObject["status"]>["metricResults"],
): AnalysisRunObject {
    return {
        metadata: {
            name,
            creationTimestamp: created,
            labels: { "rollouts-pod-template-hash": "new", "rollout-type": "Step" },
            ownerReferences: [{ kind: "Rollout", name: "hello" }],
        },
        status: { phase, metricResults: metrics },
    };
}

export const passedStep1 = analysisRun("hello-new-2-1", "2026-12-03T10:00:00Z", "Successful", [
    { name: "error-ratio", phase: "Successful", measurements: [{ phase: "Successful", value: "[0.001]" }] },
]);
export const failedStep3 = analysisRun("hello-new-2-3", "2026-12-03T10:03:00Z", "Failed", [
    {
        name: "error-ratio",
        phase: "Failed",
        measurements: [
            { phase: "Successful", value: "[0.01]" },
            { phase: "Failed", value: "[0.3103448275862069]" },
        ],
    },
    { name: "latency-p99", phase: "Successful", measurements: [{ phase: "Successful", value: "[0.12]" }] },
]);
