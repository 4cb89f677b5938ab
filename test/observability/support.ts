/**
 * What the observability tests share: the Prometheus programs (built once from
 * tools/prometheus by scripts/build-tools), processes started and stopped by PID, and
 * waiting on conditions with deadlines.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { runChecked } from "../../scripts/lib/command";

export const repositoryRoot = path.resolve(__dirname, "..", "..");

let toolsDir: Promise<string> | undefined;

/**
 * The folder holding `prometheus` and `promtool` of tools/prometheus, built by
 * scripts/build-tools (at nice 10: the machine is shared) on first use and cached outside
 * the clone; later runs find them at once.
 */
export function prometheusTools(): Promise<string> {
    toolsDir ??= runChecked(["nice", "-n", "10", path.join(repositoryRoot, "scripts", "build-tools"), "prometheus"]).then((stdout) => {
        const dir = stdout.trim().split("\n").pop() ?? "";
        for (const program of ["prometheus", "promtool"]) {
            if (!fs.existsSync(path.join(dir, program))) {
                throw new Error(`scripts/build-tools prometheus printed ${dir}, which holds no ${program}`);
            }
        }
        return dir;
    });
    return toolsDir;
}

/** A temporary folder and the function that removes it. */
export interface TemporaryDirectory {
    dir: string;
    remove: () => void;
}

/** Creates a temporary folder; call its `remove` when done. */
export function temporaryDirectory(prefix: string): TemporaryDirectory {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out (free when this returns). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => {
                if (address && typeof address === "object") {
                    resolve(address.port);
                } else {
                    reject(new Error("no port"));
                }
            });
        });
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A process the test started, with what it printed so far. */
export class StartedProcess {
    readonly output: string[] = [];
    private readonly exited: Promise<number | null>;

    constructor(
        readonly name: string,
        private readonly child: ChildProcess,
    ) {
        const collect = (chunk: Buffer) =>
            this.output.push(
                ...chunk
                    .toString("utf8")
                    .split("\n")
                    .filter((line) => line.length > 0),
            );
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    }

    /** The JSON log lines printed so far. */
    jsonLines(): Record<string, unknown>[] {
        return this.output.flatMap((line) => {
            try {
                const value: unknown = JSON.parse(line);
                return isRecord(value) ? [value] : [];
            } catch {
                return [];
            }
        });
    }

    /** True while the process runs. */
    get running(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    /** The last lines it printed, for error messages. */
    tail(lines = 20): string {
        return this.output.slice(-lines).join("\n");
    }

    /** Stops the process by its PID (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
    async stop(graceMs = 10_000): Promise<void> {
        if (!this.running || this.child.pid === undefined) {
            return;
        }
        process.kill(this.child.pid, "SIGTERM");
        const killed = setTimeout(() => {
            if (this.running && this.child.pid !== undefined) {
                process.kill(this.child.pid, "SIGKILL");
            }
        }, graceMs);
        await this.exited;
        clearTimeout(killed);
    }
}

/** Starts a program with its output collected; stop it with {@link StartedProcess.stop}. */
export function start(name: string, program: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): StartedProcess {
    const child = spawn(program, args, { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    return new StartedProcess(name, child);
}

/** A PromQL instant query against the Prometheus at `base`: the sample values by their label sets. */
export async function query(base: string, promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success" || !body.data) {
        throw new Error(`query ${promql}: ${body.error ?? response.status}`);
    }
    return body.data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
}
