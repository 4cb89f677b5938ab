import * as assert from "assert";
import { PrometheusRule as PrometheusRuleModel } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor as ServiceMonitorModel } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import {
    AlertRule,
    alertNames,
    buildAlertRuleGroups,
    buildDashboardConfigMap,
    buildPrometheusRule,
    buildServiceMonitor,
    MonitoringSpec,
    RuleGroup,
    scrapeAnnotations,
    seriesMatchers,
} from "../components/monitoring";
import { defaultAlertThresholds, defaultMonitoring, ResolvedAlertThresholds, ResolvedMonitoring } from "../components/monitoringSettings";
import { helloIdentity } from "./support/fixtures";

const runbooks = "https://runbooks.example.com/go-services#{alert}";
const operator: ResolvedMonitoring = {
    ...defaultMonitoring,
    mode: "prometheusOperator",
    prometheusSelector: { release: "monitoring" },
    runbookUrl: runbooks,
};
const spec: MonitoringSpec = { identity: helloIdentity, monitoring: operator, alerts: defaultAlertThresholds, metricsPort: 9090 };

/** The one rule group of hello's alerts with these thresholds. */
function helloGroup(thresholds: ResolvedAlertThresholds = defaultAlertThresholds): RuleGroup {
    const groups = buildAlertRuleGroups(helloIdentity, thresholds, runbooks);
    assert.strictEqual(groups.length, 1);
    return groups[0] as RuleGroup;
}

/** The rule of an alert. */
function ruleOf(group: RuleGroup, alert: string): AlertRule {
    const rule = group.rules.find((candidate) => candidate.alert === alert);
    assert.ok(rule, `no ${alert} in ${group.name}`);
    return rule;
}

/** The only value of a map. */
function onlyValue(data: Record<string, string>): string {
    const values = Object.values(data);
    assert.strictEqual(values.length, 1);
    return values[0] as string;
}

/** The pod-name pattern of the matchers, as a JavaScript regular expression anchored like PromQL's. */
function podPattern(matchers: string): RegExp {
    const pattern = /pod=~"([^"]+)"/.exec(matchers)?.[1];
    assert.ok(pattern, matchers);
    return new RegExp(`^(?:${pattern})$`);
}

