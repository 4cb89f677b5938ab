/**
 * What a service's monitoring deploys with it, as pure functions of plain settings: the
 * scrape annotations, the ServiceMonitor and PrometheusRule (monitoring.coreos.com/v1), the
 * alert rules themselves (which `promtool` checks and unit-tests, see test/observability/),
 * and a Grafana dashboard ConfigMap. The queries use the metrics every service gets from
 * services/platform (metrics.go), the kube-state-metrics series and the kubelet's cAdvisor
 * series, each selected by namespace and the pod names of the service's Deployment.
 */
import { createHash } from "crypto";
import { instanceName, recommendedLabels, selectorLabels, ServiceIdentity } from "./labels";
import { ResolvedAlertThresholds, ResolvedMonitoring } from "./monitoringSettings";

/** The name of the container and Service port of the metrics endpoint. */
export const metricsPortName = "metrics";

/** Where the platform serves the metrics (services/platform: METRICS_PORT, /metrics). */
export const metricsPath = "/metrics";

/** The metrics every service exposes (services/platform/metrics.go): the rules and the dashboard query them by these names. */
export const platformMetrics = {
    requests: "http_requests_total",
    duration: "http_request_duration_seconds",
    inFlight: "http_requests_in_flight",
    buildInfo: "service_build_info",
} as const;

/** The window the request rates of the alerts are taken over. */
export const rateWindow = "5m";

/** The alerts every service gets, by the threshold that drives each. */
export const alertNames = {
    errorRatio: "GoServiceHighErrorRate",
    latency: "GoServiceHighLatency",
    restarts: "GoServiceRestarting",
    notReady: "GoServicePodNotReady",
    memory: "GoServiceMemoryNearLimit",
} as const;

/** One Prometheus alerting rule. */
export interface AlertRule {
    alert: string;
    expr: string;
    /** Omitted when the alert fires as soon as its expression holds. */
    for?: string;
    labels: Record<string, string>;
    annotations: { summary: string; description: string; runbook_url: string };
}

/** A Prometheus rule group, as a rule file and a PrometheusRule's spec hold them. */
export interface RuleGroup {
    name: string;
    rules: AlertRule[];
}

/** The object metadata go-services sets on the custom resources. */
interface ObjectMeta {
    name: string;
    namespace: string;
    labels: Record<string, string>;
}

/** monitoring.coreos.com/v1 ServiceMonitor: as much of it as go-services sets. */
export interface ServiceMonitor {
    apiVersion: "monitoring.coreos.com/v1";
    kind: "ServiceMonitor";
    metadata: ObjectMeta;
    spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string; scheme: "http"; interval: string }[];
    };
}

/** monitoring.coreos.com/v1 PrometheusRule: as much of it as go-services sets. */
export interface PrometheusRule {
    apiVersion: "monitoring.coreos.com/v1";
    kind: "PrometheusRule";
    metadata: ObjectMeta;
    spec: { groups: RuleGroup[] };
}

/**
 * The PromQL label matchers of a service's series: its namespace, and the names of its
 * Deployment's pods, `<name>-<pod-template-hash>-<5 characters>`. Every series the alerts
 * read carries both labels (the ServiceMonitor's targets, kube-state-metrics, cAdvisor), and
 * the pattern cannot match the pods of another service whose name starts with this one's.
 */
export function seriesMatchers(identity: Pick<ServiceIdentity, "name" | "namespace">): string {
    return `namespace="${identity.namespace}", pod=~"${identity.name}-[a-z0-9]+-[a-z0-9]{5}"`;
}

/** The runbook URL of an alert: the template with `{alert}` replaced by the alert's lower-case name. */
export function runbookUrl(template: string, alert: string): string {
    return template.split("{alert}").join(alert.toLowerCase());
}

/** A number as PromQL and people read it: 0.05, not 5e-2. */
export function decimal(value: number): string {
    return value.toString().includes("e") ? value.toFixed(12).replace(/0+$/, "") : value.toString();
}

function percent(value: number): string {
    return `${decimal(Math.round(value * 1e6) / 1e4)}%`;
}

