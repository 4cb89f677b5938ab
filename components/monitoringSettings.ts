/**
 * How a stack's services are monitored: the stack's `monitoring` settings (how Prometheus
 * finds them, who may scrape them, where runbooks and dashboards go) and the alert
 * thresholds, which a service may override with its own `alerts`. Checked here, before any
 * resource is registered, like every other setting.
 */
import { resolvePrometheusUrl } from "./rolloutStrategy";
import { checkBoolean, checkDnsLabel, checkList, checkObject, checkOneOf, isPlainObject, joinPath, Problems } from "./validation";

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

/**
 * Alert thresholds. Each alert fires once its condition has held for its `...For` duration.
 * Durations are Prometheus durations of hours, minutes and seconds: "3m", "1h30m", "90s".
 */
export interface AlertThresholds {
    /** GoServiceHighErrorRate: share of requests answered 5xx over 5 minutes, above which it fires. Above 0, below 1; default 0.05. */
    errorRatio?: number;
    /** How long the error ratio must stay above `errorRatio`. Default "3m". */
    errorRatioFor?: string;
    /** GoServiceHighLatency: p99 request latency over 5 minutes, in seconds, above which it fires (the latency objective). Above 0, below 10; default 0.5. */
    latencyP99Seconds?: number;
    /** How long p99 must stay above `latencyP99Seconds`. Default "5m". */
    latencyFor?: string;
    /** GoServiceRestarting: container restarts of one pod within `restartsWindow` tolerated; one more fires it. 0-100, default 2. */
    restarts?: number;
    /** The window restarts are counted over. 1m to 24h, default "15m". */
    restartsWindow?: string;
    /** GoServicePodNotReady: how long a pod may stay not ready (failing /readyz, pending, or unknown). Default "10m". */
    notReadyFor?: string;
    /** GoServiceMemoryNearLimit: share of the memory limit a container's working set may reach. Above 0, at most 1; default 0.9. */
    memoryLimitRatio?: number;
    /** How long the working set must stay above `memoryLimitRatio` of the limit. Default "5m". */
    memoryFor?: string;
}

/** Thresholds with every value set. */
export type ResolvedAlertThresholds = Required<AlertThresholds>;

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

/** The keys of {@link AlertThresholds}, in the order the README documents them. */
export const alertThresholdKeys = Object.keys(defaultAlertThresholds) as (keyof AlertThresholds)[];

/** The Grafana dashboard of each service. */
export interface DashboardSettings {
    /** Create a dashboard ConfigMap per service. Default true (when monitoring is not `none`). */
    enabled?: boolean;
    /** Namespace of the ConfigMaps: the one Grafana's dashboard sidecar watches. Default: the services' namespace. */
    namespace?: string;
    /** Labels the sidecar selects ConfigMaps by. Default `{ grafana_dashboard: "1" }`. */
    labels?: Record<string, string>;
}

/** The stack's `monitoring` settings. */
export interface MonitoringSettings {
    /** How Prometheus learns about the services. Default `annotations`; the prod stack file sets `prometheusOperator`. */
    mode?: MonitoringMode;
    /**
     * Labels put on each ServiceMonitor and PrometheusRule, for the Prometheus's
     * serviceMonitorSelector and ruleSelector. Default `{ release: "kube-prometheus-stack" }`,
     * what the kube-prometheus-stack chart selects when installed under that release name.
     */
    prometheusSelector?: Record<string, string>;
    /** Namespaces whose pods may connect to the metrics port (the NetworkPolicy). Default `["monitoring"]`. */
    namespaces?: string[];
    /** How often the ServiceMonitor has Prometheus scrape. A Prometheus duration, 5s to 5m; default "30s". */
    scrapeInterval?: string;
    /**
     * The runbook of each alert, as a URL in which `{alert}` stands for the lower-case alert name,
     * e.g. `https://github.com/acme/go-services/blob/main/README.md#{alert}` (the README's
     * "Alerts and runbooks" section). Required with `prometheusOperator`, which deploys the alerts.
     */
    runbookUrl?: string;
    /** Alert thresholds of every service; a service's own `alerts` override them. Defaults in {@link defaultAlertThresholds}. */
    alerts?: AlertThresholds;
    /** The Grafana dashboards. */
    dashboard?: DashboardSettings;
    /**
     * The Prometheus the canary analyses query (`/api/v1/query`), as Argo Rollouts' controller
     * reaches it, e.g. `http://prometheus-operated.monitoring.svc:9090`. Required when a service
     * uses `rollout.strategy: canary`. Declared in components/rolloutStrategy.ts.
     */
    prometheusUrl?: string;
}

