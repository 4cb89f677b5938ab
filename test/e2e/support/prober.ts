/**
 * The kubelet's prober, for pods that podman runs: podman 4.3 turns probes into health checks
 * that need a shell in the image and systemd on the host, so the tests probe the way the
 * kubelet does (pkg/kubelet/prober/worker.go), driven only by the probes the manifest declares:
 *
 * - one worker per probe, ticking every periodSeconds from the container's start, one probe
 *   at a time (a tick that comes while a probe is running is dropped, as a Go ticker drops it);
 * - no probe before initialDelaySeconds have passed since the container started;
 * - the startup probe gates the others: until it has succeeded, liveness and readiness are
 *   not probed (readiness reads "not ready", liveness "alive"), and once it has, it stops;
 * - a result changes only after successThreshold consecutive successes or failureThreshold
 *   consecutive failures; readiness starts as failure, liveness as success;
 * - a startup or liveness probe that reaches failureThreshold makes the kubelet kill the
 *   container: recorded as {@link KubeletProber.killRequested}, and the worker holds until
 *   a new container instance starts;
 * - when the startup probe succeeds, readiness is probed at once (the kubelet's manual
 *   trigger on status sync) instead of waiting for its next tick;
 * - an HTTP probe succeeds on a status from 200 to 399 within timeoutSeconds.
 *
 * A new container instance (a restart the runtime reports) gets fresh workers, as the kubelet
 * starts new ones for each container ID: {@link KubeletProber.start} again.
 */
import { IProbe } from "kubernetes-models/v1/Probe";
import { describeOutcome, httpGet, HttpTarget } from "./http";

/** The three probes of a container. */
export type ProbeKind = "startup" | "liveness" | "readiness";

/** A declared HTTP probe with the Kubernetes defaults filled in. */
export interface ProbeSpec {
    readonly kind: ProbeKind;
    readonly path: string;
    readonly initialDelaySeconds: number;
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly successThreshold: number;
    readonly failureThreshold: number;
}

/**
 * Reads a declared probe; only httpGet over HTTP is supported (what the program declares).
 * Missing fields take the Kubernetes defaults (period 10 s, timeout 1 s, thresholds 1 and 3).
 */
export function probeSpec(kind: ProbeKind, probe: IProbe): ProbeSpec {
    const httpGetAction = probe.httpGet;
    if (!httpGetAction || (httpGetAction.scheme ?? "HTTP") !== "HTTP") {
        throw new Error(`the ${kind} probe is not an httpGet over HTTP; the e2e prober supports only that: ${JSON.stringify(probe)}`);
    }
    return {
        kind,
        path: httpGetAction.path ?? "/",
        initialDelaySeconds: probe.initialDelaySeconds ?? 0,
        periodSeconds: probe.periodSeconds ?? 10,
        timeoutSeconds: probe.timeoutSeconds ?? 1,
        successThreshold: probe.successThreshold ?? 1,
        failureThreshold: probe.failureThreshold ?? 3,
    };
}

/** The outcome of one probe. */
export interface ProbeOutcome {
    readonly ok: boolean;
    /** "HTTP 200", "HTTP 503", "ECONNREFUSED", "timeout after 2000 ms". */
    readonly detail: string;
    /** The HTTP status, when there was an answer. */
    readonly status?: number;
}

/** Performs one probe. */
export type ProbeCheck = (spec: ProbeSpec) => Promise<ProbeOutcome>;

/** The kubelet's HTTP probe against `target` (the container port, as published for the test). */
export function httpProbeCheck(target: HttpTarget): ProbeCheck {
    return async (spec) => {
        const outcome = await httpGet(target, spec.path, spec.timeoutSeconds * 1000);
        if (outcome.kind === "error") {
            return { ok: false, detail: outcome.code };
        }
        return { ok: outcome.status >= 200 && outcome.status < 400, detail: describeOutcome(outcome), status: outcome.status };
    };
}

