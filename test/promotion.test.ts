/**
 * Build once, promote the digest: a stack with go-services:promotion.fromStack deploys what
 * the source stack exports, read through a (mocked) StackReference, and builds nothing.
 */
import * as assert from "assert";
import { checkPromotedImages } from "../components/promotion";
import { InvalidInputError } from "../components/validation";
import { Evaluation, StackOutputsByName } from "../scripts/lib/evaluate";
import { at, baseStackConfig, evaluateConfig, only, rejectedConfig, resource, resourcesOfType } from "./support/fixtures";

const source = "acme/go-services/dev";
const digest = (seed: string) => `sha256:${seed.repeat(64 / seed.length)}`;
const devImage = (service: string, seed: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/${service}@${digest(seed)}`;

/** What a deployed dev stack exports. */
function devOutputs(services: Record<string, unknown> = {}): StackOutputsByName {
    return {
        [source]: {
            namespace: "go-services-dev",
            services: {
                hello: { image: devImage("hello", "a1"), version: "git-3f9c2ab1d2e3", repositoryUrl: "unused", dnsName: "unused", port: 80 },
                quotes: { image: devImage("quotes", "b2"), version: "git-3f9c2ab1d2e3", repositoryUrl: "unused", dnsName: "unused", port: 80 },
                ...services,
            },
        },
    };
}

/** A prod-like stack promoting from dev; `services` replaces the service settings. */
function promotingConfig(services: Record<string, unknown> = { hello: { resources: "nano" }, quotes: { resources: "nano" } }): Record<string, unknown> {
    const config: Record<string, unknown> = {
        ...baseStackConfig(),
        "go-services:promotion": { fromStack: source },
        "go-services:services": services,
    };
    delete config["go-services:imageTag"];
    return config;
}

function deploymentImage(evaluation: Evaluation, name: string): unknown {
    return at(resource(evaluation, "kubernetes:apps/v1:Deployment", name).inputs, "spec", "template", "spec", "containers", 0, "image");
}

function versionLabel(evaluation: Evaluation, type: string, name: string): unknown {
    return at(resource(evaluation, type, name).inputs, "metadata", "labels", "app.kubernetes.io/version");
}

/** Resources that would need the AWS or Docker provider, or build or push anything. */
function buildResources(evaluation: Evaluation): string[] {
    return evaluation.resources.map((r) => r.type).filter((type) => /^(aws|docker):|^pulumi:providers:(aws|docker)$|ServiceImage|EcrRepository/.test(type));
}

describe("promotion from another stack", function () {
    this.timeout(30000);

    it("deploys exactly the digests the source stack exports, labelled with its versions, and builds nothing", async () => {
        const evaluation = await evaluateConfig(promotingConfig(), { stack: "prod", stackOutputs: devOutputs() });
        const reference = only(resourcesOfType(evaluation, "pulumi:pulumi:StackReference"), "StackReference");
        assert.strictEqual(reference.inputs.name, source);
        assert.strictEqual(deploymentImage(evaluation, "hello"), devImage("hello", "a1"));
        assert.strictEqual(deploymentImage(evaluation, "quotes"), devImage("quotes", "b2"));
        for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:ServiceAccount"]) {
            assert.strictEqual(versionLabel(evaluation, type, "hello"), "git-3f9c2ab1d2e3");
        }
        assert.deepStrictEqual(buildResources(evaluation), []);
        assert.deepStrictEqual(evaluation.invokes, []);
        const outputs = evaluation.outputs as { services: Record<string, Record<string, unknown>> };
        assert.deepStrictEqual(
            { image: outputs.services.hello?.image, version: outputs.services.hello?.version, repositoryUrl: outputs.services.hello?.repositoryUrl },
            {
                image: devImage("hello", "a1"),
                version: "git-3f9c2ab1d2e3",
                repositoryUrl: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello",
            },
        );
    });

    it("reads the source during a preview too, when the stack's own values are unknown", async () => {
        const evaluation = await evaluateConfig(promotingConfig(), { stack: "prod", preview: true, stackOutputs: devOutputs() });
        assert.strictEqual(deploymentImage(evaluation, "hello"), devImage("hello", "a1"));
    });

    it("lets a service's own image win over the promoted one, and needs no entry in the source for it", async () => {
        const pinned = devImage("quotes", "c3");
        const outputs = devOutputs();
        const devServices = (outputs[source] as { services: Record<string, unknown> }).services;
        delete devServices.quotes;
        const evaluation = await evaluateConfig(
            promotingConfig({ hello: { resources: "nano" }, quotes: { resources: "nano", image: pinned, imageTag: "git-0a1b2c3" } }),
            { stack: "prod", stackOutputs: outputs },
        );
        assert.strictEqual(deploymentImage(evaluation, "quotes"), pinned);
        assert.strictEqual(versionLabel(evaluation, "kubernetes:apps/v1:Deployment", "quotes"), "git-0a1b2c3");
        assert.strictEqual(deploymentImage(evaluation, "hello"), devImage("hello", "a1"));
    });

    describe("fails before any resource but the StackReference is registered", () => {
        const cases: { what: string; outputs: StackOutputsByName; path: string; message: RegExp }[] = [
            {
                what: "a service the source does not export",
                outputs: devOutputs({ quotes: undefined }),
                path: `services.quotes of ${source}`,
                message:
                    /must be exported by the source stack: deploy quotes to acme\/go-services\/dev first, or give this stack's go-services:services\.quotes\.image explicitly/,
            },
            {
                what: "a source image named by tag",
                outputs: devOutputs({ hello: { image: "ghcr.io/acme/hello:v1.4.2", version: "v1.4.2" } }),
                path: `services.hello of ${source} image`,
                message: /pinned by digest/,
            },
            {
                what: "a source that exports no version",
                outputs: devOutputs({ hello: { image: devImage("hello", "a1") } }),
                path: `services.hello of ${source} version`,
                message: /must be exported with the image \(the version it was built as\)/,
            },
            {
                what: "a source version that is not a version tag",
                outputs: devOutputs({ hello: { image: devImage("hello", "a1"), version: "latest" } }),
                path: `services.hello of ${source} version`,
                message: /semver/,
            },
            {
                what: "a source that is not a go-services stack",
                outputs: { [source]: { bucket: "logs" } },
                path: `services of ${source}`,
                message: /must be the map of service name to \{image, version\} a go-services stack exports; is the stack deployed, and is the name right\?/,
            },
        ];
        for (const bad of cases) {
            it(`on ${bad.what}, naming ${bad.path}`, async () => {
                const { error, resources } = await rejectedConfig(promotingConfig(), { stack: "prod", stackOutputs: bad.outputs });
                assert.match(error.message, /^Cannot promote from acme\/go-services\/dev \(go-services:promotion\.fromStack in Pulumi\.prod\.yaml\)/);
                const problem = error.problems.find((p) => p.path === bad.path);
                assert.ok(problem, error.message);
                assert.match(problem.allowed, bad.message);
                assert.deepStrictEqual(
                    resources.map((r) => r.type),
                    ["pulumi:pulumi:StackReference"],
                );
            });
        }

        it("names every missing service at once", async () => {
            const { error } = await rejectedConfig(promotingConfig(), { stack: "prod", stackOutputs: { [source]: { services: {} } } });
            assert.deepStrictEqual(
                error.problems.map((p) => p.path),
                [`services.hello of ${source}`, `services.quotes of ${source}`],
            );
        });

        it("on a source stack that does not exist", async () => {
            await assert.rejects(evaluateConfig(promotingConfig(), { stack: "prod", stackOutputs: {} }), /unknown stack "acme\/go-services\/dev"/);
        });
    });

    it("refuses a secret services output rather than unwrapping it", () => {
        assert.throws(
            () => checkPromotedImages(source, { secretValue: {} }, ["hello"], "subject"),
            (error: unknown) => error instanceof InvalidInputError && /must be a plain stack output/.test(error.message),
        );
    });
});

describe("a stack of given images", function () {
    this.timeout(30000);

    it("creates no image, no repository and calls no cloud API, and runs each image as given", async () => {
        const config = {
            ...baseStackConfig(),
            "go-services:services": {
                hello: { resources: "nano", image: devImage("hello", "d4"), imageTag: "v2.0.0" },
                quotes: { resources: "nano", image: devImage("quotes", "e5"), imageTag: "v2.0.1" },
            },
        };
        delete (config as Record<string, unknown>)["go-services:imageTag"];
        const evaluation = await evaluateConfig(config);
        assert.deepStrictEqual(buildResources(evaluation), []);
        assert.deepStrictEqual(evaluation.invokes, []);
        assert.strictEqual(deploymentImage(evaluation, "hello"), devImage("hello", "d4"));
        assert.strictEqual(versionLabel(evaluation, "kubernetes:apps/v1:Deployment", "quotes"), "v2.0.1");
        assert.deepStrictEqual(resourcesOfType(evaluation, "pulumi:pulumi:StackReference"), []);
    });

    it("takes the stack's imageTag as the version of a given image without its own", async () => {
        const config = { ...baseStackConfig(), "go-services:services": { hello: { image: devImage("hello", "d4") }, quotes: {} } };
        const evaluation = await evaluateConfig(config);
        assert.strictEqual(versionLabel(evaluation, "kubernetes:apps/v1:Deployment", "hello"), "git-3f9c2ab");
        assert.deepStrictEqual(
            resourcesOfType(evaluation, "docker:index/image:Image").map((r) => r.name),
            ["quotes"],
        );
    });
});
