/**
 * The project's Prometheus (tools/prometheus) scraping the test cluster's pods from this
 * machine, as a cluster's Prometheus in `monitoring.mode: annotations` does: Kubernetes service
 * discovery of the pods of one namespace, through the cluster's kubeconfig, following their
 * prometheus.io scrape annotations, with the `namespace` and `pod` labels the alert rules and
 * the canary analyses select on. It listens on 127.0.0.1 (Argo Rollouts' controller, a process
 * on this machine, queries it there) and can be stopped and started again on the same port, to
 * make it unreachable during an analysis.
 */
import * as path from "path";
import * as fs from "fs";
import { stringify } from "yaml";
import { pollUntil } from "../../e2e/support/wait";
import { freePort, prometheusTools, query, start, StartedProcess, temporaryDirectory, TemporaryDirectory } from "../../observability/support";

/** The scrape interval: short, so that a canary analysis window of seconds holds several samples. */
export const scrapeIntervalSeconds = 2;

/** How long Prometheus may take to start and discover its first targets, on a busy machine. */
const startDeadlineMs = 60_000;

/** The scrape configuration of a `kubernetes-pods` job following the prometheus.io annotations. */
function scrapeConfig(kubeconfig: string, namespace: string): Record<string, unknown> {
    return {
        global: { scrape_interval: `${scrapeIntervalSeconds}s`, scrape_timeout: "1s", evaluation_interval: `${scrapeIntervalSeconds}s` },
        scrape_configs: [
            {
                job_name: "kubernetes-pods",
                kubernetes_sd_configs: [{ role: "pod", kubeconfig_file: kubeconfig, namespaces: { names: [namespace] } }],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], action: "keep", regex: "true" },
                    { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], target_label: "__metrics_path__", regex: "(.+)" },
                    { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"], target_label: "__scheme__", regex: "(https?)" },
                    {
                        source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                        regex: "(.+);(\\d+)",
                        target_label: "__address__",
                        replacement: "$1:$2",
                    },
                    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                ],
            },
        ],
    };
}

/** A Prometheus on 127.0.0.1 scraping one namespace of the test cluster. */
export class ClusterPrometheus {
    private server: StartedProcess | undefined;

    private constructor(
        private readonly work: TemporaryDirectory,
        private readonly binary: string,
        /** The port it listens on, the same across restarts. */
        readonly port: number,
    ) {}

    /** Its URL, as the stack's `monitoring.prometheusUrl` names it. */
    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** Writes the configuration and starts Prometheus; resolves once it answers queries. */
    static async start(kubeconfig: string, namespace: string): Promise<ClusterPrometheus> {
        const tools = await prometheusTools();
        const work = temporaryDirectory("go-services-canary-prometheus-");
        fs.writeFileSync(path.join(work.dir, "prometheus.yaml"), stringify(scrapeConfig(kubeconfig, namespace)));
        const prometheus = new ClusterPrometheus(work, path.join(tools, "prometheus"), await freePort());
        await prometheus.resume();
        return prometheus;
    }

    /** True while the process runs. */
    get running(): boolean {
        return this.server?.running ?? false;
    }

    /** Starts it again on the same port and storage, after {@link stop}; resolves once it answers queries. */
    async resume(): Promise<void> {
        if (this.running) {
            return;
        }
        const server = start("prometheus", this.binary, [
            `--config.file=${path.join(this.work.dir, "prometheus.yaml")}`,
            `--storage.tsdb.path=${path.join(this.work.dir, "data")}`,
            `--web.listen-address=127.0.0.1:${this.port}`,
            "--log.level=warn",
        ]);
        this.server = server;
        await pollUntil(
            `Prometheus on ${this.url} to answer queries`,
            async () => {
                if (!server.running) {
                    throw new Error(`prometheus exited: ${server.tail()}`);
                }
                return (await query(this.url, "vector(1)")).length === 1 ? true : undefined;
            },
            { timeoutMs: startDeadlineMs, intervalMs: 250 },
        );
    }

    /** Stops the process (by PID); its port refuses connections until {@link resume}. */
    async stop(): Promise<void> {
        await this.server?.stop();
    }

    /** Stops it and removes its files. */
    async remove(): Promise<void> {
        await this.stop();
        this.work.remove();
    }

    /** The last lines it printed, for messages. */
    tail(): string {
        return this.server?.tail() ?? "";
    }

    /** The targets of `pod` prefix that are up (scraped successfully), by pod name. */
    async podsUp(podPrefix: string): Promise<string[]> {
        const up = await query(this.url, `up{job="kubernetes-pods", pod=~"${podPrefix}-.*"} == 1`);
        return up.map((sample) => sample.metric.pod ?? "").sort();
    }

    /** A PromQL instant query: the sample values by their label sets. */
    query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
        return query(this.url, promql);
    }
}
