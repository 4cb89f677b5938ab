import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GoService, GoServiceArgs } from "../components/goService";
import { KubernetesEnvironment } from "../components/kubernetesEnvironment";
import { buildNetworkPolicy, buildService } from "../components/networking";
import { buildDeployment, buildEnv } from "../components/workload";
import { evaluate, Evaluation, toRuntimeConfig } from "../scripts/lib/evaluate";
import {
    at,
    baseStackConfig,
    evaluateConfig,
    everyDirectoryExists,
    helloIdentity,
    rejectedConfig,
    resource,
    resourcesOfType,
    settingsProblems,
    workloadSpec,
} from "./support/fixtures";

const serviceMonitorType = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const prometheusRuleType = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const configMapType = "kubernetes:core/v1:ConfigMap";
const operator = { mode: "prometheusOperator", runbookUrl: "https://runbooks.example.com/{alert}" } as const;

/** Deploys hello as a GoService and records the type and name of every resource registered as one of its children. */
async function deployHello(args: Partial<GoServiceArgs> & { stack?: GoServiceArgs["stack"] }): Promise<{ evaluation: Evaluation; children: string[] }> {
    const children: string[] = [];
    const evaluation = await evaluate({
        stack: "dev",
        config: toRuntimeConfig({ "aws:region": "eu-west-1" }),
        program: () => {
            const environment = new KubernetesEnvironment("cluster", { namespace: "apps" });
            // A component's transformations reach every resource whose parent chain holds it; the direct children have it as parent.
            const recordChild: pulumi.ResourceTransformation = (child) => {
                if (child.opts.parent instanceof GoService) {
                    children.push(`${child.type}::${child.name}`);
                }
                return undefined;
            };
            new GoService(
                "hello",
                { stack: { imageTag: "v1.2.3", registry: { kind: "local" } }, ...args, environment, directories: everyDirectoryExists },
                { transformations: [recordChild] },
            );
            return {};
        },
    });
    return { evaluation, children };
}

