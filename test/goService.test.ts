import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GoService, GoServiceArgs } from "../components/goService";
import * as library from "../components/index";
import { podTemplateRevision, promotionDeadlineSeconds } from "../components/canary";
import { KubernetesConnection } from "../components/environmentSettings";
import { KubernetesEnvironment } from "../components/kubernetesEnvironment";
import { defaultCanary } from "../components/rolloutStrategy";
import { evaluate, Evaluation, EvaluationFailure, mockDigest, toRuntimeConfig } from "../scripts/lib/evaluate";
import { isSecretEnvelope } from "../scripts/lib/manifests";
import { at, everyDirectoryExists, isSecretAt, only, plaintextLeaks, resource, resourcesOfType } from "./support/fixtures";

type ServiceArgs = Omit<GoServiceArgs, "environment" | "stack" | "directories"> & { stack?: GoServiceArgs["stack"] };

function deploy(args: ServiceArgs = {}, options: { preview?: boolean; connection?: KubernetesConnection } = {}): Promise<Evaluation> {
    return evaluate({
        stack: "dev",
        config: toRuntimeConfig({ "aws:region": "eu-west-1" }),
        preview: options.preview,
        program: () => {
            const environment = new KubernetesEnvironment("cluster", { namespace: "apps", connection: options.connection });
            const service = new GoService("hello", { stack: { imageTag: "v1.2.3" }, ...args, environment, directories: everyDirectoryExists });
            return {
                deploymentUrn: (service.deployment ?? service.rollout)?.urn,
                image: service.imageRef,
                dns: service.dnsName,
                port: service.port,
                repo: service.repositoryUrl,
            };
        },
    });
}

const kubernetesTypes = [
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
];

