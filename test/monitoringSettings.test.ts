import * as assert from "assert";
import {
    defaultAlertThresholds,
    defaultMonitoring,
    durationSeconds,
    resolveAlertThresholds,
    resolveMonitoring,
    ResolvedMonitoring,
} from "../components/monitoringSettings";
import { Problem, Problems } from "../components/validation";
import { reportedProblems } from "./support/fixtures";

const path = "go-services:monitoring";

function resolved(raw: unknown): ResolvedMonitoring {
    const problems = new Problems();
    return problems.valueOrThrow("test", resolveMonitoring(raw, path, problems));
}

function problemsOf(raw: unknown): Problem[] {
    return reportedProblems((problems) => resolveMonitoring(raw, path, problems));
}

describe("monitoring settings", () => {
    it("defaults to scrape annotations, the monitoring namespace and the default thresholds", () => {
        assert.deepStrictEqual(resolved(undefined), defaultMonitoring);
        assert.deepStrictEqual(resolved({}), defaultMonitoring);
        assert.strictEqual(defaultMonitoring.mode, "annotations");
        assert.deepStrictEqual(defaultMonitoring.namespaces, ["monitoring"]);
        assert.strictEqual(defaultAlertThresholds.errorRatio, 0.05);
        assert.strictEqual(defaultAlertThresholds.errorRatioFor, "3m");
    });

    it("takes every setting, and merges the alert thresholds over the defaults", () => {
        const got = resolved({
            mode: "prometheusOperator",
            prometheusSelector: { "example.com/prometheus": "main" },
            namespaces: ["observability", "monitoring", "observability"],
            scrapeInterval: "15s",
            runbookUrl: "https://wiki.example.com/runbooks/{alert}",
            alerts: { errorRatio: 0.01, latencyP99Seconds: 0.25 },
            dashboard: { namespace: "grafana", labels: { grafana_dashboard: "go-services" } },
        });
        assert.deepStrictEqual(got, {
            mode: "prometheusOperator",
            prometheusSelector: { "example.com/prometheus": "main" },
            namespaces: ["monitoring", "observability"],
            scrapeInterval: "15s",
            runbookUrl: "https://wiki.example.com/runbooks/{alert}",
            alerts: { ...defaultAlertThresholds, errorRatio: 0.01, latencyP99Seconds: 0.25 },
            dashboard: { enabled: true, namespace: "grafana", labels: { grafana_dashboard: "go-services" } },
        });
    });

    it("requires a runbook URL where alert rules are deployed", () => {
        assert.deepStrictEqual(
            problemsOf({ mode: "prometheusOperator" }).map((problem) => problem.path),
            ["go-services:monitoring.runbookUrl"],
        );
        assert.deepStrictEqual(problemsOf({ mode: "annotations" }), []);
    });

    it("names each bad value with its key and what is allowed", () => {
        const found = problemsOf({
            mode: "operator",
            prometheusSelector: { "app.kubernetes.io/name": "x", release: "not a value" },
            namespaces: ["Monitoring"],
            scrapeInterval: "1s",
            runbookUrl: "http://wiki.example.com/runbooks",
            alerts: {
                errorRatio: 5,
                latencyP99Seconds: 10,
                restarts: 1.5,
                restartsWindow: "30s",
                memoryFor: "5 minutes",
                memoryLimitRatio: 1,
                notReadyFor: "25h",
            },
            dashboard: { enabled: "yes", labels: {} },
            team: "payments",
        });
        const byPath = new Map(found.map((problem) => [problem.path, problem]));
        assert.deepStrictEqual([...byPath.keys()].sort(), [
            "go-services:monitoring.alerts.errorRatio",
            "go-services:monitoring.alerts.latencyP99Seconds",
            "go-services:monitoring.alerts.memoryFor",
            "go-services:monitoring.alerts.notReadyFor",
            "go-services:monitoring.alerts.restarts",
            "go-services:monitoring.alerts.restartsWindow",
            "go-services:monitoring.dashboard.enabled",
            "go-services:monitoring.mode",
            "go-services:monitoring.namespaces[0]",
            "go-services:monitoring.prometheusSelector.release",
            'go-services:monitoring.prometheusSelector["app.kubernetes.io/name"]',
            "go-services:monitoring.runbookUrl",
            "go-services:monitoring.scrapeInterval",
            "go-services:monitoring.team",
        ]);
        assert.match(byPath.get("go-services:monitoring.mode")?.allowed ?? "", /none.*annotations.*prometheusOperator/);
        assert.match(byPath.get("go-services:monitoring.alerts.errorRatio")?.allowed ?? "", /above 0 and below 1/);
        assert.match(byPath.get("go-services:monitoring.alerts.latencyP99Seconds")?.allowed ?? "", /below 10/);
        assert.match(byPath.get("go-services:monitoring.alerts.restartsWindow")?.allowed ?? "", /1m to 24h/);
        assert.match(byPath.get("go-services:monitoring.runbookUrl")?.allowed ?? "", /\{alert\}/);
        assert.strictEqual(byPath.get("go-services:monitoring.scrapeInterval")?.value, '"1s"');
        assert.match(byPath.get("go-services:monitoring.team")?.allowed ?? "", /unknown key/);
        assert.deepStrictEqual(
            problemsOf({ dashboard: { labels: {} } }).map((problem) => problem.path),
            ["go-services:monitoring.dashboard.labels"],
        );
        assert.deepStrictEqual(
            problemsOf({ namespaces: [] }).map((problem) => problem.path),
            ["go-services:monitoring.namespaces"],
        );
        assert.deepStrictEqual(problemsOf({ mode: "none", namespaces: [] }), []);
    });

    it("checks a service's own alert thresholds the same way, and keeps only those given", () => {
        const problems = new Problems();
        assert.deepStrictEqual(resolveAlertThresholds({ restarts: 0, notReadyFor: "0s" }, "services.hello.alerts", problems), {
            restarts: 0,
            notReadyFor: "0s",
        });
        assert.deepStrictEqual(resolveAlertThresholds(undefined, "services.hello.alerts", problems), {});
        assert.strictEqual(resolveAlertThresholds({ errorRate: 0.1 }, "services.hello.alerts", problems), undefined);
        assert.strictEqual(problems.count, 1);
    });

    it("reads Prometheus durations of hours, minutes and seconds", () => {
        assert.strictEqual(durationSeconds("1h30m"), 5400);
        assert.strictEqual(durationSeconds("90s"), 90);
        assert.strictEqual(durationSeconds("0s"), 0);
        for (const bad of ["", "m", "1d", "5", "1m1h", 60, "1.5m"]) {
            assert.strictEqual(durationSeconds(bad), undefined, String(bad));
        }
    });
});
