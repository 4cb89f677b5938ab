/**
 * End to end: a real Prometheus (127.0.0.1, a temporary folder, stopped by PID) scrapes
 * running service binaries — hello, and the platform's test-only statusservice, which
 * answers any status code asked for — while a load generator sends them requests, and
 * PromQL must return exactly the request counts and the 5xx ratio the load generator
 * counted. The alert rules the components deploy are loaded too: the 5xx alert fires for
 * the failing service and not for the healthy one.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { stringify } from "yaml";
import { alertNames, buildAlertRuleGroups } from "../../components/monitoring";
import { defaultAlertThresholds } from "../../components/monitoringSettings";
import { pollUntil } from "../e2e/support/wait";
import { runChecked } from "../../scripts/lib/command";
import { freePort, prometheusTools, query, repositoryRoot, start, StartedProcess, TemporaryDirectory, temporaryDirectory } from "./support";

const namespace = "observability";
const version = "v0.0.0-observability";
/** The Prometheus scrape and rule evaluation interval: short, so that the test waits seconds. */
const interval = "1s";

/** A service binary under test, as Prometheus sees it. */
interface Target {
    job: string;
    /** The pod name its series get, as in a cluster, for the alert rules' selectors. */
    pod: string;
    process: StartedProcess;
    url: string;
    metricsAddress: string;
}

/** Builds a main package of a module under services/ with the version stamped, as the Dockerfile does. */
async function buildBinary(dir: string, module: string, pkg: string, output: string): Promise<string> {
    const binary = path.join(dir, output);
    const ldflags = `-s -w -X go-services/services/platform/buildinfo.Version=${version} -X go-services/services/platform/buildinfo.Commit=unknown`;
    await runChecked(["nice", "-n", "10", "go", "build", "-trimpath", "-ldflags", ldflags, "-o", binary, pkg], {
        cwd: path.join(repositoryRoot, "services", module),
        env: { CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
    });
    return binary;
}

/** Starts a service binary on free ports of 127.0.0.1 and waits for its "listening" line. */
async function startService(job: string, pod: string, binary: string): Promise<Target> {
    const process = start(job, binary, ["-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"], { SHUTDOWN_DRAIN: "0s" });
    const listening = await pollUntil(
        `${job} to log "listening"`,
        () => {
            if (!process.running) {
                throw new Error(`${job} exited: ${process.tail()}`);
            }
            return Promise.resolve(process.jsonLines().find((line) => line.msg === "listening"));
        },
        { timeoutMs: 10_000, intervalMs: 50 },
    );
    return { job, pod, process, url: `http://${String(listening.addr)}`, metricsAddress: String(listening.metrics_addr) };
}

/** What the load generator sent and what came back. */
class Tally {
    readonly byStatus = new Map<number, number>();

    add(status: number): void {
        this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    }

    get total(): number {
        return [...this.byStatus.values()].reduce((sum, count) => sum + count, 0);
    }

    merge(other: Tally): void {
        for (const [status, count] of other.byStatus) {
            this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + count);
        }
    }

    get serverErrors(): number {
        return [...this.byStatus.entries()].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
    }
}

/** Sends every request of `paths` to `base`, `concurrency` at a time over keep-alive connections, and counts the answers by status. */
async function sendLoad(base: string, paths: readonly string[], concurrency: number): Promise<Tally> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const tally = new Tally();
    const queue = [...paths];
    const worker = async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
            const target = next;
            tally.add(
                await new Promise<number>((resolve, reject) => {
                    http.get(`${base}${target}`, { agent }, (response) => {
                        response.resume();
                        response.on("end", () => resolve(response.statusCode ?? 0));
                    }).on("error", reject);
                }),
            );
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    agent.destroy();
    return tally;
}

function repeat(path: string, times: number): string[] {
    return Array.from({ length: times }, () => path);
}

/** The paths of the lists taken in turn, so that every part of the result mixes them all. */
function interleave(lists: string[][]): string[] {
    const longest = Math.max(...lists.map((list) => list.length));
    return Array.from({ length: longest }, (_, index) => lists.flatMap((list) => (index < list.length ? [list[index] as string] : []))).flat();
}

/** The single value of a query, or undefined while it has none. */
async function scalar(base: string, promql: string): Promise<number | undefined> {
    const result = await query(base, promql);
    return result.length === 1 ? result[0]?.value : undefined;
}

