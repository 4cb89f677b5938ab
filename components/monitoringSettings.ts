/**
 * How a stack's services are monitored: the stack's `monitoring` settings (how Prometheus
 * finds them, who may scrape them, where runbooks and dashboards go) and the alert
 * thresholds, which a service may override with its own `alerts`. Checked here, before any
 * resource is registered, like every other setting.
 */
import { prometheusUrlSchema } from "./rolloutStrategy";
import { z } from "zod";
import { allowing, crossField, dnsLabel, duration, durationSeconds, flag, httpsUrl, integer, labels, oneOf, parseInto, Problems, ratio } from "./validation";

export { durationSeconds };

/** The metrics port unless a service's `metricsPort` says otherwise: the platform's default METRICS_PORT. */
export const defaultMetricsPort = 9090;

/** How Prometheus learns about the services. */
export const monitoringModes = ["none", "annotations", "prometheusOperator"] as const;

/**
 * `none`: nothing (the metrics port stays closed to other pods); `annotations`: the pods carry
 * the prometheus.io/scrape annotations that a Prometheus with the conventional
 * `kubernetes-pods` scrape job follows; `prometheusOperator`: a ServiceMonitor and a
 * PrometheusRule (monitoring.coreos.com/v1) per service.
 */
export type MonitoringMode = (typeof monitoringModes)[number];

/** The longest `for` and window: past a day an alert says nothing useful. */
const day = 24 * 3600;

const forDuration = (what: string) => duration(0, day, "0s to 24h").meta({ description: what });

/**
 * Alert thresholds (`monitoring.alerts`, a service's `alerts`). Each alert fires once its
 * condition has held for its `...For` duration. Durations are Prometheus durations of hours,
 * minutes and seconds: "3m", "1h30m", "90s". The defaults live in {@link defaultAlertThresholds}:
 * a service's own thresholds keep only what it sets, and the stack's fill in the rest.
 */
export const alertThresholdsSchema = z.strictObject({
    errorRatio: ratio(1, false)
        .optional()
        .meta({ description: "[GoServiceHighErrorRate](#goservicehigherrorrate): share of requests answered 5xx over 5 minutes above which it fires." }),
    errorRatioFor: forDuration("How long the error ratio must stay above `errorRatio`.").optional(),
    // The platform's largest finite latency bucket is 10s: p99 can never be seen above it.
    latencyP99Seconds: ratio(10, false, "0.25 for 250 ms").optional().meta({
        description:
            "[GoServiceHighLatency](#goservicehighlatency): p99 request latency over 5 minutes, in seconds, above which it fires (the latency objective).",
    }),
    latencyFor: forDuration("How long p99 must stay above `latencyP99Seconds`.").optional(),
    restarts: integer(0, 100, "must be an integer from 0 to 100: the restarts tolerated within restartsWindow").optional().meta({
        description: "[GoServiceRestarting](#goservicerestarting): container restarts of one pod within `restartsWindow` tolerated; one more fires it.",
    }),
    restartsWindow: duration(60, day, "1m to 24h").optional().meta({ description: "The window restarts are counted over." }),
    notReadyFor: forDuration(
        "[GoServicePodNotReady](#goservicepodnotready): how long a pod may stay not ready (failing /readyz, pending, or unknown).",
    ).optional(),
    memoryLimitRatio: ratio(1, true)
        .optional()
        .meta({ description: "[GoServiceMemoryNearLimit](#goservicememorynearlimit): share of the memory limit a container's working set may reach." }),
    memoryFor: forDuration("How long the working set must stay above `memoryLimitRatio` of the limit.").optional(),
});

/** Alert thresholds as given; each one optional. */
export type AlertThresholds = z.input<typeof alertThresholdsSchema>;

/** Thresholds with every value set. */
export type ResolvedAlertThresholds = Required<z.output<typeof alertThresholdsSchema>>;

/** The defaults: the 5xx ratio alert is the one the container practices this project follows name. */
export const defaultAlertThresholds: ResolvedAlertThresholds = {
    errorRatio: 0.05,
    errorRatioFor: "3m",
    latencyP99Seconds: 0.5,
    latencyFor: "5m",
    restarts: 2,
    restartsWindow: "15m",
    notReadyFor: "10m",
    memoryLimitRatio: 0.9,
    memoryFor: "5m",
};

