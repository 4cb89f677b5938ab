import * as assert from "assert";
import { readStackConfig } from "../components/config";
import { serviceDirectoriesAt } from "../components/serviceDirectory";
import { projectRoot } from "../scripts/lib/evaluate";
import {
    baseStackConfig,
    evaluateConfig,
    everyDirectoryExists,
    isSecretAt,
    plaintextLeaks,
    rejectedConfig,
    resource,
    resourcesOfType,
} from "./support/fixtures";

type Config = Record<string, unknown>;

function withServices(services: Record<string, unknown>): Config {
    return { ...baseStackConfig(), "go-services:services": services };
}

function withHello(hello: Record<string, unknown>): Config {
    return withServices({ hello, quotes: { resources: "nano" } });
}

interface BadCase {
    what: string;
    config: Config;
    key: string;
    value?: string;
    allowed: RegExp;
}

const badCases: BadCase[] = [
    {
        what: "the tag latest",
        config: { ...baseStackConfig(), "go-services:imageTag": "latest" },
        key: "go-services:imageTag",
        value: '"latest"',
        allowed: /semver/,
    },
    {
        what: "a malformed tag",
        config: { ...baseStackConfig(), "go-services:imageTag": "v1.2" },
        key: "go-services:imageTag",
        value: '"v1.2"',
        allowed: /semver/,
    },
    {
        what: "no tag at all",
        config: (() => {
            const c = baseStackConfig();
            delete c["go-services:imageTag"];
            return c;
        })(),
        key: "go-services:imageTag",
        allowed: /is required/,
    },
    { what: "a per-service latest tag", config: withHello({ imageTag: "latest" }), key: "go-services:services.hello.imageTag", allowed: /semver/ },
    { what: "a service name that is not a DNS label", config: withServices({ Hello_World: {} }), key: "go-services:services.Hello_World", allowed: /DNS-1123/ },
    {
        what: "a namespace that is not a DNS label",
        config: { ...baseStackConfig(), "go-services:namespace": "My.Apps" },
        key: "go-services:namespace",
        allowed: /DNS-1123/,
    },
    {
        what: "a system namespace",
        config: { ...baseStackConfig(), "go-services:namespace": "kube-system" },
        key: "go-services:namespace",
        allowed: /namespace of its own/,
    },
    {
        what: "a bad cpu quantity",
        config: withHello({ resources: { requests: { cpu: "lots", memory: "64Mi" }, limits: { cpu: "1", memory: "64Mi" } } }),
        key: "go-services:services.hello.resources.requests.cpu",
        value: '"lots"',
        allowed: /Kubernetes quantity/,
    },
    {
        what: "a bad memory quantity",
        config: withHello({ resources: { requests: { cpu: "1", memory: "64MB" }, limits: { cpu: "1", memory: "64Mi" } } }),
        key: "go-services:services.hello.resources.requests.memory",
        allowed: /Kubernetes quantity/,
    },
    {
        what: "a memory limit below its request",
        config: withHello({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "512Mi" } } }),
        key: "go-services:services.hello.resources.limits.memory",
        allowed: /at least the request \(1Gi\)/,
    },
    {
        what: "an unknown preset",
        config: withHello({ resources: "huge" }),
        key: "go-services:services.hello.resources",
        value: '"huge"',
        allowed: /nano, micro, small, medium, large, xlarge/,
    },
    { what: "zero replicas", config: withHello({ replicas: 0 }), key: "go-services:services.hello.replicas", value: "0", allowed: /1 to 50/ },
    { what: "too many replicas", config: withHello({ replicas: 500 }), key: "go-services:services.hello.replicas", allowed: /1 to 50/ },
    { what: "a privileged port", config: withHello({ port: 80 }), key: "go-services:services.hello.port", value: "80", allowed: /1024 to 65535/ },
    { what: "a port out of range", config: withHello({ port: 70000 }), key: "go-services:services.hello.port", allowed: /1024 to 65535/ },
    {
        what: "an image pull policy go-services does not offer",
        config: withHello({ imagePullPolicy: "Never" }),
        key: "go-services:services.hello.imagePullPolicy",
        value: '"Never"',
        allowed: /one of: IfNotPresent, Always/,
    },
    { what: "a typo in a service key", config: withHello({ replcias: 2 }), key: "go-services:services.hello.replcias", allowed: /did you mean "replicas"/ },
    {
        what: "a typo in a top-level key",
        config: { ...baseStackConfig(), "go-services:imageTg": "v1.2.3" },
        key: "go-services:imageTg",
        allowed: /did you mean "imageTag"/,
    },
    {
        what: "autoscaling bounds the wrong way round",
        config: withHello({ autoscaling: { minReplicas: 6, maxReplicas: 3 } }),
        key: "go-services:services.hello.autoscaling.maxReplicas",
        allowed: /at least autoscaling.minReplicas \(6\)/,
    },
    {
        what: "replicas and autoscaling together",
        config: withHello({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 4 } }),
        key: "go-services:services.hello.replicas",
        allowed: /autoscaling/,
    },
    {
        what: "a utilisation target over 100",
        config: withHello({ autoscaling: { minReplicas: 2, maxReplicas: 4, targetCPUUtilization: 150 } }),
        key: "go-services:services.hello.autoscaling.targetCPUUtilization",
        allowed: /1 to 100/,
    },
    {
        what: "a scale-down window beyond what the HPA allows",
        config: withHello({ autoscaling: { minReplicas: 2, maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 7200 } } } }),
        key: "go-services:services.hello.autoscaling.behavior.scaleDown.stabilizationWindowSeconds",
        value: "7200",
        allowed: /0 to 3600/,
    },
    {
        what: "a scaling policy of an unknown type",
        config: withHello({
            autoscaling: { minReplicas: 2, maxReplicas: 4, behavior: { scaleUp: { policies: [{ type: "Cores", value: 1, periodSeconds: 15 }] } } },
        }),
        key: "go-services:services.hello.autoscaling.behavior.scaleUp.policies[0].type",
        allowed: /one of: Pods, Percent/,
    },
    {
        what: "a typo in a behavior key",
        config: withHello({ autoscaling: { minReplicas: 2, maxReplicas: 4, behavior: { scaleDwon: {} } } }),
        key: "go-services:services.hello.autoscaling.behavior.scaleDwon",
        allowed: /did you mean "scaleDown"/,
    },
    {
        what: "an empty list of scaling policies",
        config: withHello({ autoscaling: { minReplicas: 2, maxReplicas: 4, behavior: { scaleDown: { policies: [] } } } }),
        key: "go-services:services.hello.autoscaling.behavior.scaleDown.policies",
        allowed: /at least one policy/,
    },
    {
        what: "a grace period shorter than drain plus timeout",
        config: withHello({ shutdown: { drainSeconds: 5, timeoutSeconds: 20, gracePeriodSeconds: 10 } }),
        key: "go-services:services.hello.shutdown.gracePeriodSeconds",
        allowed: /more than drainSeconds/,
    },
    { what: "a reserved variable", config: withHello({ env: { PORT: "1" } }), key: "go-services:services.hello.env.PORT", allowed: /set by go-services/ },
    {
        what: "a secretEnv naming an unset key",
        config: withHello({ secretEnv: { TOKEN: "helloToken" } }),
        key: "go-services:services.hello.secretEnv.TOKEN",
        allowed: /pulumi config set --secret go-services:helloToken/,
    },
    {
        what: "an unknown platform",
        config: { ...baseStackConfig(), "go-services:platform": "windows/amd64" },
        key: "go-services:platform",
        allowed: /linux\/amd64, linux\/arm64/,
    },
    {
        what: "an unknown registry kind",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "dockerhub" } },
        key: "go-services:registry.kind",
        allowed: /managed, existing, oci, local/,
    },
    {
        what: "an existing registry that is not ECR",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "existing", url: "ghcr.io/acme" } },
        key: "go-services:registry.url",
        allowed: /ECR registry URL/,
    },
    {
        what: "keepVersions of zero",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "managed", ecr: { keepVersions: 0 } } },
        key: "go-services:registry.ecr.keepVersions",
        allowed: /1 to 1000/,
    },
    {
        what: "two ways to reach the cluster",
        config: { ...baseStackConfig(), "go-services:kubernetes": { context: "a", renderYamlToDirectory: "out" } },
        key: "go-services:kubernetes",
        allowed: /at most one of/,
    },
    {
        what: "a bad boolean",
        config: { ...baseStackConfig(), "go-services:buildOnPreview": "yes" },
        key: "go-services:buildOnPreview",
        allowed: /true or false/,
    },
    { what: "no services", config: withServices({}), key: "go-services:services", allowed: /at least one service/ },
    { what: "a commit that is not hex", config: { ...baseStackConfig(), "go-services:commit": "HEAD" }, key: "go-services:commit", allowed: /git commit id/ },
    {
        what: "egress to a service the stack lacks",
        config: withHello({ network: { egress: [{ service: "billing" }] } }),
        key: "go-services:services.hello.network.egress[0].service",
        allowed: /hello, quotes/,
    },
    {
        what: "a bad probe timing",
        config: withHello({ probes: { liveness: { periodSeconds: 0 } } }),
        key: "go-services:services.hello.probes.liveness.periodSeconds",
        allowed: /1 to 300/,
    },
];

