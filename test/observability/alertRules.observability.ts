/**
 * The alert rules judged by Prometheus's own tool: `promtool check rules` on every rule file
 * the builders generate (the defaults, overridden thresholds, and every PrometheusRule the
 * committed stacks deploy), and `promtool test rules` unit tests proving that each alert
 * fires on a synthetic failing series, with its labels and annotations, and stays silent on
 * a healthy one.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { alertNames, buildAlertRuleGroups, RuleGroup } from "../../components/monitoring";
import { defaultAlertThresholds, ResolvedAlertThresholds } from "../../components/monitoringSettings";
import { runCommand } from "../../scripts/lib/command";
import { kubernetesObjects } from "../../scripts/lib/manifests";
import { evaluateStack } from "../../scripts/lib/evaluate";
import { prometheusTools, TemporaryDirectory, temporaryDirectory } from "./support";

const identity = { name: "hello", namespace: "apps", stack: "test" };
const runbooks = "https://runbooks.example.com/go-services#{alert}";
const pod = "hello-5d9c7b8f6d-x2k4z";
/** A pod of another service whose name starts with hello's. */
const otherPod = "hello-api-7f9c6b5d4-abcde";

/** The labels every alert of hello carries, besides those of its series. */
function alertLabels(alert: string, severity: string, extra: Record<string, string> = {}): Record<string, string> {
    return { alertname: alert, severity, service: "hello", namespace: "apps", stack: "test", ...extra };
}

function runbook(alert: string): string {
    return `https://runbooks.example.com/go-services#${alert.toLowerCase()}`;
}

/** One promtool unit test: input series, and the alerts expected at an evaluation time. */
interface UnitTest {
    interval: string;
    input_series: { series: string; values: string }[];
    alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[] }[];
}

function series(metric: string, labels: Record<string, string>): string {
    return `${metric}{${Object.entries(labels)
        .map(([name, value]) => `${name}="${value}"`)
        .join(",")}}`;
}

const requests = (status: string, podName = pod) => series("http_requests_total", { namespace: "apps", pod: podName, route: "/hello", method: "GET", status });
const bucket = (le: string) => series("http_request_duration_seconds_bucket", { namespace: "apps", pod, route: "/hello", le });
const latencyBuckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];

/** Buckets of a histogram whose every request takes more than `above` seconds and at most the next bound. */
function histogram(above: string): UnitTest["input_series"] {
    const slowFrom = latencyBuckets.indexOf(above) + 1;
    return latencyBuckets.map((le, index) => ({ series: bucket(le), values: index >= slowFrom ? "0+60x20" : "0x20" }));
}