/** One probe made. */
export interface ProbeRecord extends ProbeOutcome {
    readonly kind: ProbeKind;
    /** Which container instance ({@link KubeletProber.start} call) it probed, from 1. */
    readonly instance: number;
    /** When the probe was sent and when it completed, ms. */
    readonly sentAt: number;
    readonly completedAt: number;
}

/** Cancels a scheduled callback. */
export type Cancel = () => void;

/** The clock the prober runs on: the real one, or a fake in its unit tests. */
export interface Timers {
    now(): number;
    schedule(callback: () => void, delayMs: number): Cancel;
}

/** Wall-clock timers. */
export const realTimers: Timers = {
    now: () => Date.now(),
    schedule: (callback, delayMs) => {
        const handle = setTimeout(callback, Math.max(0, delayMs));
        return () => clearTimeout(handle);
    },
};

type Result = "unknown" | "success" | "failure";

/** One probe's worker for one container instance. */
interface Worker {
    readonly spec: ProbeSpec;
    result: Result;
    lastOk: boolean | undefined;
    resultRun: number;
    onHold: boolean;
    probing: boolean;
    nextTickAt: number;
    cancel: Cancel | undefined;
}

/** Acts as the kubelet's prober for one container; see the file comment for the semantics. */
export class KubeletProber {
    /** Every probe made, in order. */
    readonly records: ProbeRecord[] = [];
    private workers: Worker[] = [];
    /** Container instances probed so far. */
    private instance = 0;
    /** Bumped by every start and stop, so that ticks and probes of an earlier one are dropped. */
    private generation = 0;
    private containerStartedAt = 0;
    private startupSucceeded = false;
    private kill: string | undefined;
    private readonly listeners = new Set<() => void>();

    constructor(
        private readonly specs: readonly ProbeSpec[],
        private readonly check: ProbeCheck,
        private readonly timers: Timers = realTimers,
    ) {
        const kinds = specs.map((spec) => spec.kind);
        if (new Set(kinds).size !== kinds.length) {
            throw new Error(`one probe of each kind at most, got ${kinds.join(", ")}`);
        }
    }

    /** Starts probing a container instance that started at `containerStartedAt` (ms); probing of any previous instance stops. */
    start(containerStartedAt: number): void {
        this.stop();
        this.instance += 1;
        this.generation += 1;
        this.containerStartedAt = containerStartedAt;
        this.startupSucceeded = !this.specs.some((spec) => spec.kind === "startup");
        this.kill = undefined;
        const now = this.timers.now();
        this.workers = this.specs.map((spec) => ({
            spec,
            result: spec.kind === "readiness" ? "failure" : spec.kind === "liveness" ? "success" : "unknown",
            lastOk: undefined,
            resultRun: 0,
            onHold: false,
            probing: false,
            nextTickAt: now,
            cancel: undefined,
        }));
        for (const worker of this.workers) {
            this.scheduleTick(worker, this.generation);
        }
        this.notify();
    }

    /** Stops probing (the container is gone); probes in flight are discarded. */
    stop(): void {
        for (const worker of this.workers) {
            worker.cancel?.();
            worker.cancel = undefined;
        }
        this.workers = [];
        this.generation += 1;
    }

    /** The startup probe has succeeded (or there is none). */
    get started(): boolean {
        return this.startupSucceeded;
    }

    /** The container counts as ready: started and its readiness result is success (or it has no readiness probe). */
    get ready(): boolean {
        if (!this.startupSucceeded || this.workers.length === 0) {
            return false;
        }
        const readiness = this.worker("readiness");
        return readiness === undefined || readiness.result === "success";
    }

    /** Why the kubelet would have killed the container (startup or liveness failureThreshold reached), if it would. */
    get killRequested(): string | undefined {
        return this.kill;
    }

    /** The current container instance, from 1. */
    get currentInstance(): number {
        return this.instance;
    }

    /** When the next tick of a probe is due (ms), or undefined when it has no worker. */
    nextTickAt(kind: ProbeKind): number | undefined {
        return this.worker(kind)?.nextTickAt;
    }

    /** The spec of a probe, or undefined when the container does not declare it. */
    spec(kind: ProbeKind): ProbeSpec | undefined {
        return this.specs.find((spec) => spec.kind === kind);
    }