/** Monitoring settings after checking and defaults. */
export interface ResolvedMonitoring {
    mode: MonitoringMode;
    prometheusSelector: Record<string, string>;
    namespaces: string[];
    scrapeInterval: string;
    /** Set whenever mode is prometheusOperator. */
    runbookUrl?: string;
    alerts: ResolvedAlertThresholds;
    dashboard: { enabled: boolean; namespace?: string; labels: Record<string, string> };
    prometheusUrl?: string;
}

/** The keys of {@link MonitoringSettings}. */
export const monitoringSettingKeys = [
    "mode",
    "prometheusSelector",
    "namespaces",
    "scrapeInterval",
    "runbookUrl",
    "alerts",
    "dashboard",
    "prometheusUrl",
] as const;

/** The settings of a stack that says nothing about monitoring. */
export const defaultMonitoring: ResolvedMonitoring = {
    mode: "annotations",
    prometheusSelector: { release: "kube-prometheus-stack" },
    namespaces: ["monitoring"],
    scrapeInterval: "30s",
    alerts: defaultAlertThresholds,
    dashboard: { enabled: true, labels: { grafana_dashboard: "1" } },
};

const durationPattern = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Seconds in a Prometheus duration of hours, minutes and seconds ("1h30m"), or undefined for anything else. */
export function durationSeconds(value: unknown): number | undefined {
    const match = typeof value === "string" ? durationPattern.exec(value) : null;
    if (!match) {
        return undefined;
    }
    const unit = (part: string | undefined) => (part ? parseInt(part, 10) : 0);
    return unit(match[1]) * 3600 + unit(match[2]) * 60 + unit(match[3]);
}

function checkDuration(value: unknown, path: string, minSeconds: number, maxSeconds: number, allowed: string, problems: Problems): value is string {
    const seconds = durationSeconds(value);
    if (seconds === undefined || seconds < minSeconds || seconds > maxSeconds) {
        problems.add(path, value, `must be a duration of hours, minutes and seconds from ${allowed}, e.g. "3m", "1h30m" or "90s"`);
        return false;
    }
    return true;
}

function checkRatio(value: unknown, path: string, max: number, inclusive: boolean, problems: Problems): value is number {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max || (!inclusive && value === max)) {
        problems.add(path, value, `must be a number above 0 and ${inclusive ? "at most" : "below"} ${max}, e.g. 0.05 for 5%`);
        return false;
    }
    return true;
}

/** The longest `for` and window: past a day an alert says nothing useful. */
const day = 24 * 3600;

/**
 * Checks alert thresholds (all optional) at `path`; returns those given, checked, or
 * undefined when one is bad. A service's `alerts` and the stack's `monitoring.alerts` both
 * go through here.
 */
export function resolveAlertThresholds(raw: unknown, path: string, problems: Problems): AlertThresholds | undefined {
    if (raw === undefined) {
        return {};
    }
    const before = problems.count;
    const input = checkObject(raw, path, alertThresholdKeys, problems);
    if (!input) {
        return undefined;
    }
    const at = (key: keyof AlertThresholds) => joinPath(path, key);
    const given: AlertThresholds = {};
    for (const key of alertThresholdKeys) {
        const value = input[key];
        if (value === undefined) {
            continue;
        }
        switch (key) {
            case "errorRatio":
                if (checkRatio(value, at(key), 1, false, problems)) given[key] = value;
                break;
            case "memoryLimitRatio":
                if (checkRatio(value, at(key), 1, true, problems)) given[key] = value;
                break;
            case "latencyP99Seconds":
                // The platform's largest finite latency bucket is 10s: p99 can never be seen above it.
                if (checkRatio(value, at(key), 10, false, problems)) given[key] = value;
                break;
            case "restarts":
                if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 100) {
                    given[key] = value;
                } else {
                    problems.add(at(key), value, "must be an integer from 0 to 100: the restarts tolerated within restartsWindow");
                }
                break;
            case "restartsWindow":
                if (checkDuration(value, at(key), 60, day, "1m to 24h", problems)) given[key] = value;
                break;
            case "errorRatioFor":
            case "latencyFor":
            case "notReadyFor":
            case "memoryFor":
                if (checkDuration(value, at(key), 0, day, "0s to 24h", problems)) given[key] = value;
                break;
        }
    }
    return problems.count > before ? undefined : given;
}