/** Per alert: a failing case (fires, with these labels and annotations) and a healthy one (silent). */
const cases: { alert: string; tests: UnitTest[] }[] = [
    {
        alert: alertNames.errorRatio,
        tests: [
            {
                // Half the requests fail: the ratio is 50% from the second minute on, so the alert fires 3m later.
                interval: "1m",
                input_series: [
                    { series: requests("200"), values: "0+60x20" },
                    { series: requests("500"), values: "0+60x20" },
                ],
                alert_rule_test: [
                    { eval_time: "3m", alertname: alertNames.errorRatio, exp_alerts: [] },
                    {
                        eval_time: "10m",
                        alertname: alertNames.errorRatio,
                        exp_alerts: [
                            {
                                exp_labels: alertLabels(alertNames.errorRatio, "critical"),
                                exp_annotations: {
                                    summary: "hello in apps answers more than 5% of requests with 5xx",
                                    description: "50% of the requests to hello in apps got a 5xx answer over the last 5m.",
                                    runbook_url: runbook(alertNames.errorRatio),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // 1 request in 61 fails (1.6%); and another service's failures are not hello's.
                interval: "1m",
                input_series: [
                    { series: requests("200"), values: "0+60x20" },
                    { series: requests("503"), values: "0+1x20" },
                    { series: requests("500", otherPod), values: "0+600x20" },
                ],
                alert_rule_test: [{ eval_time: "15m", alertname: alertNames.errorRatio, exp_alerts: [] }],
            },
        ],
    },
    {
        alert: alertNames.latency,
        tests: [
            {
                // Every request takes 1 to 2.5 s: p99 = 1 + 0.99 * 1.5 = 2.485 s.
                interval: "1m",
                input_series: histogram("1"),
                alert_rule_test: [
                    {
                        eval_time: "10m",
                        alertname: alertNames.latency,
                        exp_alerts: [
                            {
                                exp_labels: alertLabels(alertNames.latency, "warning"),
                                exp_annotations: {
                                    summary: "hello in apps answers slower than its objective: p99 above 0.5s",
                                    description: "The 99th percentile latency of hello in apps is 2.485s over the last 5m.",
                                    runbook_url: runbook(alertNames.latency),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // Every request takes 50 to 100 ms.
                interval: "1m",
                input_series: histogram("0.05"),
                alert_rule_test: [{ eval_time: "15m", alertname: alertNames.latency, exp_alerts: [] }],
            },
        ],
    },
    {
        alert: alertNames.restarts,
        tests: [
            {
                // A restart a minute: 15 in the 15m window.
                interval: "1m",
                input_series: [
                    { series: series("kube_pod_container_status_restarts_total", { namespace: "apps", pod, container: "hello" }), values: "0+1x30" },
                ],
                alert_rule_test: [
                    {
                        eval_time: "30m",
                        alertname: alertNames.restarts,
                        exp_alerts: [
                            {
                                exp_labels: alertLabels(alertNames.restarts, "warning", { pod, container: "hello" }),
                                exp_annotations: {
                                    summary: "A pod of hello in apps keeps restarting",
                                    description: `${pod} restarted 15 times in 15m.`,
                                    runbook_url: runbook(alertNames.restarts),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // Two restarts long ago, none since; and the pause container is not the service's.
                interval: "1m",
                input_series: [
                    { series: series("kube_pod_container_status_restarts_total", { namespace: "apps", pod, container: "hello" }), values: "0 1 2 2x60" },
                    { series: series("kube_pod_container_status_restarts_total", { namespace: "apps", pod, container: "sidecar" }), values: "0+1x60" },
                ],
                alert_rule_test: [{ eval_time: "45m", alertname: alertNames.restarts, exp_alerts: [] }],
            },
        ],
    },
    {
        alert: alertNames.notReady,
        tests: [
            {
                interval: "1m",
                input_series: [
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod, condition: "true" }), values: "0x20" },
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod, condition: "false" }), values: "1x20" },
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod, condition: "unknown" }), values: "0x20" },
                ],
                alert_rule_test: [
                    { eval_time: "5m", alertname: alertNames.notReady, exp_alerts: [] },
                    {
                        eval_time: "15m",
                        alertname: alertNames.notReady,
                        exp_alerts: [
                            {
                                exp_labels: alertLabels(alertNames.notReady, "warning", { pod }),
                                exp_annotations: {
                                    summary: "A pod of hello in apps is not ready",
                                    description: `${pod} has not been ready for 10m: it fails /readyz, is not scheduled, or its node is unreachable.`,
                                    runbook_url: runbook(alertNames.notReady),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                interval: "1m",
                input_series: [
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod, condition: "true" }), values: "1x20" },
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod, condition: "false" }), values: "0x20" },
                    { series: series("kube_pod_status_ready", { namespace: "apps", pod: otherPod, condition: "false" }), values: "1x20" },
                ],
                alert_rule_test: [{ eval_time: "15m", alertname: alertNames.notReady, exp_alerts: [] }],
            },
        ],
    },
    {
        alert: alertNames.memory,
        tests: [
            {
                interval: "1m",
                input_series: [
                    {
                        series: series("container_memory_working_set_bytes", { namespace: "apps", pod, container: "hello", id: "/kubepods/a" }),
                        values: "950000000x20",
                    },
                    {
                        series: series("kube_pod_container_resource_limits", { namespace: "apps", pod, container: "hello", resource: "memory", unit: "byte" }),
                        values: "1000000000x20",
                    },
                    {
                        series: series("kube_pod_container_resource_limits", { namespace: "apps", pod, container: "hello", resource: "cpu", unit: "core" }),
                        values: "0.5x20",
                    },
                ],
                alert_rule_test: [
                    {
                        eval_time: "10m",
                        alertname: alertNames.memory,
                        exp_alerts: [
                            {
                                exp_labels: alertLabels(alertNames.memory, "warning", { pod, container: "hello" }),
                                exp_annotations: {
                                    summary: "A pod of hello in apps uses more than 90% of its memory limit",
                                    description: `${pod} uses 95% of its memory limit; at the limit it is OOM-killed.`,
                                    runbook_url: runbook(alertNames.memory),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                interval: "1m",
                input_series: [
                    {
                        series: series("container_memory_working_set_bytes", { namespace: "apps", pod, container: "hello", id: "/kubepods/a" }),
                        values: "500000000x20",
                    },
                    {
                        series: series("kube_pod_container_resource_limits", { namespace: "apps", pod, container: "hello", resource: "memory", unit: "byte" }),
                        values: "1000000000x20",
                    },
                ],
                alert_rule_test: [{ eval_time: "15m", alertname: alertNames.memory, exp_alerts: [] }],
            },
        ],
    },
];

function writeRuleFile(file: string, groups: RuleGroup[]): void {
    fs.writeFileSync(file, stringify({ groups }, { lineWidth: 0 }));
}

/** Runs promtool and fails the test with its output unless it succeeds. */
async function promtool(args: string[]): Promise<string> {
    const tools = await prometheusTools();
    const result = await runCommand([path.join(tools, "promtool"), ...args]);
    assert.strictEqual(result.code, 0, `promtool ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
    return result.stdout + result.stderr;
}

describe("alert rules, judged by promtool", function () {
    // The first run builds promtool and prometheus from the Go module proxy: minutes.
    this.timeout(30 * 60 * 1000);
    let work: TemporaryDirectory | undefined;
    let defaults = "";

    before(async () => {
        work = temporaryDirectory("go-services-rules-");
        defaults = path.join(work.dir, "hello.rules.yaml");
        await prometheusTools();
        writeRuleFile(defaults, buildAlertRuleGroups(identity, defaultAlertThresholds, runbooks));
    });
    after(() => work?.remove());

    /** A file in the suite's temporary folder. */
    const inWork = (name: string) => path.join(work?.dir ?? assert.fail("no temporary folder"), name);

    it("promtool check rules accepts every generated rule file, the stacks' PrometheusRules included", async () => {
        const overridden: ResolvedAlertThresholds = {
            errorRatio: 0.001,
            errorRatioFor: "0s",
            latencyP99Seconds: 9.99,
            latencyFor: "24h",
            restarts: 0,
            restartsWindow: "1m",
            notReadyFor: "1h30m",
            memoryLimitRatio: 1,
            memoryFor: "90s",
        };
        const files = [defaults, inWork("overridden.rules.yaml")];
        writeRuleFile(files[1] as string, buildAlertRuleGroups(identity, overridden, runbooks));
        for (const stack of ["dev", "prod"]) {
            const evaluation = await evaluateStack(stack);
            for (const object of kubernetesObjects(evaluation).filter((candidate) => candidate.kind === "PrometheusRule")) {
                const file = inWork(`${stack}-${object.metadata.name ?? "unnamed"}.rules.yaml`);
                writeRuleFile(file, (object.spec as { groups: RuleGroup[] }).groups);
                files.push(file);
            }
        }
        assert.ok(files.length >= 4, `the prod stack deploys no PrometheusRule: ${files.join(", ")}`);
        const output = await promtool(["check", "rules", ...files]);
        for (const file of files) {
            assert.match(output, new RegExp(`Checking ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s+SUCCESS: 5 rules found`), output);
        }
    });

    for (const { alert, tests } of cases) {
        it(`${alert} fires on a failing series and stays silent on a healthy one`, async () => {
            const file = inWork(`${alert}.test.yaml`);
            fs.writeFileSync(file, stringify({ rule_files: [defaults], evaluation_interval: "1m", tests }, { lineWidth: 0 }));
            const output = await promtool(["test", "rules", file]);
            assert.match(output, /SUCCESS/);
        });
    }

    it("promtool test rules fails when an alert does not fire as expected (the tests can fail)", async () => {
        const file = inWork("control.test.yaml");
        const errorCase = cases[0]?.tests[1];
        assert.ok(errorCase);
        // The healthy series, with the alert of the failing one expected.
        const expectFiring = {
            ...errorCase,
            alert_rule_test: [
                { eval_time: "15m", alertname: alertNames.errorRatio, exp_alerts: [{ exp_labels: alertLabels(alertNames.errorRatio, "critical") }] },
            ],
        };
        fs.writeFileSync(file, stringify({ rule_files: [defaults], evaluation_interval: "1m", tests: [expectFiring] }, { lineWidth: 0 }));
        const tools = await prometheusTools();
        const result = await runCommand([path.join(tools, "promtool"), "test", "rules", file]);
        assert.notStrictEqual(result.code, 0, `promtool accepted an alert that cannot fire:\n${result.stdout}`);
        assert.match(result.stdout + result.stderr, /FAILED/);
    });

    it("a threshold override moves the alert: at 60% the 50% failing series is silent", async () => {
        const file = inWork("lenient.rules.yaml");
        writeRuleFile(file, buildAlertRuleGroups(identity, { ...defaultAlertThresholds, errorRatio: 0.6 }, runbooks));
        const failing = cases[0]?.tests[0];
        assert.ok(failing);
        const silent = { ...failing, alert_rule_test: [{ eval_time: "10m", alertname: alertNames.errorRatio, exp_alerts: [] }] };
        const testFile = inWork("lenient.test.yaml");
        fs.writeFileSync(testFile, stringify({ rule_files: [file], evaluation_interval: "1m", tests: [silent] }, { lineWidth: 0 }));
        assert.match(await promtool(["test", "rules", testFile]), /SUCCESS/);
    });
});