/**
 * The alert rules of a service: the 5xx ratio, the p99 latency objective, restarts, pods not
 * ready, and memory near the limit. Each carries the service's labels (service, namespace,
 * stack), a severity and a runbook_url.
 */
export function buildAlertRuleGroups(
    identity: Pick<ServiceIdentity, "name" | "namespace" | "stack">,
    thresholds: ResolvedAlertThresholds,
    runbookTemplate: string,
): RuleGroup[] {
    const matchers = seriesMatchers(identity);
    const container = `container="${identity.name}"`;
    const { requests, duration } = platformMetrics;
    const subject = `${identity.name} in ${identity.namespace}`;
    const rule = (
        key: keyof typeof alertNames,
        severity: "critical" | "warning",
        expr: string,
        forDuration: string | undefined,
        summary: string,
        description: string,
    ): AlertRule => ({
        alert: alertNames[key],
        expr,
        ...(forDuration === undefined || forDuration === "0s" ? {} : { for: forDuration }),
        labels: { severity, service: identity.name, namespace: identity.namespace, stack: identity.stack },
        annotations: { summary, description, runbook_url: runbookUrl(runbookTemplate, alertNames[key]) },
    });
    return [
        {
            name: `go-services.${identity.name}`,
            rules: [
                rule(
                    "errorRatio",
                    "critical",
                    [
                        `sum(rate(${requests}{${matchers}, status=~"5.."}[${rateWindow}]))`,
                        `  /`,
                        `sum(rate(${requests}{${matchers}}[${rateWindow}]))`,
                        `  > ${decimal(thresholds.errorRatio)}`,
                    ].join("\n"),
                    thresholds.errorRatioFor,
                    `${subject} answers more than ${percent(thresholds.errorRatio)} of requests with 5xx`,
                    `{{ $value | humanizePercentage }} of the requests to ${subject} got a 5xx answer over the last ${rateWindow}.`,
                ),
                rule(
                    "latency",
                    "warning",
                    `histogram_quantile(0.99, sum by (le) (rate(${duration}_bucket{${matchers}}[${rateWindow}]))) > ${decimal(thresholds.latencyP99Seconds)}`,
                    thresholds.latencyFor,
                    `${subject} answers slower than its objective: p99 above ${decimal(thresholds.latencyP99Seconds)}s`,
                    `The 99th percentile latency of ${subject} is {{ $value | humanizeDuration }} over the last ${rateWindow}.`,
                ),
                rule(
                    "restarts",
                    "warning",
                    `increase(kube_pod_container_status_restarts_total{${matchers}, ${container}}[${thresholds.restartsWindow}]) > ${thresholds.restarts}`,
                    undefined,
                    `A pod of ${subject} keeps restarting`,
                    `{{ $labels.pod }} restarted {{ $value | humanize }} times in ${thresholds.restartsWindow}.`,
                ),
                rule(
                    "notReady",
                    "warning",
                    `max by (namespace, pod) (kube_pod_status_ready{${matchers}, condition=~"false|unknown"}) == 1`,
                    thresholds.notReadyFor,
                    `A pod of ${subject} is not ready`,
                    `{{ $labels.pod }} has not been ready for ${thresholds.notReadyFor}: it fails /readyz, is not scheduled, or its node is unreachable.`,
                ),
                rule(
                    "memory",
                    "warning",
                    [
                        `max by (namespace, pod, container) (container_memory_working_set_bytes{${matchers}, ${container}})`,
                        `  / on (namespace, pod, container)`,
                        `max by (namespace, pod, container) (kube_pod_container_resource_limits{${matchers}, ${container}, resource="memory"})`,
                        `  > ${decimal(thresholds.memoryLimitRatio)}`,
                    ].join("\n"),
                    thresholds.memoryFor,
                    `A pod of ${subject} uses more than ${percent(thresholds.memoryLimitRatio)} of its memory limit`,
                    `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit; at the limit it is OOM-killed.`,
                ),
            ],
        },
    ];
}

/** What the monitoring objects of a service are built from. */
export interface MonitoringSpec {
    identity: ServiceIdentity;
    monitoring: ResolvedMonitoring;
    /** The service's thresholds: the stack's, with its own `alerts` over them. */
    alerts: ResolvedAlertThresholds;
    /** The container port of the metrics endpoint. */
    metricsPort: number;
}