describe("monitoring builders", () => {
    it("selects a service's series by namespace and the pod names of its Deployment only", () => {
        const matchers = seriesMatchers(helloIdentity);
        assert.match(matchers, /^namespace="apps", /);
        const pods = podPattern(matchers);
        assert.ok(pods.test("hello-5d9c7b8f6d-x2k4z"));
        assert.ok(pods.test("hello-7f9c-abcde"));
        for (const other of ["hello-api-5d9c7b8f6d-x2k4z", "hello-5d9c7b8f6d", "hello", "ahello-5d9c7b8f6d-x2k4z", "hello-5d9c7b8f6d-x2k4zz"]) {
            assert.ok(!pods.test(other), `${other} matched the pods of hello`);
        }
    });

    it("gives every service five alerts with its labels, a severity and a runbook", () => {
        const group = helloGroup();
        assert.strictEqual(group.name, "go-services.hello");
        assert.deepStrictEqual(
            group.rules.map((rule) => rule.alert),
            ["GoServiceHighErrorRate", "GoServiceHighLatency", "GoServiceRestarting", "GoServicePodNotReady", "GoServiceMemoryNearLimit"],
        );
        for (const rule of group.rules) {
            assert.deepStrictEqual({ ...rule.labels, severity: undefined }, { service: "hello", namespace: "apps", stack: "dev", severity: undefined });
            assert.ok(["critical", "warning"].includes(rule.labels.severity ?? ""), rule.alert);
            assert.strictEqual(rule.annotations.runbook_url, `https://runbooks.example.com/go-services#${rule.alert.toLowerCase()}`);
            assert.ok(rule.annotations.summary.includes("hello") && rule.annotations.description.length > 0, rule.alert);
            assert.ok(rule.expr.includes(seriesMatchers(helloIdentity)), `${rule.alert} does not select the service's series: ${rule.expr}`);
        }
    });

    it("alerts on a 5xx ratio above 5% for 3 minutes by default, as the issue's expression does", () => {
        const errors = ruleOf(helloGroup(), alertNames.errorRatio);
        const m = seriesMatchers(helloIdentity);
        assert.strictEqual(errors.expr, `sum(rate(http_requests_total{${m}, status=~"5.."}[5m]))\n  /\nsum(rate(http_requests_total{${m}}[5m]))\n  > 0.05`);
        assert.strictEqual(errors.for, "3m");
        assert.strictEqual(errors.labels.severity, "critical");
    });

    it("takes every threshold from the settings", () => {
        const thresholds = {
            errorRatio: 0.001,
            errorRatioFor: "10m",
            latencyP99Seconds: 0.25,
            latencyFor: "1m",
            restarts: 0,
            restartsWindow: "1h",
            notReadyFor: "0s",
            memoryLimitRatio: 0.75,
            memoryFor: "30s",
        };
        const group = helloGroup(thresholds);
        const rules = {
            GoServiceHighErrorRate: ruleOf(group, "GoServiceHighErrorRate"),
            GoServiceHighLatency: ruleOf(group, "GoServiceHighLatency"),
            GoServiceRestarting: ruleOf(group, "GoServiceRestarting"),
            GoServicePodNotReady: ruleOf(group, "GoServicePodNotReady"),
            GoServiceMemoryNearLimit: ruleOf(group, "GoServiceMemoryNearLimit"),
        };
        assert.match(rules.GoServiceHighErrorRate.expr, /> 0\.001$/);
        assert.strictEqual(rules.GoServiceHighErrorRate.for, "10m");
        assert.match(rules.GoServiceHighLatency.expr, /^histogram_quantile\(0\.99, .*> 0\.25$/);
        assert.strictEqual(rules.GoServiceHighLatency.for, "1m");
        assert.match(rules.GoServiceRestarting.expr, /\[1h\]\) > 0$/);
        assert.strictEqual(rules.GoServiceRestarting.for, undefined);
        assert.strictEqual(rules.GoServicePodNotReady.for, undefined, "a 0s for is left out: the alert fires at once");
        assert.match(rules.GoServiceMemoryNearLimit.expr, /> 0\.75$/);
        assert.strictEqual(rules.GoServiceMemoryNearLimit.for, "30s");
        assert.match(rules.GoServiceMemoryNearLimit.annotations.summary, /75% of its memory limit/);
    });

    it("builds a ServiceMonitor for the Service's metrics port, labelled for the Prometheus selector", () => {
        const monitor = buildServiceMonitor(spec);
        new ServiceMonitorModel(monitor).validate();
        assert.strictEqual(monitor.metadata.namespace, "apps");
        assert.strictEqual(monitor.metadata.labels.release, "monitoring");
        assert.strictEqual(monitor.metadata.labels["app.kubernetes.io/name"], "hello");
        assert.deepStrictEqual(monitor.spec, {
            selector: { matchLabels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello-dev" } },
            namespaceSelector: { matchNames: ["apps"] },
            endpoints: [{ port: "metrics", path: "/metrics", scheme: "http", interval: "30s" }],
        });
    });

    it("builds a PrometheusRule holding the alerts, labelled for the Prometheus selector", () => {
        const rule = buildPrometheusRule(spec);
        new PrometheusRuleModel(rule).validate();
        assert.strictEqual(rule.metadata.labels.release, "monitoring");
        assert.deepStrictEqual(rule.spec.groups, [helloGroup()]);
        assert.throws(() => buildPrometheusRule({ ...spec, monitoring: defaultMonitoring }), /no runbookUrl/);
    });

    it("annotates pods for a kubernetes-pods scrape job", () => {
        assert.deepStrictEqual(scrapeAnnotations(9100), {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "9100",
            "prometheus.io/path": "/metrics",
            "prometheus.io/scheme": "http",
        });
    });

    it("ships a Grafana dashboard with rate, errors, latency percentiles, saturation and restarts", () => {
        const configMap = buildDashboardConfigMap(spec);
        new ConfigMap(configMap).validate();
        assert.strictEqual(configMap.metadata.name, "hello-dashboard");
        assert.strictEqual(configMap.metadata.namespace, "apps");
        assert.strictEqual(configMap.metadata.labels.grafana_dashboard, "1");
        assert.deepStrictEqual(Object.keys(configMap.data), ["hello-dev.json"]);
        const dashboard = JSON.parse(onlyValue(configMap.data)) as {
            uid: string;
            title: string;
            panels: { title: string; targets: { expr: string }[] }[];
        };
        assert.ok(dashboard.uid.length <= 40, dashboard.uid);
        assert.deepStrictEqual(
            dashboard.panels.map((panel) => panel.title),
            [
                "Request rate by route",
                "Requests by status",
                "5xx ratio",
                "Latency percentiles",
                "Requests in flight",
                "CPU against the limit",
                "Memory against the limit",
                "Restarts",
            ],
        );
        const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
        for (const expr of exprs) {
            assert.ok(expr.includes(seriesMatchers(helloIdentity)), `a query does not select hello's series: ${expr}`);
        }
        for (const wanted of ["histogram_quantile(0.5,", "histogram_quantile(0.9,", "histogram_quantile(0.99,", 'resource="memory"', 'resource="cpu"']) {
            assert.ok(
                exprs.some((expr) => expr.includes(wanted)),
                `no query with ${wanted}`,
            );
        }
        const quotes = JSON.parse(onlyValue(buildDashboardConfigMap({ ...spec, identity: { ...helloIdentity, name: "quotes" } }).data)) as {
            uid: string;
        };
        assert.notStrictEqual(quotes.uid, dashboard.uid);
    });

    it("puts the dashboard where Grafana's sidecar looks, with its labels", () => {
        const configMap = buildDashboardConfigMap({
            ...spec,
            monitoring: { ...operator, dashboard: { enabled: true, namespace: "grafana", labels: { grafana_dashboard: "go" } } },
        });
        assert.strictEqual(configMap.metadata.namespace, "grafana");
        assert.strictEqual(configMap.metadata.labels.grafana_dashboard, "go");
    });
});