/** The stack's `monitoring` settings. */
export const monitoringSchema = z
    .strictObject({
        mode: oneOf(monitoringModes).default("annotations").meta({
            description:
                "How Prometheus learns about the services: `none`, `annotations` (the prometheus.io/scrape annotations a conventional `kubernetes-pods` scrape job follows) or `prometheusOperator` (a ServiceMonitor and a PrometheusRule per service).",
        }),
        prometheusSelector: labels.default({ release: "kube-prometheus-stack" }).meta({
            description:
                "Labels put on each ServiceMonitor and PrometheusRule, for the Prometheus's serviceMonitorSelector and ruleSelector (the default is what the kube-prometheus-stack chart selects when installed under that release name).",
        }),
        namespaces: allowing(z.array(dnsLabel()), "must be a list of namespace names")
            .transform((names) => [...new Set(names)].sort())
            .default(["monitoring"])
            .meta({ description: "Namespaces whose pods may connect to the metrics port (the NetworkPolicy)." }),
        scrapeInterval: duration(5, 300, "5s to 5m").default("30s").meta({ description: "How often the ServiceMonitor has Prometheus scrape." }),
        runbookUrl: httpsUrl(
            "must be an https:// URL in which {alert} stands for the alert's name, e.g. https://github.com/acme/go-services/blob/main/README.md#{alert}",
        )
            .refine((url) => url.includes("{alert}"))
            .optional()
            .meta({
                description:
                    "The runbook of each alert, as a URL in which `{alert}` stands for the lower-case alert name, e.g. `https://github.com/acme/go-services/blob/main/README.md#{alert}` ([Alerts and runbooks](#alerts-and-runbooks)). Required with `prometheusOperator`, which deploys the alerts.",
            }),
        alerts: alertThresholdsSchema
            .prefault({})
            .transform((given) => ({ ...defaultAlertThresholds, ...given }))
            .meta({ description: "Alert thresholds of every service; a service's own `alerts` override them. Keys: [Alert thresholds](#alert-thresholds)." }),
        dashboard: z
            .strictObject({
                enabled: flag().default(true).meta({ description: "Create a Grafana dashboard ConfigMap per service (when `mode` is not `none`)." }),
                namespace: dnsLabel()
                    .optional()
                    .meta({ description: "Namespace of the ConfigMaps: the one Grafana's dashboard sidecar watches. Default: the services' namespace." }),
                labels: labels
                    .default({ grafana_dashboard: "1" })
                    .meta({ description: "Labels the sidecar selects ConfigMaps by; at least one when enabled." }),
            })
            .check(
                crossField(["enabled", "labels"], (dashboard, report) => {
                    if (dashboard.enabled && Object.keys(dashboard.labels).length === 0) {
                        report("labels", dashboard.labels, "must name at least one label: Grafana's dashboard sidecar finds ConfigMaps by label");
                    }
                }),
            )
            .prefault({})
            .meta({ description: "The Grafana dashboard of each service." }),
        prometheusUrl: prometheusUrlSchema,
    })
    .check(
        crossField(["mode", "namespaces"], (monitoring, report) => {
            if (monitoring.namespaces.length === 0 && monitoring.mode !== "none") {
                report("namespaces", [], "must name at least one namespace whose Prometheus scrapes the services (or set mode: none)");
            }
        }),
        crossField(["mode", "runbookUrl"], (monitoring, report) => {
            if (monitoring.runbookUrl === undefined && monitoring.mode === "prometheusOperator") {
                report(
                    "runbookUrl",
                    undefined,
                    "is required with mode prometheusOperator, which deploys alert rules: the https:// URL of each alert's runbook, {alert} standing for its name, e.g. https://github.com/acme/go-services/blob/main/README.md#{alert}",
                );
            }
        }),
    );

/** Monitoring settings as given. */
export type MonitoringSettings = z.input<typeof monitoringSchema>;

/** Monitoring settings after checking and defaults. */
export type ResolvedMonitoring = z.output<typeof monitoringSchema>;

/** The settings of a stack that says nothing about monitoring. */
export const defaultMonitoring: ResolvedMonitoring = monitoringSchema.parse({});

/**
 * Checks alert thresholds (all optional) at `path`; returns those given, checked, or
 * undefined when one is bad.
 */
export function resolveAlertThresholds(raw: unknown, path: string, problems: Problems): AlertThresholds | undefined {
    return parseInto(alertThresholdsSchema, raw ?? {}, path, problems);
}

/** Checks the stack's `monitoring` settings at `path` and applies the defaults. */
export function resolveMonitoring(raw: unknown, path: string, problems: Problems): ResolvedMonitoring | undefined {
    return parseInto(monitoringSchema, raw ?? {}, path, problems);
}