describe("GoService", () => {
    it("registers repository, image and workload objects as its children", async () => {
        const evaluation = await deploy();
        const types = evaluation.resources.map((r) => r.type);
        for (const type of [
            "go-services:index:EcrRepository",
            "go-services:index:ServiceImage",
            "aws:ecr/repository:Repository",
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "docker:index/image:Image",
            ...kubernetesTypes,
        ]) {
            assert.ok(types.includes(type), `${type} not registered`);
        }
        assert.match(String(evaluation.outputs.deploymentUrn), /::go-services:index:GoService\$kubernetes:apps\/v1:Deployment::hello$/);
    });

    it("registers every Kubernetes object through the environment's provider", async () => {
        const evaluation = await deploy({ replicas: 2, secretEnv: { TOKEN: pulumi.secret("s3cr3t") } });
        const objects = evaluation.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.ok(objects.length >= 7);
        for (const object of objects) {
            assert.match(String(object.provider), /pulumi:providers:kubernetes::cluster::/, `${object.type} ${object.name}`);
        }
    });

    it("runs the image by digest: the Deployment gets the pushed repoDigest, not the tag", async () => {
        const evaluation = await deploy();
        const repositoryUrl = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello";
        const image = at(resource(evaluation, "kubernetes:apps/v1:Deployment", "hello").inputs, "spec", "template", "spec", "containers", 0, "image");
        assert.strictEqual(image, `${repositoryUrl}@${mockDigest(`${repositoryUrl}:v1.2.3`)}`);
        assert.strictEqual(evaluation.outputs.image, image);
        assert.strictEqual(evaluation.outputs.dns, "hello.apps.svc.cluster.local");
        assert.strictEqual(evaluation.outputs.port, 80);
    });

    it("builds with the golden Dockerfile from the services context, version args and a secret registry password", async () => {
        const evaluation = await deploy({ stack: { imageTag: "git-3f9c2ab", sourceUrl: "https://example.com/repo" } });
        const image = resource(evaluation, "docker:index/image:Image", "hello").inputs;
        assert.strictEqual(image.imageName, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello:git-3f9c2ab");
        assert.deepStrictEqual(image.build, {
            context: "services",
            dockerfile: "docker/go-service.Dockerfile",
            platform: "linux/amd64",
            builderVersion: "BuilderBuildKit",
            args: { SERVICE: "hello", VERSION: "git-3f9c2ab", COMMIT: "3f9c2ab", SOURCE_URL: "https://example.com/repo", BUILDKIT_INLINE_CACHE: "1" },
            cacheFrom: { images: ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello:git-3f9c2ab"] },
        });
        assert.strictEqual(image.buildOnPreview, false);
        assert.ok(isSecretAt(image, "registry", "password"), "registry password must stay a secret");
        assert.deepStrictEqual(plaintextLeaks(evaluation.resources, "mock-ecr-password"), []);
    });

    it("keeps secret variables secret: a Secret with secret data, referenced by secretKeyRef", async () => {
        const evaluation = await deploy({ secretEnv: { API_TOKEN: pulumi.secret("tok-123") } });
        const secret = only(resourcesOfType(evaluation, "kubernetes:core/v1:Secret"), "Secret");
        assert.ok(isSecretAt(secret.inputs, "stringData", "API_TOKEN"));
        const env = at(resource(evaluation, "kubernetes:apps/v1:Deployment", "hello").inputs, "spec", "template", "spec", "containers", 0, "env") as {
            name: string;
            valueFrom?: unknown;
        }[];
        const token = env.find((variable) => variable.name === "API_TOKEN");
        assert.deepStrictEqual(token?.valueFrom, { secretKeyRef: { name: at(secret.state, "metadata", "name"), key: "API_TOKEN", optional: false } });
        assert.deepStrictEqual(plaintextLeaks([evaluation.resources, evaluation.outputs], "tok-123"), []);
    });

    it("adds a PodDisruptionBudget and spread above one replica, and an HPA when autoscaling", async () => {
        const single = await deploy();
        assert.strictEqual(resourcesOfType(single, "kubernetes:policy/v1:PodDisruptionBudget").length, 0);
        assert.strictEqual(resourcesOfType(single, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
        const scaled = await deploy({ autoscaling: { minReplicas: 2, maxReplicas: 6 } });
        assert.strictEqual(resourcesOfType(scaled, "kubernetes:policy/v1:PodDisruptionBudget").length, 1);
        assert.strictEqual(resourcesOfType(scaled, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 1);
        const deployment = resource(scaled, "kubernetes:apps/v1:Deployment", "hello").inputs;
        assert.strictEqual(at(deployment, "spec", "replicas"), undefined);
        assert.strictEqual((at(deployment, "spec", "template", "spec", "topologySpreadConstraints") as unknown[]).length, 2);
    });

    it("pushes to an existing registry without creating a repository", async () => {
        const evaluation = await deploy({
            stack: { imageTag: "v1.2.3", registry: { kind: "existing", url: "210987654321.dkr.ecr.us-east-1.amazonaws.com/team" } },
        });
        assert.strictEqual(resourcesOfType(evaluation, "aws:ecr/repository:Repository").length, 0);
        assert.strictEqual(
            resource(evaluation, "docker:index/image:Image", "hello").inputs.imageName,
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/team/hello:v1.2.3",
        );
    });

    it("builds without pushing for the local registry, and needs no cloud resource", async () => {
        const evaluation = await deploy({ stack: { imageTag: "v1.2.3", registry: { kind: "local" } } });
        assert.deepStrictEqual(
            evaluation.resources.filter((r) => r.type.startsWith("aws:")),
            [],
        );
        const image = resource(evaluation, "docker:index/image:Image", "hello").inputs;
        assert.strictEqual(image.skipPush, true);
        assert.strictEqual(image.registry, undefined);
        assert.strictEqual(evaluation.outputs.image, "localhost/go-services/hello:v1.2.3");
    });

    it("pushes to any OCI registry with the password kept a secret, and runs the registry's digest", async () => {
        const evaluation = await deploy({
            stack: {
                imageTag: "v1.2.3",
                registry: { kind: "oci", url: "localhost:5001/team", username: "ci-bot", passwordSecret: pulumi.secret("hunter2-token") },
            },
        });
        const image = resource(evaluation, "docker:index/image:Image", "hello").inputs;
        assert.strictEqual(image.imageName, "localhost:5001/team/hello:v1.2.3");
        assert.ok(isSecretAt(image, "registry", "password"), "registry password must stay a secret");
        // Pulumi marks the outermost value holding a secret: the registry block as a whole.
        const registry = isSecretEnvelope(image.registry) ? image.registry.value : image.registry;
        assert.deepStrictEqual({ server: at(registry, "server"), username: at(registry, "username") }, { server: "localhost:5001", username: "ci-bot" });
        assert.deepStrictEqual(plaintextLeaks([evaluation.resources, evaluation.outputs], "hunter2-token"), []);
        assert.strictEqual(evaluation.outputs.image, `localhost:5001/team/hello@${mockDigest("localhost:5001/team/hello:v1.2.3")}`);
        assert.strictEqual(evaluation.outputs.repo, "localhost:5001/team/hello");
        assert.deepStrictEqual(
            evaluation.resources.filter((r) => r.type.startsWith("aws:")),
            [],
        );
        assert.deepStrictEqual(evaluation.invokes, []);
    });

    it("pushes to an OCI registry without credentials of its own (the engine's login, or an open registry)", async () => {
        const evaluation = await deploy({ stack: { imageTag: "v1.2.3", registry: { kind: "oci", url: "localhost:5001" } } });
        const image = resource(evaluation, "docker:index/image:Image", "hello").inputs;
        assert.strictEqual(image.registry, undefined);
        assert.notStrictEqual(image.skipPush, true);
        assert.strictEqual(evaluation.outputs.image, `localhost:5001/hello@${mockDigest("localhost:5001/hello:v1.2.3")}`);
    });

    it("deploys a given image by digest: no repository, no image build, no cloud call", async () => {
        const given = `ghcr.io/acme/hello@sha256:${"c".repeat(64)}`;
        const evaluation = await deploy({ image: given, imageTag: "v3.1.0", stack: {} });
        assert.deepStrictEqual(
            evaluation.resources.filter((r) => /^(aws|docker):|ServiceImage|EcrRepository/.test(r.type)),
            [],
        );
        assert.deepStrictEqual(evaluation.invokes, []);
        const deployment = resource(evaluation, "kubernetes:apps/v1:Deployment", "hello").inputs;
        assert.strictEqual(at(deployment, "spec", "template", "spec", "containers", 0, "image"), given);
        assert.strictEqual(at(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/version"), "v3.1.0");
        assert.strictEqual(evaluation.outputs.image, given);
        assert.strictEqual(evaluation.outputs.repo, "ghcr.io/acme/hello");
    });

    it("refuses a given image without a version, and a service to build without one", async () => {
        await assert.rejects(
            deploy({ image: `ghcr.io/acme/hello@sha256:${"c".repeat(64)}`, stack: {} }),
            /GoService "hello"\.imageTag = \(missing\): is required with image/,
        );
        await assert.rejects(deploy({ stack: {} }), /GoService "hello" stack\.imageTag = \(missing\): is required/);
    });

    it("evaluates in preview, when the digest is not known yet", async () => {
        const evaluation = await deploy({ replicas: 2 }, { preview: true });
        assert.ok(resource(evaluation, "kubernetes:apps/v1:Deployment", "hello"));
        assert.strictEqual(evaluation.outputs.image, undefined);
    });

    it("rejects bad arguments before registering anything of its own", async () => {
        await assert.rejects(deploy({ port: 80, replicas: 0, stack: { imageTag: "latest" } }), (failure: unknown) => {
            assert.ok(failure instanceof EvaluationFailure);
            assert.match(failure.message, /GoService "hello": 3 invalid values/);
            assert.match(failure.message, /GoService "hello" stack\.imageTag = "latest"/);
            assert.match(failure.message, /GoService "hello"\.port = 80/);
            assert.match(failure.message, /GoService "hello"\.replicas = 0/);
            assert.deepStrictEqual(
                failure.resources.filter(
                    (r) => !r.type.startsWith("kubernetes:") && !r.type.includes("KubernetesEnvironment") && r.type !== "pulumi:providers:kubernetes",
                ),
                [],
            );
            return true;
        });
    });
});

describe("composing services from components/index.ts", () => {
    it("wires egress from one service to another through their labels and port", async () => {
        const evaluation = await evaluate({
            stack: "dev",
            config: toRuntimeConfig({ "aws:region": "eu-west-1" }),
            program: () => {
                const environment = new library.KubernetesEnvironment("cluster", { namespace: "apps" });
                const stack = { imageTag: "v1.4.2" };
                const servicePorts = new Map([
                    ["quotes", 9000],
                    ["hello", 8080],
                ]);
                new library.GoService("quotes", { stack, environment, port: 9000, replicas: 2, servicePorts, directories: everyDirectoryExists });
                new library.GoService("hello", {
                    stack,
                    environment,
                    network: { egress: [{ service: "quotes" }] },
                    servicePorts,
                    directories: everyDirectoryExists,
                });
                return {};
            },
        });
        const egress = at(resource(evaluation, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello").inputs, "spec", "egress", 1);
        assert.deepStrictEqual(egress, {
            to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "quotes", "app.kubernetes.io/instance": "quotes-dev" } } }],
            ports: [{ protocol: "TCP", port: 9000 }],
        });
        assert.strictEqual(resourcesOfType(evaluation, "kubernetes:apps/v1:Deployment").length, 2);
        assert.strictEqual(resourcesOfType(evaluation, "kubernetes:core/v1:Namespace").length, 1);
    });
});

describe("GoService with rollout.strategy canary", () => {
    const monitoring = { prometheusUrl: "http://prometheus.monitoring.svc:9090" };
    const canary = (args: ServiceArgs = {}) =>
        deploy({ stack: { imageTag: "v1.2.3", monitoring }, rollout: { strategy: "canary" }, autoscaling: { minReplicas: 2, maxReplicas: 4 }, ...args });

    it("declares a Rollout and its AnalysisTemplate in place of the Deployment, with the same companions", async () => {
        const evaluation = await canary();
        assert.strictEqual(resourcesOfType(evaluation, "kubernetes:apps/v1:Deployment").length, 0);
        const rollout = resource(evaluation, "kubernetes:argoproj.io/v1alpha1:Rollout", "hello");
        const template = resource(evaluation, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "hello");
        assert.match(String(evaluation.outputs.deploymentUrn), /GoService\$kubernetes:argoproj\.io\/v1alpha1:Rollout::hello$/);
        for (const type of [
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:core/v1:Service",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:policy/v1:PodDisruptionBudget",
        ]) {
            assert.strictEqual(resourcesOfType(evaluation, type).length, 1, type);
        }
        const hpa = resource(evaluation, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "hello").inputs;
        assert.deepStrictEqual(at(hpa, "spec", "scaleTargetRef"), { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "hello" });
        const image = at(rollout.inputs, "spec", "template", "spec", "containers", 0, "image");
        const repositoryUrl = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello";
        assert.strictEqual(image, `${repositoryUrl}@${mockDigest(`${repositoryUrl}:v1.2.3`)}`, "the Rollout runs the image by digest");
        assert.strictEqual(at(template.inputs, "spec", "metrics", 0, "provider", "prometheus", "address"), monitoring.prometheusUrl);
    });

    it("judges the canary by the service's own alert thresholds unless the canary overrides them", async () => {
        const own = await canary({ alerts: { errorRatio: 0.02 } });
        const metrics = at(resource(own, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "hello").inputs, "spec", "metrics") as {
            failureCondition: string;
        }[];
        assert.deepStrictEqual(
            metrics.map((metric) => metric.failureCondition),
            ["result[0] > 0.02", "result[0] > 0.5"],
        );
        const overridden = await canary({ alerts: { errorRatio: 0.02 }, rollout: { strategy: "canary", canary: { analysis: { errorRatio: 0.1 } } } });
        assert.strictEqual(
            at(resource(overridden, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "hello").inputs, "spec", "metrics", 0, "failureCondition"),
            "result[0] > 0.1",
        );
    });

    it("makes pulumi up wait for the promotion through a RolloutPromotion, told what its messages name", async () => {
        const evaluation = await canary({ alerts: { errorRatio: 0.02 } });
        const promotion = resource(evaluation, "pulumi-nodejs:dynamic:RolloutPromotion", "hello-promotion");
        const rollout = resource(evaluation, "kubernetes:argoproj.io/v1alpha1:Rollout", "hello");
        const { __provider: provider, ...inputs } = promotion.inputs;
        assert.match(String(provider), /rolloutPromotionGate/, "the serialized provider loads the gate's code");
        assert.deepStrictEqual(inputs, {
            service: "hello",
            namespace: "apps",
            rollout: "hello",
            version: "v1.2.3",
            revision: podTemplateRevision(at(rollout.inputs, "spec", "template")),
            thresholds: { "error-ratio": 0.02, "latency-p99": 0.5 },
            window: "1m",
            prometheusUrl: monitoring.prometheusUrl,
            deadlineSeconds: promotionDeadlineSeconds(defaultCanary, { timeout: "10m", progressDeadlineSeconds: 300 }),
        });
        const rolling = await deploy();
        assert.deepStrictEqual(resourcesOfType(rolling, "pulumi-nodejs:dynamic:RolloutPromotion"), [], "a rolling service waits through its Deployment");
    });

    it("gives the promotion the stack's cluster: its context, or its kubeconfig kept secret; nothing when the stack renders YAML", async () => {
        const promotionOf = async (connection: KubernetesConnection) =>
            resourcesOfType(
                await deploy({ stack: { imageTag: "v1.2.3", monitoring }, rollout: { strategy: "canary" } }, { connection }),
                "pulumi-nodejs:dynamic:RolloutPromotion",
            );
        const byContext = only(await promotionOf({ context: "prod-cluster" }), "promotion");
        assert.strictEqual(byContext.inputs.context, "prod-cluster");
        const byKubeconfig = only(await promotionOf({ kubeconfig: "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: t0ps3cret}}]" }), "promotion");
        assert.ok(isSecretAt(byKubeconfig.inputs, "kubeconfig"), "the kubeconfig is a secret");
        assert.deepStrictEqual(plaintextLeaks(byKubeconfig.inputs, "t0ps3cret"), []);
        assert.deepStrictEqual(await promotionOf({ renderYamlToDirectory: "out/rendered" }), []);
    });

    it("refuses a canary without the stack's Prometheus before registering anything", async () => {
        await assert.rejects(deploy({ rollout: { strategy: "canary" } }), (failure: unknown) => {
            assert.ok(failure instanceof EvaluationFailure);
            assert.match(failure.message, /GoService "hello" stack\.monitoring\.prometheusUrl.*is required by GoService "hello"\.rollout\.strategy canary/s);
            assert.deepStrictEqual(
                failure.resources.filter((r) => r.type === "go-services:index:GoService" || r.type.startsWith("kubernetes:argoproj.io")),
                [],
            );
            return true;
        });
    });
});