/** The recommended labels and the Prometheus selector's, for the custom resources. */
function selectedLabels(spec: MonitoringSpec): Record<string, string> {
    return { ...spec.monitoring.prometheusSelector, ...recommendedLabels(spec.identity) };
}

/** The pod annotations a `kubernetes-pods` scrape job follows (mode `annotations`). */
export function scrapeAnnotations(metricsPort: number): Record<string, string> {
    return { "prometheus.io/scrape": "true", "prometheus.io/port": String(metricsPort), "prometheus.io/path": metricsPath, "prometheus.io/scheme": "http" };
}

/** The ServiceMonitor: Prometheus scrapes the metrics port of every pod behind the service's Service. */
export function buildServiceMonitor(spec: MonitoringSpec): ServiceMonitor {
    const { identity } = spec;
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: identity.name, namespace: identity.namespace, labels: selectedLabels(spec) },
        spec: {
            selector: { matchLabels: selectorLabels(identity) },
            namespaceSelector: { matchNames: [identity.namespace] },
            endpoints: [{ port: metricsPortName, path: metricsPath, scheme: "http", interval: spec.monitoring.scrapeInterval }],
        },
    };
}

/** The PrometheusRule holding the service's alerts. */
export function buildPrometheusRule(spec: MonitoringSpec): PrometheusRule {
    const { identity, monitoring } = spec;
    if (monitoring.runbookUrl === undefined) {
        throw new Error(`buildPrometheusRule: no runbookUrl for ${identity.name}; resolveMonitoring requires one with prometheusOperator`);
    }
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: identity.name, namespace: identity.namespace, labels: selectedLabels(spec) },
        spec: { groups: buildAlertRuleGroups(identity, spec.alerts, monitoring.runbookUrl) },
    };
}

/** A dashboard query with its legend. */
interface Target {
    expr: string;
    legendFormat: string;
}

/** A time-series panel of the dashboard. */
interface Panel {
    title: string;
    description: string;
    unit: string;
    targets: Target[];
    /** A red line at this value: the alert threshold the panel shows. */
    threshold?: number;
    /** The panel's upper bound, e.g. 1 for a ratio. */
    max?: number;
}

/** The dashboard's panels: rate, errors, latency, saturation, restarts. */
function dashboardPanels(identity: ServiceIdentity, alerts: ResolvedAlertThresholds): Panel[] {
    const m = seriesMatchers(identity);
    const c = `container="${identity.name}"`;
    const { requests, duration, inFlight } = platformMetrics;
    const interval = "$__rate_interval";
    const quantile = (q: number) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${duration}_bucket{${m}}[${interval}])))`,
        legendFormat: `p${Math.round(q * 100)}`,
    });
    return [
        {
            title: "Request rate by route",
            description: "Requests per second by ServeMux route pattern; probes and scrapes are not counted.",
            unit: "reqps",
            targets: [{ expr: `sum by (route) (rate(${requests}{${m}}[${interval}]))`, legendFormat: "{{route}}" }],
        },
        {
            title: "Requests by status",
            description: "Requests per second by status code.",
            unit: "reqps",
            targets: [{ expr: `sum by (status) (rate(${requests}{${m}}[${interval}]))`, legendFormat: "{{status}}" }],
        },
        {
            title: "5xx ratio",
            description: `Share of requests answered 5xx; ${alertNames.errorRatio} fires above the red line.`,
            unit: "percentunit",
            max: 1,
            threshold: alerts.errorRatio,
            targets: [
                { expr: `sum(rate(${requests}{${m}, status=~"5.."}[${interval}])) / sum(rate(${requests}{${m}}[${interval}]))`, legendFormat: "5xx ratio" },
            ],
        },
        {
            title: "Latency percentiles",
            description: `p50, p90 and p99 of the request latency; ${alertNames.latency} fires when p99 stays above the red line.`,
            unit: "s",
            threshold: alerts.latencyP99Seconds,
            targets: [quantile(0.5), quantile(0.9), quantile(0.99)],
        },
        {
            title: "Requests in flight",
            description: "Requests being answered, summed over the pods.",
            unit: "short",
            targets: [{ expr: `sum(${inFlight}{${m}})`, legendFormat: "in flight" }],
        },
        {
            title: "CPU against the limit",
            description: "CPU used by each pod's container, and its limit (cAdvisor, kube-state-metrics).",
            unit: "short",
            targets: [
                { expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${m}, ${c}}[${interval}]))`, legendFormat: "{{pod}}" },
                { expr: `max(kube_pod_container_resource_limits{${m}, ${c}, resource="cpu"})`, legendFormat: "limit" },
            ],
        },
        {
            title: "Memory against the limit",
            description: `Working set of each pod's container, and its limit; ${alertNames.memory} fires above ${percent(alerts.memoryLimitRatio)} of it.`,
            unit: "bytes",
            targets: [
                { expr: `max by (pod) (container_memory_working_set_bytes{${m}, ${c}})`, legendFormat: "{{pod}}" },
                { expr: `max(kube_pod_container_resource_limits{${m}, ${c}, resource="memory"})`, legendFormat: "limit" },
            ],
        },
        {
            title: "Restarts",
            description: `Container restarts per pod over ${alerts.restartsWindow}; ${alertNames.restarts} fires above ${alerts.restarts}.`,
            unit: "short",
            threshold: alerts.restarts,
            targets: [
                { expr: `max by (pod) (increase(kube_pod_container_status_restarts_total{${m}, ${c}}[${alerts.restartsWindow}]))`, legendFormat: "{{pod}}" },
            ],
        },
    ];
}

