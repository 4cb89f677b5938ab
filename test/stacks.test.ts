/**
 * The committed stacks (Pulumi.dev.yaml, Pulumi.prod.yaml, Pulumi.local.yaml), evaluated end
 * to end under mocks with the real program and the real service folders.
 */
import * as assert from "assert";
import { compareQuantities, parseQuantity, Quantity } from "../components/quantity";
import { evaluate, Evaluation, evaluateStack, loadStackConfig, RegisteredResource } from "../scripts/lib/evaluate";
import {
    at,
    isSecretAt,
    only,
    plaintextLeaks,
    resource,
    resourcesOfType,
    withSecretVariable,
    hardenedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./support/fixtures";

type Env = { name: string; value?: string };

const deploymentType = "kubernetes:apps/v1:Deployment";
const rolloutType = "kubernetes:argoproj.io/v1alpha1:Rollout";

/** The workloads of a stack: a Deployment per service, or an Argo Rollouts Rollout for a canary one; the same pod template either way. */
function workloads(evaluation: Evaluation): RegisteredResource[] {
    return [...resourcesOfType(evaluation, deploymentType), ...resourcesOfType(evaluation, rolloutType)];
}

/** The workload of one service. */
function workload(evaluation: Evaluation, name: string): RegisteredResource {
    return only(
        workloads(evaluation).filter((each) => each.name === name),
        `workload ${name}`,
    );
}

function podSpec(deployment: RegisteredResource): Record<string, unknown> {
    return at(deployment.inputs, "spec", "template", "spec") as Record<string, unknown>;
}

function mainContainer(deployment: RegisteredResource): Record<string, unknown> {
    return at(podSpec(deployment), "containers", 0) as Record<string, unknown>;
}

function envValue(deployment: RegisteredResource, name: string): string | undefined {
    return (mainContainer(deployment).env as Env[]).find((variable) => variable.name === name)?.value;
}

function quantityAt(value: unknown, ...keys: string[]): Quantity {
    const quantity = parseQuantity(at(value, ...keys));
    assert.ok(quantity, `${keys.join(".")} is not a quantity`);
    return quantity;
}

function seconds(duration: string | undefined): number {
    return Number(/^(\d+)s$/.exec(duration ?? "")?.[1]);
}

function assertHardened(deployment: RegisteredResource): void {
    const pod = podSpec(deployment);
    const container = mainContainer(deployment);
    const name = deployment.name;
    assert.deepStrictEqual(pod.securityContext, restrictedPodSecurityContext, name);
    assert.deepStrictEqual(container.securityContext, hardenedContainerSecurityContext, name);
    assert.strictEqual(pod.automountServiceAccountToken, false, name);
    assert.deepStrictEqual(pod.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "32Mi" } }], name);
    for (const resourceName of ["cpu", "memory", "ephemeral-storage"]) {
        const request = quantityAt(container, "resources", "requests", resourceName);
        const limit = quantityAt(container, "resources", "limits", resourceName);
        assert.ok(compareQuantities(limit, request) >= 0, `${name}: ${resourceName} limit below request`);
    }
    assert.strictEqual(at(container, "startupProbe", "httpGet", "path"), "/livez");
    assert.strictEqual(at(container, "livenessProbe", "httpGet", "path"), "/livez");
    assert.strictEqual(at(container, "readinessProbe", "httpGet", "path"), "/readyz");
    assert.strictEqual(container.terminationMessagePolicy, "FallbackToLogsOnError");
    assert.strictEqual(container.imagePullPolicy, "IfNotPresent");
    const grace = pod.terminationGracePeriodSeconds as number;
    assert.ok(grace > seconds(envValue(deployment, "SHUTDOWN_DRAIN")) + seconds(envValue(deployment, "SHUTDOWN_TIMEOUT")), `${name}: grace ${grace}`);
    // Never below the desired count during a release: a RollingUpdate's, or a canary's.
    const strategy = deployment.type === rolloutType ? ["canary"] : ["rollingUpdate"];
    assert.deepStrictEqual(at(deployment.inputs, "spec", "strategy", ...strategy, "maxUnavailable"), 0, name);
    const labels = at(deployment.inputs, "spec", "template", "metadata", "labels") as Record<string, string>;
    for (const key of ["name", "instance", "version", "component", "part-of", "managed-by"]) {
        assert.ok(labels[`app.kubernetes.io/${key}`], `${name}: label app.kubernetes.io/${key}`);
    }
}

