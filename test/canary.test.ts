import * as assert from "assert";
import { buildHorizontalPodAutoscaler } from "../components/availability";
import {
    analysisMetricNames,
    buildAnalysisTemplate,
    buildCanarySteps,
    buildRollout,
    canaryErrorRatioQuery,
    canaryLatencyQuery,
    noTrafficValue,
} from "../components/canary";
import { defaultAlertThresholds, defaultMonitoring } from "../components/monitoringSettings";
import { defaultCanary, resolveCanaryRelease, ResolvedCanary } from "../components/rolloutStrategy";
import { Problems } from "../components/validation";
import { buildDeployment } from "../components/workload";
import { KubernetesObject, schemaErrors } from "../scripts/lib/manifests";
import { at, helloIdentity, only, reportedProblems, resolvedSettings, settingsProblems, workloadSpec } from "./support/fixtures";

const prometheus = "http://prometheus.monitoring.svc:9090";

function canaryOf(raw: unknown): ResolvedCanary {
    const canary = resolvedSettings({ rollout: raw }).rollout.canary;
    assert.ok(canary, "expected a canary");
    return canary;
}

describe("rollout strategy settings", () => {
    it("defaults to rolling, without a canary", () => {
        const rollout = resolvedSettings({}).rollout;
        assert.strictEqual(rollout.strategy, "rolling");
        assert.strictEqual(rollout.canary, undefined);
    });

    it("fills in the canary's steps and analysis, keeping what is given", () => {
        assert.deepStrictEqual(canaryOf({ strategy: "canary" }), defaultCanary);
        assert.deepStrictEqual(canaryOf({ strategy: "canary", canary: { steps: [5, 25, 75], analysis: { interval: "10s", errorRatio: 0.01 } } }), {
            steps: [5, 25, 75],
            analysis: { interval: "10s", count: 4, window: "1m", errorRatio: 0.01 },
        });
    });

    it("names the key, the value and what is allowed for each bad canary value, all at once", () => {
        const problems = settingsProblems({
            rollout: { strategy: "canary", canary: { steps: [50, 10, 100], analysis: { interval: "soon", count: 0, errorRatio: 2, treshold: 1 } } },
        });
        const byPath = Object.fromEntries(problems.map((problem) => [problem.path, problem]));
        assert.match(byPath["services.hello.rollout.canary.steps[2]"]?.allowed ?? "", /1-99/);
        assert.match(byPath["services.hello.rollout.canary.steps"]?.allowed ?? "", /rising traffic percentages/);
        assert.match(byPath["services.hello.rollout.canary.analysis.interval"]?.allowed ?? "", /duration/);
        assert.strictEqual(byPath["services.hello.rollout.canary.analysis.interval"]?.value, '"soon"');
        assert.match(byPath["services.hello.rollout.canary.analysis.count"]?.allowed ?? "", /from 1 to 20/);
        assert.match(byPath["services.hello.rollout.canary.analysis.errorRatio"]?.allowed ?? "", /above 0 and below 1/);
        assert.match(byPath["services.hello.rollout.canary.analysis.treshold"]?.allowed ?? "", /unknown key; allowed keys: interval, count, window/);
    });

    it("refuses an unknown strategy and canary settings under rolling", () => {
        const unknown = only(settingsProblems({ rollout: { strategy: "blueGreen" } }), "problem");
        assert.strictEqual(unknown.path, "services.hello.rollout.strategy");
        assert.match(unknown.allowed, /one of: rolling, canary/);
        const stray = only(settingsProblems({ rollout: { canary: { steps: [10] } } }), "problem");
        assert.strictEqual(stray.path, "services.hello.rollout.canary");
        assert.match(stray.allowed, /only allowed with strategy canary/);
    });

    it("takes the thresholds from the service's alerts, then the stack's, unless the canary sets its own", () => {
        const release = (canary: unknown, serviceAlerts = {}) => {
            const problems = new Problems();
            const rollout = resolvedSettings({ rollout: { strategy: "canary", canary } }).rollout;
            const monitoring = { ...defaultMonitoring, prometheusUrl: prometheus, alerts: { ...defaultAlertThresholds, errorRatio: 0.02 } };
            return resolveCanaryRelease(rollout, monitoring, serviceAlerts, { service: "s", monitoring: "m" }, problems)?.thresholds;
        };
        assert.deepStrictEqual(release({}), { errorRatio: 0.02, latencyP99Seconds: 0.5 });
        assert.deepStrictEqual(release({}, { latencyP99Seconds: 0.25 }), { errorRatio: 0.02, latencyP99Seconds: 0.25 });
        assert.deepStrictEqual(release({ analysis: { errorRatio: 0.1 } }, { errorRatio: 0.03 }), { errorRatio: 0.1, latencyP99Seconds: 0.5 });
    });

    it("requires the stack to scrape the services and name the Prometheus a canary is judged by", () => {
        const rollout = resolvedSettings({ rollout: { strategy: "canary" } }).rollout;
        const paths = { service: "go-services:services.hello", monitoring: "go-services:monitoring" };
        const problemsWith = (monitoring: typeof defaultMonitoring) =>
            reportedProblems((problems) => resolveCanaryRelease(rollout, monitoring, {}, paths, problems));
        const noUrl = only(problemsWith(defaultMonitoring), "problem");
        assert.strictEqual(noUrl.path, "go-services:monitoring.prometheusUrl");
        assert.match(noUrl.allowed, /is required by go-services:services\.hello\.rollout\.strategy canary/);
        const unscraped = only(problemsWith({ ...defaultMonitoring, mode: "none", prometheusUrl: prometheus }), "problem");
        assert.strictEqual(unscraped.path, "go-services:services.hello.rollout.strategy");
        assert.match(unscraped.allowed, /mode\) is none|mode is none/);
    });
});