/** The Grafana dashboard model (schema version 39) of a service. */
export function buildDashboardModel(identity: ServiceIdentity, alerts: ResolvedAlertThresholds): Record<string, unknown> {
    const datasource = { type: "prometheus", uid: "${datasource}" };
    const panels = dashboardPanels(identity, alerts).map((panel, index) => ({
        id: index + 1,
        type: "timeseries",
        title: panel.title,
        description: panel.description,
        datasource,
        gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
        fieldConfig: {
            defaults: {
                unit: panel.unit,
                min: 0,
                ...(panel.max === undefined ? {} : { max: panel.max }),
                thresholds: {
                    mode: "absolute",
                    steps: [{ color: "green", value: null }, ...(panel.threshold === undefined ? [] : [{ color: "red", value: panel.threshold }])],
                },
                custom: { thresholdsStyle: { mode: panel.threshold === undefined ? "off" : "line" } },
            },
            overrides: [],
        },
        targets: panel.targets.map((target, targetIndex) => ({ ...target, datasource, refId: String.fromCharCode(65 + targetIndex) })),
    }));
    return {
        // Stable across deploys and unique per service and namespace: Grafana keys dashboards by uid (at most 40 characters).
        uid: `go-services-${createHash("sha256").update(`${identity.namespace}/${identity.name}`).digest("hex").slice(0, 16)}`,
        title: `${identity.name} (${identity.stack})`,
        description: `RED metrics and saturation of ${identity.name} in ${identity.namespace}, deployed by go-services.`,
        tags: ["go-services", identity.stack],
        editable: false,
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        templating: {
            list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0 }],
        },
        panels,
    };
}

/** A ConfigMap holding a dashboard, as go-services builds it. */
export interface DashboardConfigMap {
    apiVersion: "v1";
    kind: "ConfigMap";
    metadata: ObjectMeta;
    /** The dashboard's JSON model, by file name. */
    data: Record<string, string>;
}

/** The ConfigMap Grafana's dashboard sidecar loads the service's dashboard from. */
export function buildDashboardConfigMap(spec: MonitoringSpec): DashboardConfigMap {
    const { identity, monitoring } = spec;
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: `${identity.name}-dashboard`,
            namespace: monitoring.dashboard.namespace ?? identity.namespace,
            labels: { ...monitoring.dashboard.labels, ...recommendedLabels(identity) },
        },
        data: { [`${instanceName(identity)}.json`]: `${JSON.stringify(buildDashboardModel(identity, spec.alerts), null, 2)}\n` },
    };
}