function assertCompanions(evaluation: Evaluation, deployment: RegisteredResource): void {
    for (const type of ["kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:core/v1:ServiceAccount"]) {
        assert.ok(resource(evaluation, type, deployment.name), `${deployment.name}: ${type}`);
    }
}

describe("committed stacks", function () {
    this.timeout(60000);
    let dev: Evaluation;
    let prod: Evaluation;

    before(async () => {
        dev = await evaluateStack("dev");
        prod = await evaluateStack("prod");
    });

    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            const evaluation = () => (stack === "dev" ? dev : prod);

            it("deploys both sample services, hardened, each with its Service, NetworkPolicy and ServiceAccount", () => {
                const deployments = workloads(evaluation());
                assert.deepStrictEqual(deployments.map((d) => d.name).sort(), ["hello", "quotes"]);
                for (const deployment of deployments) {
                    assertHardened(deployment);
                    assertCompanions(evaluation(), deployment);
                }
            });

            it("runs dev's images, pinned by digest, each labelled with the version it was built as", () => {
                for (const deployment of workloads(evaluation())) {
                    const image = String(mainContainer(deployment).image);
                    assert.match(image, /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/go-services\/dev\/[a-z]+@sha256:[0-9a-f]{64}$/);
                    assert.match(String(at(deployment.inputs, "metadata", "labels", "app.kubernetes.io/version")), /^git-[0-9a-f]{7,40}$/);
                }
            });

            it("creates one namespace that enforces Pod Security 'restricted'", () => {
                const namespace = only(resourcesOfType(evaluation(), "kubernetes:core/v1:Namespace"), "namespace");
                assert.strictEqual(at(namespace.inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
                const name = at(namespace.inputs, "metadata", "name");
                for (const object of evaluation().resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Namespace"))) {
                    assert.strictEqual(at(object.inputs, "metadata", "namespace"), name, `${object.type} ${object.name}`);
                }
            });

            it("exports per service the image digest, version, repository, DNS name and port, and the namespace", () => {
                const outputs = evaluation().outputs as { namespace: string; services: Record<string, Record<string, unknown>> };
                assert.strictEqual(outputs.namespace, stack === "dev" ? "go-services-dev" : "go-services");
                for (const name of ["hello", "quotes"]) {
                    const service = outputs.services[name] ?? {};
                    assert.match(String(service.image), /@sha256:[0-9a-f]{64}$/);
                    assert.strictEqual(service.version, at(workload(evaluation(), name).inputs, "metadata", "labels", "app.kubernetes.io/version"));
                    assert.strictEqual(String(service.image).split("@")[0], service.repositoryUrl);
                    assert.strictEqual(service.dnsName, `${name}.${outputs.namespace}.svc.cluster.local`);
                    assert.strictEqual(service.port, 80);
                }
            });

            it("evaluates in preview mode, when digests and repository URLs are unknown", async () => {
                const preview = await evaluateStack(stack, { preview: true });
                assert.strictEqual(workloads(preview).length, 2);
                assert.strictEqual(preview.resources.length, evaluation().resources.length);
            });
        });
    }

    it("dev builds and pushes every image to immutable, scanned repositories, each with a lifecycle policy", () => {
        const repositories = resourcesOfType(dev, "aws:ecr/repository:Repository");
        assert.strictEqual(repositories.length, 2);
        for (const repository of repositories) {
            assert.strictEqual(repository.inputs.imageTagMutability, "IMMUTABLE");
            assert.deepStrictEqual(repository.inputs.imageScanningConfiguration, { scanOnPush: true });
            const policy = resource(dev, "aws:ecr/lifecyclePolicy:LifecyclePolicy", repository.name);
            assert.strictEqual(policy.inputs.repository, repository.inputs.name);
        }
        for (const image of resourcesOfType(dev, "docker:index/image:Image")) {
            assert.match(String(image.inputs.imageName), /:git-[0-9a-f]+$/);
            assert.ok(isSecretAt(image.inputs, "registry", "password"));
        }
    });

    it("prod builds nothing: it runs exactly the digests dev exports, with dev's versions, read from the dev stack", () => {
        const devServices = (dev.outputs as { services: Record<string, { image: string; version: string }> }).services;
        for (const name of ["hello", "quotes"]) {
            const deployment = workload(prod, name);
            assert.strictEqual(mainContainer(deployment).image, devServices[name]?.image);
            assert.strictEqual(at(deployment.inputs, "spec", "template", "metadata", "labels", "app.kubernetes.io/version"), devServices[name]?.version);
        }
        const reference = only(resourcesOfType(prod, "pulumi:pulumi:StackReference"), "StackReference");
        assert.strictEqual(reference.inputs.name, "acme/go-services/dev");
        assert.deepStrictEqual(
            prod.resources.filter(
                (r) => r.type.startsWith("aws:") || r.type.startsWith("docker:") || r.type.includes("ServiceImage") || r.type.includes("EcrRepository"),
            ),
            [],
        );
        assert.deepStrictEqual(prod.invokes, []);
    });

    it("dev runs one small replica per service, with no PDB, HPA or spread", () => {
        for (const deployment of workloads(dev)) {
            assert.strictEqual(at(deployment.inputs, "spec", "replicas"), 1);
            assert.strictEqual(podSpec(deployment).topologySpreadConstraints, undefined);
            assert.strictEqual(at(mainContainer(deployment), "resources", "limits", "memory"), "64Mi");
        }
        assert.strictEqual(resourcesOfType(dev, "kubernetes:policy/v1:PodDisruptionBudget").length, 0);
        assert.strictEqual(resourcesOfType(dev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
        assert.strictEqual(resource(dev, "docker:index/image:Image", "hello").inputs.buildOnPreview, true);
    });

    it("prod runs at least two replicas or an HPA per service, with a PDB and zone/node spread each", () => {
        for (const deployment of workloads(prod)) {
            const hpa = prod.resources.find((r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" && r.name === deployment.name);
            const replicas = at(deployment.inputs, "spec", "replicas") as number | undefined;
            assert.ok(hpa ? replicas === undefined && (at(hpa.inputs, "spec", "minReplicas") as number) >= 2 : (replicas ?? 0) >= 2, deployment.name);
            const pdb = resource(prod, "kubernetes:policy/v1:PodDisruptionBudget", deployment.name);
            assert.strictEqual(at(pdb.inputs, "spec", "unhealthyPodEvictionPolicy"), "AlwaysAllow");
            assert.deepStrictEqual(at(pdb.inputs, "spec", "selector"), at(deployment.inputs, "spec", "selector"));
            const spread = podSpec(deployment).topologySpreadConstraints as { topologyKey: string }[];
            assert.deepStrictEqual(
                spread.map((c) => c.topologyKey),
                ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
            );
        }
        assert.ok(resource(prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "hello"));
    });

    it("prod releases quotes as a canary, judged in the cluster's Prometheus, and up waits for its promotion", () => {
        assert.strictEqual(workload(prod, "quotes").type, rolloutType);
        assert.strictEqual(workload(prod, "hello").type, deploymentType);
        const template = resource(prod, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "quotes");
        assert.strictEqual(at(template.inputs, "spec", "metrics", 0, "provider", "prometheus", "address"), "http://prometheus-operated.monitoring.svc:9090");
        const promotion = only(resourcesOfType(prod, "pulumi-nodejs:dynamic:RolloutPromotion"), "RolloutPromotion");
        assert.strictEqual(promotion.name, "quotes-promotion");
        assert.strictEqual(promotion.inputs.context, "go-services-prod");
    });

    it("prod gives every service more memory than dev", () => {
        for (const name of ["hello", "quotes"]) {
            const memory = (evaluation: Evaluation) => quantityAt(mainContainer(workload(evaluation, name)), "resources", "limits", "memory");
            assert.ok(compareQuantities(memory(prod), memory(dev)) > 0, name);
        }
    });

    it("never carries a secret in plaintext: not the ECR password, not a secret variable", async () => {
        const evaluation = await evaluate({ stack: "dev", config: withSecretVariable("dev", "quotes", "API_KEY", "pl41nt3xt-k3y") });
        assert.ok(resource(evaluation, "kubernetes:core/v1:Secret", "quotes-env"));
        assert.deepStrictEqual(plaintextLeaks([evaluation.resources, evaluation.outputs], "pl41nt3xt-k3y"), []);
        assert.deepStrictEqual(plaintextLeaks([evaluation.resources, evaluation.outputs], "mock-ecr-password"), []);
    });

    it("local needs no cloud and no cluster: images stay local, manifests go to a directory", async () => {
        const local = await evaluateStack("local");
        assert.deepStrictEqual(
            local.resources.filter((r) => r.type.startsWith("aws:")),
            [],
        );
        assert.strictEqual(resource(local, "pulumi:providers:kubernetes", "cluster").inputs.renderYamlToDirectory, "rendered/local");
        for (const image of resourcesOfType(local, "docker:index/image:Image")) {
            assert.strictEqual(image.inputs.skipPush, true);
        }
        for (const deployment of workloads(local)) {
            assertHardened(deployment);
            assert.match(String(mainContainer(deployment).image), /^localhost\/go-services\/[a-z]+:git-[0-9a-f]+$/);
        }
    });

    it("local renders the same whatever $KUBECONFIG says: the provider gets no kubeconfig next to renderYamlToDirectory", async () => {
        const ambient = process.env.KUBECONFIG;
        process.env.KUBECONFIG = "/home/someone/.kube/config";
        try {
            const local = await evaluateStack("local");
            const inputs = resource(local, "pulumi:providers:kubernetes", "cluster").inputs;
            assert.deepStrictEqual([inputs.renderYamlToDirectory, inputs.kubeconfig], ["rendered/local", ""]);
        } finally {
            if (ambient === undefined) {
                delete process.env.KUBECONFIG;
            } else {
                process.env.KUBECONFIG = ambient;
            }
        }
    });

    it("local with a kind cluster's registry (registry.kind oci, localhost:5001) runs each image by the digest the registry gave it", async () => {
        const config = loadStackConfig("local");
        const evaluation = await evaluate({
            stack: "local",
            config: { ...config, values: { ...config.values, "go-services:registry": JSON.stringify({ kind: "oci", url: "localhost:5001" }) } },
        });
        assert.deepStrictEqual(
            evaluation.resources.filter((r) => r.type.startsWith("aws:")),
            [],
        );
        for (const image of resourcesOfType(evaluation, "docker:index/image:Image")) {
            assert.notStrictEqual(image.inputs.skipPush, true);
            assert.match(String(image.inputs.imageName), /^localhost:5001\/[a-z]+:git-0000000$/);
        }
        for (const deployment of workloads(evaluation)) {
            assert.match(String(mainContainer(deployment).image), new RegExp(`^localhost:5001/${deployment.name}@sha256:[0-9a-f]{64}$`));
        }
    });

    it("index.ts is the program: it exports the namespace and the services", async () => {
        const { default: main } = await import("../index");
        const evaluation = await evaluate({ stack: "dev", config: loadStackConfig("dev"), program: main });
        assert.strictEqual(workloads(evaluation).length, 2);
        assert.deepStrictEqual(Object.keys(evaluation.outputs).sort(), ["namespace", "services"]);
        assert.strictEqual((evaluation.outputs as { namespace: string }).namespace, "go-services-dev");
    });
});
