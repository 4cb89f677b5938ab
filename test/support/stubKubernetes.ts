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
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        requests.push(`${request.method ?? "?"} ${url.pathname}${url.search}`);
        const rollout = rolloutPath.exec(url.pathname);
        if (rollout) {
            const states = cluster.rollouts;
            const state = states[Math.min(reads, states.length - 1)];
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
        close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    };
}
