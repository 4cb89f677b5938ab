/**
 * The committed stacks, evaluated under mocks, against every rule of the policy pack: what
 * `pulumi preview --policy-pack policy` enforces in pull requests.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evaluatePolicies, PolicyPackConfig, PolicyViolation } from "../../policy/evaluate";
import { parse } from "yaml";
import { Evaluation, evaluateStack } from "../../scripts/lib/evaluate";

function violations(evaluation: Evaluation, config?: PolicyPackConfig): PolicyViolation[] {
    return evaluatePolicies(
        evaluation.resources.filter((resource) => resource.custom).map(({ type, name, state }) => ({ type, name, props: state })),
        config,
    );
}

describe("policy pack over the committed stacks", function () {
    this.timeout(60000);

    for (const stack of ["dev", "prod"]) {
        it(`${stack} passes every rule, mandatory and advisory`, async () => {
            assert.deepEqual(violations(await evaluateStack(stack)), []);
        });
    }

    describe("prod with policy/config/prod.json, given the digests dev exports as CI writes them", () => {
        const prodConfig = () =>
            JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "config", "prod.json"), "utf8")) as Record<string, Record<string, unknown>>;
        const withSourceImages = (images: Record<string, string>): PolicyPackConfig => {
            const config = prodConfig();
            return { ...config, "image-promoted": { ...config["image-promoted"], sourceImages: images } };
        };
        const devImages = (dev: Evaluation) =>
            Object.fromEntries(
                Object.entries((dev.outputs as { services: Record<string, { image: string }> }).services).map(([name, { image }]) => [name, image]),
            );

        it("names the source stack Pulumi.prod.yaml promotes from", () => {
            const stackFile = parse(readFileSync(join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8")) as {
                config: Record<string, { fromStack?: string }>;
            };
            assert.equal(prodConfig()["image-promoted"]?.fromStack, stackFile.config["go-services:promotion"]?.fromStack);
        });

        it("passes: prod runs exactly dev's digests", async () => {
            const dev = await evaluateStack("dev");
            assert.deepEqual(violations(await evaluateStack("prod"), withSourceImages(devImages(dev))), []);
        });

        it("fails a Deployment that runs anything else, and fails without the digests", async () => {
            const dev = await evaluateStack("dev");
            const prod = await evaluateStack("prod");
            const moved = { ...devImages(dev), hello: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello@sha256:${"0".repeat(64)}` };
            const found = violations(prod, withSourceImages(moved));
            assert.deepEqual(
                found.map((violation) => [violation.policyName, violation.enforcementLevel, violation.resourceName]),
                [["image-promoted", "mandatory", "hello"]],
            );
            assert.deepEqual([...new Set(violations(prod, prodConfig() as PolicyPackConfig).map((violation) => violation.resourceName))].sort(), [
                "hello",
                "quotes",
            ]);
        });
    });

    it("local fails only image-pinned: without a registry there is no digest to pin", async () => {
        const found = violations(await evaluateStack("local"));
        assert.deepEqual([...new Set(found.map((violation) => violation.policyName))], ["image-pinned"]);
        assert.deepEqual(found.map((violation) => violation.resourceName).sort(), ["hello", "quotes"]);
    });

    it("local passes with policy/config/local.json, which accepts tags but still refuses latest", async () => {
        const config = JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "config", "local.json"), "utf8")) as PolicyPackConfig;
        const evaluation = await evaluateStack("local");
        assert.deepEqual(violations(evaluation, config), []);
        const latest = evaluation.resources.map((resource) =>
            resource.type === "kubernetes:apps/v1:Deployment"
                ? { ...resource, state: JSON.parse(JSON.stringify(resource.state).replace(/:git-[0-9a-f]+/g, ":latest")) as Record<string, unknown> }
                : resource,
        );
        assert.deepEqual([...new Set(violations({ ...evaluation, resources: latest }, config).map((violation) => violation.policyName))], ["image-pinned"]);
    });
});