    /** The probes of a kind sent at or after `since` (ms). */
    recordsOf(kind: ProbeKind, since = 0): ProbeRecord[] {
        return this.records.filter((record) => record.kind === kind && record.sentAt >= since);
    }

    /** Resolves once `condition` holds (checked now and after every probe); rejects after `timeoutMs`. */
    waitFor(description: string, condition: (prober: this) => boolean, timeoutMs: number): Promise<void> {
        if (condition(this)) {
            return Promise.resolve();
        }
        return new Promise((resolve, reject) => {
            const listener = (): void => {
                if (condition(this)) {
                    this.listeners.delete(listener);
                    cancelTimeout();
                    resolve();
                }
            };
            const cancelTimeout = this.timers.schedule(() => {
                this.listeners.delete(listener);
                const recent = this.records
                    .slice(-6)
                    .map((record) => `${record.kind} ${record.detail}`)
                    .join(", ");
                reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}; last probes: ${recent || "none"}`));
            }, timeoutMs);
            this.listeners.add(listener);
        });
    }

    private worker(kind: ProbeKind): Worker | undefined {
        return this.workers.find((worker) => worker.spec.kind === kind);
    }

    private notify(): void {
        for (const listener of [...this.listeners]) {
            listener();
        }
    }

    private scheduleTick(worker: Worker, generation: number): void {
        worker.cancel = this.timers.schedule(() => {
            worker.cancel = undefined;
            this.tick(worker, generation);
        }, worker.nextTickAt - this.timers.now());
    }

    private tick(worker: Worker, generation: number): void {
        if (generation !== this.generation) {
            return;
        }
        if (!worker.probing) {
            void this.probe(worker, generation);
        }
        const now = this.timers.now();
        const period = worker.spec.periodSeconds * 1000;
        do {
            worker.nextTickAt += period;
        } while (worker.nextTickAt <= now);
        this.scheduleTick(worker, generation);
    }

    private shouldProbe(worker: Worker): boolean {
        if (worker.onHold) {
            return false;
        }
        if (this.timers.now() - this.containerStartedAt < worker.spec.initialDelaySeconds * 1000) {
            return false;
        }
        return worker.spec.kind === "startup" ? !this.startupSucceeded : this.startupSucceeded;
    }

    private async probe(worker: Worker, generation: number): Promise<void> {
        if (!this.shouldProbe(worker)) {
            return;
        }
        worker.probing = true;
        const sentAt = this.timers.now();
        let outcome: ProbeOutcome;
        try {
            outcome = await this.check(worker.spec);
        } catch (error) {
            outcome = { ok: false, detail: error instanceof Error ? error.message : String(error) };
        }
        worker.probing = false;
        if (generation !== this.generation) {
            return;
        }
        this.records.push({ ...outcome, kind: worker.spec.kind, instance: this.instance, sentAt, completedAt: this.timers.now() });
        this.update(worker, outcome, generation);
        this.notify();
    }

    private update(worker: Worker, outcome: ProbeOutcome, generation: number): void {
        if (worker.lastOk === outcome.ok) {
            worker.resultRun += 1;
        } else {
            worker.lastOk = outcome.ok;
            worker.resultRun = 1;
        }
        const threshold = outcome.ok ? worker.spec.successThreshold : worker.spec.failureThreshold;
        if (worker.resultRun < threshold) {
            return;
        }
        worker.result = outcome.ok ? "success" : "failure";
        const kind = worker.spec.kind;
        if (kind === "startup" && outcome.ok) {
            this.startupSucceeded = true;
            const readiness = this.worker("readiness");
            if (readiness && !readiness.probing) {
                void this.probe(readiness, generation);
            }
        }
        if (kind !== "readiness" && !outcome.ok) {
            this.kill = `the ${kind} probe ${worker.spec.path} failed ${worker.resultRun} times in a row (failureThreshold ${worker.spec.failureThreshold}), last: ${outcome.detail}`;
            worker.onHold = true;
            worker.resultRun = 0;
        }
    }
}