describe("Prometheus scrapes running services", function () {
    // The first run builds prometheus from the Go module proxy: minutes.
    this.timeout(30 * 60 * 1000);
    let work: TemporaryDirectory | undefined;
    const processes: StartedProcess[] = [];
    let prometheus = "";
    let hello: Target;
    let status: Target;

    before(async () => {
        work = temporaryDirectory("go-services-prometheus-");
        const dir = work.dir;
        const tools = await prometheusTools();
        const helloBinary = await buildBinary(dir, "hello", "./cmd/hello", "hello");
        const statusBinary = await buildBinary(dir, "platform", "./platformtest/statusservice", "statusservice");
        hello = await startService("hello", "hello-5d9c7b8f6d-x2k4z", helloBinary);
        processes.push(hello.process);
        status = await startService("status", "status-6c8b7d9f5-q7w2e", statusBinary);
        processes.push(status.process);

        // The components' own alert rules, firing as soon as they hold: the test waits seconds, not minutes.
        const thresholds = { ...defaultAlertThresholds, errorRatioFor: "0s" };
        const groups = [hello, status].flatMap((target) =>
            buildAlertRuleGroups({ name: target.job, namespace, stack: "observability" }, thresholds, "https://runbooks.example.com/{alert}"),
        );
        fs.writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups }, { lineWidth: 0 }));
        const config = {
            global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
            rule_files: [path.join(dir, "rules.yaml")],
            scrape_configs: [hello, status].map((target) => ({
                job_name: target.job,
                // The labels the ServiceMonitor's targets carry in a cluster.
                static_configs: [{ targets: [target.metricsAddress], labels: { namespace, pod: target.pod } }],
            })),
        };
        fs.writeFileSync(path.join(dir, "prometheus.yaml"), stringify(config));
        const port = await freePort();
        prometheus = `http://127.0.0.1:${port}`;
        const server = start("prometheus", path.join(tools, "prometheus"), [
            `--config.file=${path.join(dir, "prometheus.yaml")}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`,
            "--log.level=warn",
        ]);
        processes.push(server);
        await pollUntil(
            "Prometheus to be ready and both targets up",
            async () => {
                if (!server.running) {
                    throw new Error(`prometheus exited: ${server.tail()}`);
                }
                const up = await query(prometheus, "up == 1");
                return up.length === 2 ? up : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 250 },
        );
    });

    after(async () => {
        for (const started of processes.reverse()) {
            await started.stop();
        }
        work?.remove();
    });

    it("counts every request the load generator sent, by status, and the 5xx ratio it saw", async () => {
        const plans = new Map<Target, string[]>([
            [hello, interleave([repeat("/hello?name=Ada", 120), repeat("/hello?name=%3Cscript%3E", 30), repeat("/no/such/path", 21)])],
            [status, interleave([repeat("/status/200", 102), repeat("/status/500", 30), repeat("/status/503", 21), repeat("/status/404", 9)])],
        ]);
        const tallies = new Map<Target, Tally>([
            [hello, new Tally()],
            [status, new Tally()],
        ]);
        // In three waves, each scraped before the next: rate() sees the counters rise, as under steady traffic.
        const waves = 3;
        for (let wave = 0; wave < waves; wave++) {
            await Promise.all(
                [...plans].map(async ([target, paths]) => {
                    const share = Math.ceil(paths.length / waves);
                    tallies.get(target)?.merge(await sendLoad(target.url, paths.slice(wave * share, (wave + 1) * share), 8));
                }),
            );
            for (const [target, tally] of tallies) {
                await pollUntil(
                    `Prometheus to scrape ${target.job}'s ${tally.total} requests`,
                    async () => ((await scalar(prometheus, `sum(http_requests_total{job="${target.job}"})`)) === tally.total ? true : undefined),
                    { timeoutMs: 30_000, intervalMs: 250 },
                );
            }
        }
        const helloTally = tallies.get(hello) ?? new Tally();
        const statusTally = tallies.get(status) ?? new Tally();
        assert.deepStrictEqual([...helloTally.byStatus.entries()].sort(), [
            [200, 120],
            [400, 30],
            [404, 21],
        ]);
        assert.strictEqual(statusTally.serverErrors, 51);

        for (const [target, tally] of tallies) {
            const selector = `job="${target.job}"`;
            assert.strictEqual(await scalar(prometheus, `sum(http_requests_total{${selector}})`), tally.total, `${target.job}: requests`);
            const byStatus = await query(prometheus, `sum by (status) (http_requests_total{${selector}})`);
            assert.deepStrictEqual(
                Object.fromEntries(byStatus.map((sample) => [sample.metric.status, sample.value])),
                Object.fromEntries([...tally.byStatus.entries()].map(([code, count]) => [String(code), count])),
                `${target.job}: requests by status in Prometheus and as sent`,
            );
            const ratio = await query(prometheus, `sum(http_requests_total{${selector}, status=~"5.."}) / sum(http_requests_total{${selector}})`);
            assert.deepStrictEqual(
                ratio.map((sample) => sample.value),
                tally.serverErrors === 0 ? [] : [tally.serverErrors / tally.total],
                `${target.job}: 5xx ratio`,
            );
            assert.strictEqual(
                await scalar(prometheus, `sum(http_request_duration_seconds_count{${selector}})`),
                tally.total,
                `${target.job}: latency observations`,
            );
            assert.strictEqual(await scalar(prometheus, `service_build_info{${selector}, version="${version}"}`), 1, `${target.job}: build info`);
        }
        const routes = await query(prometheus, `sum by (route) (http_requests_total{job="hello"})`);
        assert.deepStrictEqual(Object.fromEntries(routes.map((sample) => [sample.metric.route, sample.value])), { "/hello": 150, unmatched: 21 });
        assert.strictEqual(helloTally.serverErrors, 0);
        assert.ok(statusTally.serverErrors / statusTally.total > defaultAlertThresholds.errorRatio);

        const firing = await pollUntil(
            `${alertNames.errorRatio} to fire for status`,
            async () => {
                const alerts = await query(prometheus, `ALERTS{alertname="${alertNames.errorRatio}", alertstate="firing"}`);
                return alerts.length > 0 ? alerts : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 250 },
        );
        assert.deepStrictEqual(
            firing.map((alert) => alert.metric.service),
            ["status"],
            "only the service answering 5xx alerts",
        );
        assert.strictEqual(firing[0]?.metric.severity, "critical");
    });
});
