/**
 * The committed stacks, evaluated under mocks, against every rule of the policy pack: what
 * `pulumi preview --policy-pack policy` enforces in pull requests.
 */
import * as assert from "node:assert/strict";
import { evaluatePolicies, PolicyViolation } from "../../policy/evaluate";
import { Evaluation, evaluateStack } from "../../scripts/lib/evaluate";

function violations(evaluation: Evaluation): PolicyViolation[] {
    return evaluatePolicies(evaluation.resources.filter((resource) => resource.custom).map(({ type, name, state }) => ({ type, name, props: state })));
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
});
