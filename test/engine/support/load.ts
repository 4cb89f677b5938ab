/**
 * Load through a Service while the engine changes what runs behind it: the e2e tests' fixed-rate
 * load generator, sending each service's smoke request to the Service's ClusterIP (kube-proxy).
 */
import * as assert from "assert";
import { getObject } from "../../e2e/support/cluster";
import { serviceEndpoints, smokePath } from "../../e2e/support/endpoints";
import { HttpOutcome, HttpTarget } from "../../e2e/support/http";
import { FixedRateLoad, LoadSummary, RequestRecord, summarize } from "../../e2e/support/loadGenerator";
import { pollUntil } from "../../e2e/support/wait";

/** The rate of the load, requests/s. */
export const loadRate = 200;

/** A request without a complete answer after this long has failed. */
const requestTimeoutMs = 5000;

/** How long the load runs before the action starts, so that connections are spread and warm. */
const warmLoadMs = 2000;

/** The Service's ClusterIP and port: where kube-proxy takes the load. */
export async function serviceTarget(namespace: string, name: string): Promise<HttpTarget> {
    const service = await getObject<{ spec: { clusterIP: string; ports: { port: number }[] } }>(["service", name, "--namespace", namespace]);
    const port = service.spec.ports[0]?.port;
    assert.ok(port !== undefined, `service ${namespace}/${name} has no port`);
    return { host: service.spec.clusterIP, port };
}

/**
 * Runs `action` while `loadRate` requests/s of the service's smoke request go through its
 * Service; resolves with the action's result and how every request fared, once each is answered.
 * With `keepAlive: false` every request opens its own connection (see {@link FixedRateLoad}).
 */
export async function underLoad<T>(
    namespace: string,
    service: string,
    version: string,
    action: () => Promise<T>,
    options: { keepAlive?: boolean } = {},
): Promise<{ result: T; load: LoadSummary; records: readonly RequestRecord[] }> {
    const endpoints = serviceEndpoints(service, version, smokePath(service));
    const accept = (answer: Extract<HttpOutcome, { kind: "response" }>): boolean => {
        if (answer.status !== 200 || !answer.contentType.startsWith("application/json")) {
            return false;
        }
        try {
            return endpoints.acceptLoad(JSON.parse(answer.body));
        } catch {
            return false;
        }
    };
    const load = new FixedRateLoad({
        target: await serviceTarget(namespace, service),
        path: endpoints.loadPath,
        ratePerSecond: loadRate,
        timeoutMs: requestTimeoutMs,
        accept,
        ...options,
    });
    load.start();
    let result: T;
    try {
        await pollUntil("the load to warm up", () => (load.records.length >= (loadRate * warmLoadMs) / 1000 ? true : undefined), {
            timeoutMs: warmLoadMs + requestTimeoutMs * 4,
            intervalMs: 50,
        });
        result = await action();
    } finally {
        await load.finish();
    }
    return { result, load: summarize(load.records), records: load.records };
}