const digest = `sha256:${"ab".repeat(32)}`;
const devImage = (service: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/${service}@${digest}`;

/** A (dev) stack promoting from acme/go-services/staging; `hello` and `quotes` have no image of their own. */
function promoting(hello: Record<string, unknown> = { resources: "nano" }): Config {
    const config: Config = {
        ...withHello(hello),
        "go-services:promotion": { fromStack: "acme/go-services/staging" },
    };
    delete config["go-services:imageTag"];
    return config;
}

/** The base stack without its imageTag. */
function withoutImageTag(config: Config): Config {
    const copy = { ...config };
    delete copy["go-services:imageTag"];
    return copy;
}

const imageCases: BadCase[] = [
    {
        what: "a given image named by tag",
        config: withHello({ image: "ghcr.io/acme/hello:v1.4.2", imageTag: "v1.4.2" }),
        key: "go-services:services.hello.image",
        value: '"ghcr.io/acme/hello:v1.4.2"',
        allowed: /pinned by digest: <repository>@sha256:<64 lower-case hex digits>.*a tag \(:v1\.4\.2, :latest\) is refused/,
    },
    {
        what: "a given image with both a tag and a digest",
        config: withHello({ image: `ghcr.io/acme/hello:v1.4.2@${digest}`, imageTag: "v1.4.2" }),
        key: "go-services:services.hello.image",
        allowed: /also next to a digest/,
    },
    {
        what: "a given image without any version",
        config: withoutImageTag(withServices({ hello: { image: devImage("hello") }, quotes: { image: devImage("quotes"), imageTag: "v1.0.0" } })),
        key: "go-services:services.hello.imageTag",
        value: "(missing)",
        allowed: /is required with go-services:services\.hello\.image \(or set go-services:imageTag\): the version that image was built as/,
    },
    {
        what: "a build setting next to a given image",
        config: withHello({ image: devImage("hello"), path: "services/hello" }),
        key: "go-services:services.hello.path",
        allowed: /must be left out: .*nothing is built for this service: the image is given \(go-services:services\.hello\.image\)/,
    },
    {
        what: "a stack imageTag that no service uses",
        config: withServices({ hello: { image: devImage("hello"), imageTag: "v1.0.0" }, quotes: { image: devImage("quotes"), imageTag: "v1.0.0" } }),
        key: "go-services:imageTag",
        value: '"git-3f9c2ab"',
        allowed: /is not used: no service is built here or given an image without an imageTag of its own; remove it/,
    },
    {
        what: "a promotion source that is not fully qualified",
        config: { ...promoting(), "go-services:promotion": { fromStack: "dev" } },
        key: "go-services:promotion.fromStack",
        value: '"dev"',
        allowed: /fully qualified stack name <org>\/<project>\/<stack>/,
    },
    {
        what: "a stack promoting from itself",
        config: { ...promoting(), "go-services:promotion": { fromStack: "acme/go-services/dev" } },
        key: "go-services:promotion.fromStack",
        allowed: /must name another stack/,
    },
    {
        what: "a typo in the promotion settings",
        config: { ...promoting(), "go-services:promotion": { fromStak: "acme/go-services/staging" } },
        key: "go-services:promotion.fromStak",
        allowed: /did you mean "fromStack"/,
    },
    {
        what: "an imageTag on a promoted service",
        config: promoting({ imageTag: "v1.4.2" }),
        key: "go-services:services.hello.imageTag",
        allowed: /must be left out: a promoted service is labelled with the version acme\/go-services\/staging exports for it/,
    },
    {
        what: "a build path on a promoted service",
        config: promoting({ path: "services/hello" }),
        key: "go-services:services.hello.path",
        allowed: /nothing is built for this service: the image is promoted from acme\/go-services\/staging/,
    },
    {
        what: "a stack imageTag in a stack that promotes every service",
        config: { ...promoting(), "go-services:imageTag": "v1.4.2" },
        key: "go-services:imageTag",
        allowed: /is not used: .*a promoted service carries the version acme\/go-services\/staging exports; remove it/,
    },
    {
        what: "an OCI registry URL with a scheme",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "oci", url: "https://ghcr.io/acme" } },
        key: "go-services:registry.url",
        value: '"https://ghcr.io/acme"',
        allowed: /registry URL without a scheme: <host>\[:<port>\]\[\/<lower-case path>\]/,
    },
    {
        what: "an OCI registry user without a password",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "oci", url: "ghcr.io/acme", username: "ci-bot" } },
        key: "go-services:registry.passwordSecret",
        allowed: /is required with username/,
    },
    {
        what: "an OCI registry password without a user",
        config: {
            ...baseStackConfig(),
            "go-services:registry": { kind: "oci", url: "ghcr.io/acme", passwordSecret: "registryToken" },
            "go-services:registryToken": { secure: "v1:abc" },
        },
        key: "go-services:registry.username",
        allowed: /is required with passwordSecret/,
    },
    {
        what: "an OCI registry password naming an unset key",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "oci", url: "ghcr.io/acme", username: "ci-bot", passwordSecret: "registryToken" } },
        key: "go-services:registry.passwordSecret",
        allowed: /pulumi config set --secret go-services:registryToken/,
    },
    {
        what: "an OCI registry user name with a space",
        config: {
            ...baseStackConfig(),
            "go-services:registry": { kind: "oci", url: "ghcr.io/acme", username: "ci bot", passwordSecret: "registryToken" },
            "go-services:registryToken": { secure: "v1:abc" },
        },
        key: "go-services:registry.username",
        value: '"ci bot"',
        allowed: /user name to push as, without spaces/,
    },
    {
        what: "a key that belongs to another registry kind",
        config: { ...baseStackConfig(), "go-services:registry": { kind: "oci", url: "ghcr.io/acme", ecr: { keepVersions: 5 } } },
        key: "go-services:registry.ecr",
        allowed: /allowed keys: kind, url, username, passwordSecret/,
    },
];

describe("stack configuration", () => {
    it(`has at least 20 bad-config cases (${badCases.length})`, () => assert.ok(badCases.length >= 20));

    for (const bad of [...badCases, ...imageCases]) {
        it(`rejects ${bad.what}, naming ${bad.key}, before registering anything`, async () => {
            const { error, resources } = await rejectedConfig(bad.config);
            const problem = error.problems.find((p) => p.path === bad.key);
            assert.ok(problem, `no problem for ${bad.key} in:\n${error.message}`);
            if (bad.value !== undefined) {
                assert.strictEqual(problem.value, bad.value);
            }
            assert.match(problem.allowed, bad.allowed);
            assert.ok(error.message.includes(`${bad.key} = ${problem.value}: ${problem.allowed}`), error.message);
            assert.match(error.message, /^Invalid configuration in Pulumi\.dev\.yaml/);
            assert.deepStrictEqual(resources, [], "a resource was registered before the error");
        });
    }

    it("rejects a service whose folder does not exist, naming its path key and how to create it", async () => {
        const config = withServices({ hello: {}, billing: {} });
        const { error, resources } = await rejectedConfig(config, { directories: serviceDirectoriesAt(projectRoot) });
        const problem = error.problems.find((p) => p.path === "go-services:services.billing.path");
        assert.ok(problem, error.message);
        assert.match(problem.allowed, /missing: services\/billing\/ \(no such directory\) \(create one with: npm run new-service -- billing\)/);
        assert.deepStrictEqual(
            error.problems.map((p) => p.path),
            ["go-services:services.billing.path"],
        );
        assert.deepStrictEqual(resources, []);
    });

    it("reports every problem of a stack file at once", async () => {
        const { error } = await rejectedConfig({ ...withHello({ port: 1, replicas: 0 }), "go-services:imageTag": "latest" });
        assert.deepStrictEqual(error.problems.map((p) => p.path).sort(), [
            "go-services:imageTag",
            "go-services:services.hello.port",
            "go-services:services.hello.replicas",
        ]);
    });

    it("names the stack file of the stack being evaluated", async () => {
        const { error } = await rejectedConfig({ ...baseStackConfig(), "go-services:imageTag": "latest" }, { stack: "prod" });
        assert.match(error.message, /^Invalid configuration in Pulumi\.prod\.yaml/);
    });

    it("never prints the value of an unknown key, which may be a secret", async () => {
        const { error } = await rejectedConfig({ ...baseStackConfig(), "go-services:dbPassword": "hunter2" });
        assert.ok(!error.message.includes("hunter2"));
        assert.match(error.message, /go-services:dbPassword = \(secret, not shown\)/);
    });

    it("accepts keys named by secretEnv and reads them as secrets", async () => {
        const evaluation = await evaluateConfig(
            { ...withHello({ secretEnv: { TOKEN: "helloToken" } }), "go-services:helloToken": { secure: "v1:abc" } },
            { secrets: { "go-services:helloToken": "t0ken" } },
        );
        assert.ok(resource(evaluation, "kubernetes:core/v1:Secret", "hello-env"));
    });

    it("reads an OCI registry password from the secret config key it names, and keeps it secret to the image push", async () => {
        const evaluation = await evaluateConfig(
            {
                ...baseStackConfig(),
                "go-services:registry": { kind: "oci", url: "localhost:5001", username: "ci-bot", passwordSecret: "registryToken" },
                "go-services:registryToken": { secure: "v1:abc" },
            },
            { secrets: { "go-services:registryToken": "t0ken-pl41n" } },
        );
        for (const image of resourcesOfType(evaluation, "docker:index/image:Image")) {
            assert.match(String(image.inputs.imageName), /^localhost:5001\/(hello|quotes):git-3f9c2ab$/);
            assert.ok(isSecretAt(image.inputs, "registry", "password"), image.name);
        }
        assert.deepStrictEqual(plaintextLeaks([evaluation.resources, evaluation.outputs], "t0ken-pl41n"), []);
        assert.deepStrictEqual(
            evaluation.resources.filter((r) => r.type.startsWith("aws:")),
            [],
        );
        const outputs = evaluation.outputs as { services: Record<string, { image: string }> };
        assert.match(outputs.services.hello?.image ?? "", /^localhost:5001\/hello@sha256:[0-9a-f]{64}$/);
    });

    it("reads the stack file's map values and booleans the way Pulumi hands them over", () => {
        const config = readStackConfig(
            { imageTag: "v1.0.0", buildOnPreview: "true", services: JSON.stringify({ hello: null }), kubernetes: JSON.stringify({ context: "dev" }) },
            { project: "go-services", stack: "dev", directories: everyDirectoryExists },
        );
        assert.deepStrictEqual(
            config.services.map((s) => s.name),
            ["hello"],
        );
        assert.strictEqual(config.namespace, "go-services");
        assert.deepStrictEqual(config.kubernetes, { context: "dev" });
    });
});
