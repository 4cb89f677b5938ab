/**
 * The figures an e2e run measures, per stack and service, printed as one table at the end of
 * the run (and written as JSON to $E2E_FIGURES when set), so that a run's numbers can be
 * quoted together with the command that produced them.
 */
import * as fs from "fs";
import { median } from "../../../scripts/lib/stats";

/** What was measured for one pod. */
export interface PodFigures {
    imageBytes: number;
    /** Process start (as podman records it) to the first 200 on /readyz, ms, per start. */
    startToReadyMs: number[];
    idleRssKiB: number;
    memoryLimitBytes: number;
    /** Highest memory charged to the container's cgroup during the load, bytes. */
    peakMemoryBytes: number;
    load: { ratePerSecond: number; seconds: number; requests: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number };
    shutdown: {
        inFlightAtSigterm: number;
        servedAfterSigterm: number;
        failedAfterSigterm: number;
        readyz503AfterMs: number;
        exitAfterMs: number;
        exitCode: number;
    };
    crash: { livenessFailureAfterMs: number; readyAgainAfterMs: number };
}

/** The figures of a run. */
export class Figures {
    private readonly startedAt = Date.now();
    private readonly pods = new Map<string, Partial<PodFigures>>();
    private build: { command: string; durationMs: number } | undefined;

    /** Records the image build of the run. */
    recordBuild(command: string, durationMs: number): void {
        this.build = { command, durationMs };
    }

    /** Records figures of a pod. */
    record(stack: string, service: string, figures: Partial<PodFigures>): void {
        const key = `${stack}/${service}`;
        this.pods.set(key, { ...this.pods.get(key), ...figures });
    }

    /** Everything measured, as plain data. */
    toJSON(): unknown {
        return {
            totalMs: Date.now() - this.startedAt,
            build: this.build,
            pods: Object.fromEntries([...this.pods].map(([key, figures]) => [key, { ...figures, startToReadyMedianMs: median(figures.startToReadyMs ?? []) }])),
        };
    }

    /** The figures as a table. */
    table(): string {
        const mb = (bytes?: number): string => (bytes === undefined ? "?" : `${(bytes / 1e6).toFixed(2)} MB`);
        const mib = (bytes?: number): string => (bytes === undefined ? "?" : `${(bytes / 1048576).toFixed(1)} MiB`);
        const ms = (value?: number): string => (value === undefined || Number.isNaN(value) ? "?" : `${Math.round(value)} ms`);
        const header = [
            "POD",
            "IMAGE",
            "START>READY",
            "IDLE RSS",
            "PEAK MEM/LIMIT",
            "RATE",
            "P50",
            "P99",
            "FAILED",
            "SIGTERM>503",
            "EXIT",
            "DRAIN OK/FAILED",
            "KILL>LIVENESS",
            "KILL>READY",
        ];
        const rows = [...this.pods].map(([key, pod]) => [
            key,
            mb(pod.imageBytes),
            ms(median(pod.startToReadyMs ?? [])),
            pod.idleRssKiB === undefined ? "?" : mib(pod.idleRssKiB * 1024),
            `${mib(pod.peakMemoryBytes)}/${mib(pod.memoryLimitBytes)}`,
            pod.load ? `${pod.load.ratePerSecond}/s x ${pod.load.seconds}s` : "?",
            ms(pod.load?.p50Ms),
            ms(pod.load?.p99Ms),
            pod.load ? `${pod.load.failed}/${pod.load.requests}` : "?",
            ms(pod.shutdown?.readyz503AfterMs),
            pod.shutdown ? `${pod.shutdown.exitCode} after ${ms(pod.shutdown.exitAfterMs)}` : "?",
            pod.shutdown ? `${pod.shutdown.servedAfterSigterm}/${pod.shutdown.failedAfterSigterm}` : "?",
            ms(pod.crash?.livenessFailureAfterMs),
            ms(pod.crash?.readyAgainAfterMs),
        ]);
        const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
        const line = (cells: readonly string[]): string =>
            cells
                .map((cell, column) => cell.padEnd(widths[column] ?? 0))
                .join("  ")
                .trimEnd();
        const total = (Date.now() - this.startedAt) / 1000;
        return [
            line(header),
            ...rows.map(line),
            "",
            this.build
                ? `Images: ${this.build.command} took ${(this.build.durationMs / 1000).toFixed(1)} s (cached layers and Go build cache as this machine had them).`
                : "Images: not built",
            "START>READY: median of the starts measured, from the process start podman records (just after runc starts it) to the first 200 on /readyz.",
            "P50/P99: latency from when each request was due (open loop) over the steady load; SIGTERM>503: the first readiness probe after SIGTERM.",
            "DRAIN OK/FAILED: requests in flight at SIGTERM or sent after it; KILL>LIVENESS/READY: SIGKILL to the failed liveness probe, and to ready again.",
            `Whole e2e run so far: ${total.toFixed(1)} s.`,
        ].join("\n");
    }

    /** Prints the table, and writes the JSON to $E2E_FIGURES when it is set. */
    report(): void {
        process.stdout.write(`\n${this.table()}\n`);
        const file = process.env.E2E_FIGURES;
        if (file) {
            fs.writeFileSync(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
            process.stdout.write(`Figures written to ${file}\n`);
        }
    }
}
