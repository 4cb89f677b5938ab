/**
 * A fixed-rate load generator on 127.0.0.1. Open loop: request n is due at start + n/rate
 * whatever happened to the earlier ones, and its latency counts from when it was due, so a
 * slow server cannot slow the load down and hide its own latency (coordinated omission).
 * Requests go over a keep-alive agent, as a real client's or an ingress proxy's do, unless
 * `keepAlive` is false: then each request opens a connection of its own, so that kube-proxy,
 * which balances connections, spreads the requests over the endpoints as they are now (a
 * canary's share of pods is its share of requests only so).
 */
import * as http from "http";
import { describeOutcome, httpGet, HttpOutcome, HttpTarget } from "./http";
import { percentile } from "../../../scripts/lib/stats";

/** What to send and what counts as a correct answer. */
export interface LoadOptions {
    readonly target: HttpTarget;
    readonly path: string;
    readonly ratePerSecond: number;
    /** A request without a complete answer after this long has failed. */
    readonly timeoutMs: number;
    /** Whether an answer is correct (status, content type, body). */
    readonly accept: (answer: Extract<HttpOutcome, { kind: "response" }>) => boolean;
    /** Reuse connections (default true); false opens one per request. */
    readonly keepAlive?: boolean;
}

/** One request sent. */
export interface RequestRecord {
    /** When it was due, when it was sent and when it completed or failed, ms. */
    readonly dueAt: number;
    readonly sentAt: number;
    readonly completedAt: number;
    readonly ok: boolean;
    /** "HTTP 200", "HTTP 503", "ECONNRESET"... */
    readonly detail: string;
}

/** Latency and failures of a set of requests. */
export interface LoadSummary {
    readonly requests: number;
    readonly ok: number;
    readonly failed: number;
    /** Latency from due to complete, ms, over the requests answered correctly. */
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    /** Up to five failed requests, described, for messages. */
    readonly failures: readonly string[];
}

/** Load at a fixed rate until {@link FixedRateLoad.finish}. */
export class FixedRateLoad {
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    private readonly completed: RequestRecord[] = [];
    private readonly pending = new Set<Promise<void>>();
    private startedAt = 0;
    private due = 0;
    private routing = false;
    private timer: NodeJS.Timeout | undefined;
    private peak = 0;

    constructor(private readonly options: LoadOptions) {
        if (!(options.ratePerSecond > 0)) {
            throw new Error(`the rate must be above 0 requests/s, got ${options.ratePerSecond}`);
        }
    }

    /** Starts sending. */
    start(): void {
        this.startedAt = Date.now();
        this.routing = true;
        this.sendDue();
    }

    /** Sends no more requests, as when an endpoint leaves a Service; requests in flight go on. */
    stopRouting(): void {
        this.routing = false;
        clearTimeout(this.timer);
        this.timer = undefined;
    }

    /** The requests that have completed or failed so far. */
    get records(): readonly RequestRecord[] {
        return this.completed;
    }

    /**
     * The most requests ever in flight at once: with keep-alive, the most connections the
     * load needs (a new one opens only when every open one is busy).
     */
    get peakInFlight(): number {
        return this.peak;
    }

    /** How many requests are in flight now. */
    get inFlight(): number {
        return this.pending.size;
    }

    /** Stops sending, waits for every request in flight, and returns every request made. */
    async finish(): Promise<readonly RequestRecord[]> {
        this.stopRouting();
        while (this.pending.size > 0) {
            await Promise.all([...this.pending]);
        }
        this.agent.destroy();
        return this.completed;
    }

    private dueTime(index: number): number {
        return this.startedAt + (index * 1000) / this.options.ratePerSecond;
    }

    private sendDue(): void {
        if (!this.routing) {
            return;
        }
        const now = Date.now();
        while (this.dueTime(this.due) <= now) {
            this.send(this.dueTime(this.due));
            this.due += 1;
        }
        this.timer = setTimeout(() => this.sendDue(), Math.max(0, this.dueTime(this.due) - Date.now()));
    }

    private send(dueAt: number): void {
        const sentAt = Date.now();
        const agent = this.options.keepAlive === false ? false : this.agent;
        const request = httpGet(this.options.target, this.options.path, this.options.timeoutMs, agent).then((outcome) => {
            this.completed.push({
                dueAt,
                sentAt,
                completedAt: Date.now(),
                ok: outcome.kind === "response" && this.options.accept(outcome),
                detail: describeOutcome(outcome),
            });
            this.pending.delete(request);
        });
        this.pending.add(request);
        this.peak = Math.max(this.peak, this.pending.size);
    }
}

/** Latency percentiles and failures of some requests. */
export function summarize(records: readonly RequestRecord[]): LoadSummary {
    const served = records.filter((record) => record.ok);
    const latencies = served.map((record) => record.completedAt - record.dueAt).sort((a, b) => a - b);
    const failed = records.filter((record) => !record.ok);
    return {
        requests: records.length,
        ok: served.length,
        failed: failed.length,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        maxMs: latencies.length > 0 ? (latencies[latencies.length - 1] ?? Number.NaN) : Number.NaN,
        failures: failed.slice(0, 5).map((record) => `${record.detail} (sent ${new Date(record.sentAt).toISOString()})`),
    };
}
