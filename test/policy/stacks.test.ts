/**
 * The committed stacks, evaluated under mocks, against every rule of the policy pack: what
 * `pulumi preview --policy-pack policy` enforces in pull requests.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evaluatePolicies, PolicyPackConfig, PolicyViolation } from "../../policy/evaluate";
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