/** Kubernetes label names and values, which the selector and dashboard labels are on the objects. */
const kubernetesLabelName = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const kubernetesLabelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function checkLabels(value: unknown, path: string, problems: Problems): Record<string, string> | undefined {
    if (!isPlainObject(value)) {
        problems.add(path, value, "must be a map of Kubernetes label name to value");
        return undefined;
    }
    const before = problems.count;
    for (const [name, labelValue] of Object.entries(value)) {
        if (!kubernetesLabelName.test(name) || name.startsWith("app.kubernetes.io/")) {
            problems.add(
                joinPath(path, name),
                labelValue,
                "must have a Kubernetes label name ([prefix/]name, 63 characters at most) outside app.kubernetes.io/, which go-services sets",
            );
        } else if (typeof labelValue !== "string" || !kubernetesLabelValue.test(labelValue)) {
            problems.add(
                joinPath(path, name),
                labelValue,
                "must be a Kubernetes label value: a string of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            );
        }
    }
    return problems.count > before ? undefined : (value as Record<string, string>);
}

/**
 * Checks the stack's `monitoring` settings at `path` and applies the defaults. Returns
 * undefined when anything is bad.
 */
export function resolveMonitoring(raw: unknown, path: string, problems: Problems): ResolvedMonitoring | undefined {
    if (raw === undefined) {
        return defaultMonitoring;
    }
    const before = problems.count;
    const input = checkObject(raw, path, monitoringSettingKeys, problems);
    if (!input) {
        return undefined;
    }
    const at = (key: string) => joinPath(path, key);
    const mode = input.mode ?? defaultMonitoring.mode;
    checkOneOf(mode, at("mode"), monitoringModes, problems);
    const prometheusSelector =
        input.prometheusSelector === undefined
            ? defaultMonitoring.prometheusSelector
            : checkLabels(input.prometheusSelector, at("prometheusSelector"), problems);
    const namespaces =
        input.namespaces === undefined
            ? defaultMonitoring.namespaces
            : checkList(
                  input.namespaces,
                  at("namespaces"),
                  "namespace names",
                  (namespace, itemPath) => (checkDnsLabel(namespace, itemPath, problems) ? namespace : undefined),
                  problems,
              );
    if (namespaces?.length === 0 && mode !== "none") {
        problems.add(at("namespaces"), input.namespaces, "must name at least one namespace whose Prometheus scrapes the services (or set mode: none)");
    }
    const scrapeInterval = input.scrapeInterval ?? defaultMonitoring.scrapeInterval;
    checkDuration(scrapeInterval, at("scrapeInterval"), 5, 300, "5s to 5m", problems);
    const runbookUrl = input.runbookUrl;
    if (runbookUrl !== undefined && (typeof runbookUrl !== "string" || !/^https:\/\/\S+$/.test(runbookUrl) || !runbookUrl.includes("{alert}"))) {
        problems.add(
            at("runbookUrl"),
            runbookUrl,
            "must be an https:// URL in which {alert} stands for the alert's name, e.g. https://github.com/acme/go-services/blob/main/README.md#{alert}",
        );
    } else if (runbookUrl === undefined && mode === "prometheusOperator") {
        problems.add(
            at("runbookUrl"),
            undefined,
            "is required with mode prometheusOperator, which deploys alert rules: the https:// URL of each alert's runbook, {alert} standing for its name, e.g. https://github.com/acme/go-services/blob/main/README.md#{alert}",
        );
    }
    const alerts = resolveAlertThresholds(input.alerts, at("alerts"), problems);
    const dashboard = resolveDashboard(input.dashboard, at("dashboard"), problems);
    const prometheusUrl = resolvePrometheusUrl(input.prometheusUrl, at("prometheusUrl"), problems);
    if (problems.count > before || !prometheusSelector || !namespaces || !alerts || !dashboard) {
        return undefined;
    }
    return {
        mode: mode as MonitoringMode,
        prometheusSelector,
        namespaces: [...new Set(namespaces)].sort(),
        scrapeInterval: scrapeInterval as string,
        ...(typeof runbookUrl === "string" ? { runbookUrl } : {}),
        alerts: { ...defaultAlertThresholds, ...alerts },
        dashboard,
        ...(prometheusUrl === undefined ? {} : { prometheusUrl }),
    };
}

function resolveDashboard(raw: unknown, path: string, problems: Problems): ResolvedMonitoring["dashboard"] | undefined {
    const input = checkObject(raw ?? {}, path, ["enabled", "namespace", "labels"], problems);
    if (!input) {
        return undefined;
    }
    const enabled = input.enabled === undefined ? defaultMonitoring.dashboard.enabled : checkBoolean(input.enabled, joinPath(path, "enabled"), problems);
    const namespace = input.namespace;
    if (namespace !== undefined && !checkDnsLabel(namespace, joinPath(path, "namespace"), problems)) {
        return undefined;
    }
    const labels = input.labels === undefined ? defaultMonitoring.dashboard.labels : checkLabels(input.labels, joinPath(path, "labels"), problems);
    if (enabled === undefined || !labels) {
        return undefined;
    }
    if (Object.keys(labels).length === 0) {
        problems.add(joinPath(path, "labels"), labels, "must name at least one label: Grafana's dashboard sidecar finds ConfigMaps by label");
        return undefined;
    }
    return { enabled, ...(namespace === undefined ? {} : { namespace }), labels };
}