describe("monitoring, wired into the workload and the GoService", () => {
    it("gives the process its METRICS_PORT and declares the metrics container port, whatever the mode", () => {
        const spec = workloadSpec({ metricsPort: 9100 });
        assert.deepStrictEqual(
            buildEnv(spec).find((variable) => variable.name === "METRICS_PORT"),
            { name: "METRICS_PORT", value: "9100" },
        );
        assert.deepStrictEqual(at(buildDeployment(spec), "spec", "template", "spec", "containers", 0, "ports", 1), {
            name: "metrics",
            containerPort: 9100,
            protocol: "TCP",
        });
        assert.strictEqual(at(buildDeployment(spec), "spec", "template", "metadata", "annotations", "prometheus.io/scrape"), undefined);
        assert.strictEqual(
            at(buildDeployment({ ...spec, monitoring: "annotations" }), "spec", "template", "metadata", "annotations", "prometheus.io/port"),
            "9100",
        );
    });

    it("admits the metrics port from the monitoring namespaces only, and names it on the Service for the operator", () => {
        const settings = workloadSpec({ metricsPort: 9100, network: { ingressNamespaces: ["ingress-nginx"] } }).settings;
        const policy = buildNetworkPolicy(helloIdentity, settings, { mode: "annotations", namespaces: ["monitoring", "observability"] });
        assert.deepStrictEqual(at(policy, "spec", "ingress"), [
            {
                from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
            {
                from: [
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } },
                ],
                ports: [{ protocol: "TCP", port: 9100 }],
            },
        ]);
        assert.strictEqual(
            (at(buildNetworkPolicy(helloIdentity, settings, { mode: "none", namespaces: ["monitoring"] }), "spec", "ingress") as unknown[]).length,
            1,
        );
        assert.deepStrictEqual(at(buildService(helloIdentity, settings, { mode: "prometheusOperator" }), "spec", "ports", 1), {
            name: "metrics",
            port: 9100,
            targetPort: "metrics",
            protocol: "TCP",
        });
        assert.strictEqual((at(buildService(helloIdentity, settings, { mode: "annotations" }), "spec", "ports") as unknown[]).length, 1);
    });

    it("with the Prometheus Operator, registers a ServiceMonitor, a PrometheusRule and the dashboard as children of the GoService", async () => {
        const { evaluation, children } = await deployHello({ stack: { imageTag: "v1.2.3", registry: { kind: "local" }, monitoring: operator } });
        for (const child of [`${serviceMonitorType}::hello`, `${prometheusRuleType}::hello`, `${configMapType}::hello-dashboard`]) {
            assert.ok(children.includes(child), `${child} is not a child of the GoService: ${children.join(", ")}`);
        }
        const monitor = resource(evaluation, serviceMonitorType, "hello");
        assert.strictEqual(at(monitor.inputs, "metadata", "labels", "release"), "kube-prometheus-stack");
        assert.strictEqual(at(monitor.inputs, "spec", "endpoints", 0, "port"), "metrics");
        assert.match(String(monitor.provider), /pulumi:providers:kubernetes::cluster::/);
        const rule = resource(evaluation, prometheusRuleType, "hello");
        assert.strictEqual((at(rule.inputs, "spec", "groups", 0, "rules") as unknown[]).length, 5);
        const deployment = resource(evaluation, "kubernetes:apps/v1:Deployment", "hello");
        assert.strictEqual(at(deployment.inputs, "spec", "template", "metadata", "annotations", "prometheus.io/scrape"), undefined);
    });

    it("with scrape annotations, annotates the pods and ships the dashboard, but no custom resources", async () => {
        const { evaluation } = await deployHello({});
        const deployment = resource(evaluation, "kubernetes:apps/v1:Deployment", "hello");
        assert.strictEqual(at(deployment.inputs, "spec", "template", "metadata", "annotations", "prometheus.io/scrape"), "true");
        assert.strictEqual(at(deployment.inputs, "spec", "template", "metadata", "annotations", "prometheus.io/port"), "9090");
        assert.deepStrictEqual(resourcesOfType(evaluation, serviceMonitorType), []);
        assert.deepStrictEqual(resourcesOfType(evaluation, prometheusRuleType), []);
        assert.strictEqual(resourcesOfType(evaluation, configMapType).length, 1);
    });

    it("with none, deploys nothing for monitoring and keeps the metrics port closed", async () => {
        const { evaluation } = await deployHello({ stack: { imageTag: "v1.2.3", registry: { kind: "local" }, monitoring: { mode: "none" } } });
        assert.deepStrictEqual(resourcesOfType(evaluation, configMapType), []);
        assert.deepStrictEqual(resourcesOfType(evaluation, serviceMonitorType), []);
        const ingress = at(resource(evaluation, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello").inputs, "spec", "ingress") as unknown[];
        assert.strictEqual(ingress.length, 1);
    });

    it("takes a service's own alert thresholds over the stack's", async () => {
        const config = {
            ...baseStackConfig(),
            "go-services:monitoring": { ...operator, alerts: { errorRatio: 0.02, latencyP99Seconds: 1 } },
            "go-services:services": { hello: { resources: "nano", alerts: { errorRatio: 0.001 } }, quotes: { resources: "nano" } },
        };
        const evaluation = await evaluateConfig(config);
        const expr = (service: string, alert: number) =>
            String(at(resource(evaluation, prometheusRuleType, service).inputs, "spec", "groups", 0, "rules", alert, "expr"));
        assert.match(expr("hello", 0), /> 0\.001$/);
        assert.match(expr("quotes", 0), /> 0\.02$/);
        assert.match(expr("hello", 1), /> 1$/);
    });

    it("refuses bad monitoring settings in a stack file before registering anything, naming each key", async () => {
        const { error, resources } = await rejectedConfig({
            ...baseStackConfig(),
            "go-services:monitoring": { mode: "prometheusOperator", namespaces: ["Monitoring"] },
            "go-services:services": { hello: { resources: "nano", port: 9090 }, quotes: { metricsPort: 8080, alerts: { errorRatio: 5 } } },
        });
        assert.deepStrictEqual(error.problems.map((problem) => problem.path).sort(), [
            "go-services:monitoring.namespaces[0]",
            "go-services:monitoring.runbookUrl",
            "go-services:services.hello.port",
            "go-services:services.quotes.alerts.errorRatio",
            "go-services:services.quotes.metricsPort",
        ]);
        assert.match(error.message, /go-services:services\.hello\.port = 9090: must differ from metricsPort \(default 9090\)/);
        assert.match(error.message, /go-services:services\.quotes\.metricsPort = 8080: must differ from port \(8080\)/);
        assert.deepStrictEqual(resources, []);
        assert.deepStrictEqual(
            settingsProblems({ env: { METRICS_PORT: "9100" } }).map((problem) => problem.allowed),
            ["is set by go-services; configure metricsPort instead"],
        );
    });
});