describe("canary builders", () => {
    const canary = canaryOf({ strategy: "canary" });
    const spec = workloadSpec({ replicas: 4, rollout: { strategy: "canary" } }, { monitoring: "annotations" });

    it("runs the Deployment's pod template, built by the same function, in the Rollout", () => {
        const rollout = buildRollout({ ...spec, canary });
        const deployment = buildDeployment(spec);
        assert.deepStrictEqual(rollout.spec.template, at(deployment, "spec", "template"));
        assert.deepStrictEqual(rollout.spec.selector, at(deployment, "spec", "selector"));
        assert.deepStrictEqual(rollout.metadata, deployment.metadata);
        assert.strictEqual(rollout.spec.replicas, 4);
        assert.strictEqual(rollout.spec.progressDeadlineAbort, true);
        assert.deepStrictEqual(
            { ...rollout.spec.strategy.canary, steps: undefined },
            { maxSurge: 1, maxUnavailable: 0, steps: undefined },
            "never fewer ready pods than replicas during a canary",
        );
    });

    it("leaves the replica count to the autoscaler, which targets the Rollout", () => {
        const scaled = workloadSpec({ autoscaling: { minReplicas: 2, maxReplicas: 4 }, rollout: { strategy: "canary" } });
        assert.strictEqual(buildRollout({ ...scaled, canary }).spec.replicas, undefined);
        assert.deepStrictEqual(at(buildHorizontalPodAutoscaler(helloIdentity, scaled.settings), "spec", "scaleTargetRef"), {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Rollout",
            name: "hello",
        });
        const rolling = resolvedSettings({ autoscaling: { minReplicas: 2, maxReplicas: 4 } });
        assert.deepStrictEqual(at(buildHorizontalPodAutoscaler(helloIdentity, rolling), "spec", "scaleTargetRef"), {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "hello",
        });
    });

    it("holds each weight while the analysis judges the canary's own pods; 100% only after the last", () => {
        const analysis = {
            analysis: { templates: [{ templateName: "hello-canary" }], args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] },
        };
        assert.deepStrictEqual(buildCanarySteps(helloIdentity, { ...canary, steps: [10, 50] }), [{ setWeight: 10 }, analysis, { setWeight: 50 }, analysis]);
    });

    it("queries the canary's pods only, and answers -1 rather than nothing when they served no request", () => {
        const ratio = canaryErrorRatioQuery(helloIdentity, "1m");
        assert.match(ratio, /http_requests_total\{namespace="apps", pod=~"hello-\{\{args\.canary-hash\}\}-\[a-z0-9\]\{5\}", status=~"5\.\."\}\[1m\]/);
        assert.strictEqual(
            ratio,
            [
                '(sum(rate(http_requests_total{namespace="apps", pod=~"hello-{{args.canary-hash}}-[a-z0-9]{5}", status=~"5.."}[1m])) or vector(0))',
                "  /",
                '(sum(rate(http_requests_total{namespace="apps", pod=~"hello-{{args.canary-hash}}-[a-z0-9]{5}"}[1m])) > 0)',
                "or vector(-1)",
            ].join("\n"),
        );
        const latency = canaryLatencyQuery(helloIdentity, "30s");
        assert.match(latency, /^histogram_quantile\(0\.99, sum by \(le\) \(rate\(http_request_duration_seconds_bucket\{namespace="apps", pod=~"hello-/);
        assert.match(latency, /\[30s\]\)\)\) >= 0\nor vector\(-1\)$/);
    });

    it("fails a measurement above the threshold, and leaves no traffic inconclusive, never successful", () => {
        const template = buildAnalysisTemplate(helloIdentity, canary, { errorRatio: 0.05, latencyP99Seconds: 0.5 }, prometheus);
        assert.strictEqual(template.metadata.name, "hello-canary");
        assert.deepStrictEqual(template.spec.args, [{ name: "canary-hash" }]);
        const [ratio, latency] = template.spec.metrics;
        assert.ok(ratio && latency);
        assert.strictEqual(ratio.name, analysisMetricNames.errorRatio);
        assert.strictEqual(latency.name, analysisMetricNames.latencyP99Seconds);
        assert.strictEqual(ratio.successCondition, "result[0] >= 0 && result[0] <= 0.05");
        assert.strictEqual(ratio.failureCondition, "result[0] > 0.05");
        assert.strictEqual(latency.failureCondition, "result[0] > 0.5");
        for (const metric of template.spec.metrics) {
            assert.strictEqual(metric.failureLimit, 0);
            assert.strictEqual(metric.inconclusiveLimit, 0);
            assert.strictEqual(metric.consecutiveErrorLimit, 2);
            assert.strictEqual(metric.initialDelay, "1m", "the first measurement waits one rate window, so it covers canary traffic");
            assert.strictEqual(metric.interval, "30s");
            assert.strictEqual(metric.count, 4);
            assert.strictEqual(metric.provider.prometheus.address, prometheus);
        }
        const evaluate = (condition: string, value: number) =>
            condition.split(" && ").every((comparison) => {
                const [, operator, bound] = /^result\[0\] (>=|<=|>) ([0-9.]+)$/.exec(comparison) ?? assert.fail(`unexpected condition ${comparison}`);
                const limit = Number(bound);
                return operator === ">=" ? value >= limit : operator === "<=" ? value <= limit : value > limit;
            });
        assert.deepStrictEqual([evaluate(ratio.successCondition, noTrafficValue), evaluate(ratio.failureCondition, noTrafficValue)], [false, false]);
        assert.deepStrictEqual([evaluate(ratio.successCondition, 0.05), evaluate(ratio.failureCondition, 0.05)], [true, false]);
        assert.deepStrictEqual([evaluate(ratio.successCondition, 0.3), evaluate(ratio.failureCondition, 0.3)], [false, true]);
    });

    it("declares objects Argo Rollouts' own schema accepts", () => {
        const objects = [
            buildRollout({ ...spec, image: "registry.example.com/hello@sha256:" + "a".repeat(64), canary }),
            buildAnalysisTemplate(helloIdentity, canary, { errorRatio: 0.05, latencyP99Seconds: 0.5 }, prometheus),
        ];
        for (const object of objects) {
            assert.deepStrictEqual(schemaErrors(object as unknown as KubernetesObject), [], object.kind);
        }
    });
});
