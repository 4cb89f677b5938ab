import * as assert from "node:assert/strict";
import { evaluatePolicies } from "../../policy/evaluate";
import { WORKLOAD_TYPES } from "../../policy/kubernetes";
import type { PolicyResourceView } from "../../policy/rule";
import { companionsOf, compliantContainer, compliantPodSpec, deployment, ecrRepositoryAndPolicy, UNKNOWN_VALUE, workload } from "./fixtures";

/** A stack that passes every rule: an ECR repository, a Deployment and its companions. */
function compliantStack(): PolicyResourceView[] {
    return [...ecrRepositoryAndPolicy(), deployment(), ...companionsOf()];
}

/** The compliant stack with a Deployment whose image uses the latest tag and that has no Service. */
function stackWithProblems(): PolicyResourceView[] {
    const latest = deployment(compliantPodSpec({ containers: [{ ...compliantContainer(), image: "hello:latest" }] }));
    return [...ecrRepositoryAndPolicy(), latest, ...companionsOf().filter((resource) => resource.type !== "kubernetes:core/v1:Service")];
}

describe("policy/evaluate", () => {
    it("finds no violation in a compliant stack", () => {
        assert.deepEqual(evaluatePolicies(compliantStack()), []);
    });

    it("finds no violation while the image digest is unknown (preview)", () => {
        const previewed = deployment(compliantPodSpec({ containers: [{ ...compliantContainer(), image: UNKNOWN_VALUE }] }));
        assert.deepEqual(evaluatePolicies([...ecrRepositoryAndPolicy(), previewed, ...companionsOf()]), []);
    });

    it("reports each violation with its policy, enforcement level, resource and message", () => {
        assert.deepEqual(
            evaluatePolicies(stackWithProblems()).map(({ policyName, enforcementLevel, resourceType, resourceName, urn }) => ({
                policyName,
                enforcementLevel,
                resourceType,
                resourceName,
                urn,
            })),
            [
                {
                    policyName: "image-pinned",
                    enforcementLevel: "mandatory",
                    resourceType: WORKLOAD_TYPES.deployment,
                    resourceName: "hello",
                    urn: `urn:pulumi:dev::go-services::${WORKLOAD_TYPES.deployment}::hello`,
                },
                {
                    policyName: "deployment-has-service",
                    enforcementLevel: "advisory",
                    resourceType: WORKLOAD_TYPES.deployment,
                    resourceName: "hello",
                    urn: `urn:pulumi:dev::go-services::${WORKLOAD_TYPES.deployment}::hello`,
                },
            ],
        );
    });

    it("checks the pods of every workload kind", () => {
        const privileged = compliantPodSpec({
            containers: [{ ...compliantContainer(), securityContext: { ...compliantContainer().securityContext, privileged: true } }],
        });
        const found = Object.values(WORKLOAD_TYPES).flatMap((type) =>
            evaluatePolicies([workload(type, privileged)])
                .filter((violation) => violation.policyName === "pss-privileged")
                .map((violation) => violation.resourceType),
        );
        assert.deepEqual(found, Object.values(WORKLOAD_TYPES));
    });

    describe("config, as in a --policy-pack-config file", () => {
        const levels = (config: Parameters<typeof evaluatePolicies>[1]) =>
            evaluatePolicies(stackWithProblems(), config).map((violation) => `${violation.policyName}:${violation.enforcementLevel}`);

        it("applies all's level, then each policy's own; all enables the opt-in policies too", () => {
            assert.deepEqual(levels({}), ["image-pinned:mandatory", "deployment-has-service:advisory"]);
            assert.deepEqual(levels({ all: "mandatory" }), ["image-pinned:mandatory", "image-promoted:mandatory", "deployment-has-service:mandatory"]);
            assert.deepEqual(levels({ all: { enforcementLevel: "advisory" }, "deployment-has-service": "mandatory", "image-promoted": "disabled" }), [
                "image-pinned:advisory",
                "deployment-has-service:mandatory",
            ]);
        });

        it("drops disabled policies and reports remediate as mandatory", () => {
            assert.deepEqual(levels({ "image-pinned": "disabled", "deployment-has-service": "remediate" }), ["deployment-has-service:mandatory"]);
            assert.deepEqual(levels({ all: "disabled" }), []);
        });

        it("passes a policy's options along with its level", () => {
            const config = { "image-pinned": { enforcementLevel: "advisory" as const, requireDigest: false } };
            assert.deepEqual(levels(config), ["image-pinned:advisory", "deployment-has-service:advisory"]);
            const tagged = deployment(compliantPodSpec({ containers: [{ ...compliantContainer(), image: "hello:v1.4.2" }] }));
            assert.deepEqual(
                evaluatePolicies([tagged], { "image-pinned": { requireDigest: false } }).filter((v) => v.policyName === "image-pinned"),
                [],
            );
        });

        it("rejects a policy or option that does not exist, and an option of the wrong type", () => {
            assert.throws(() => evaluatePolicies([], { "image-pined": "disabled" }), /no policy named "image-pined"; policies are: pss-host-process/);
            assert.throws(
                () => evaluatePolicies([], { "image-pinned": { requireDigests: false } }),
                /policy "image-pinned" has no option "requireDigests"; its options are: requireDigest/,
            );
            assert.throws(() => evaluatePolicies([], { "high-uid-gid": { minimumId: 0 } }), /option "minimumId" is 0; expected/);
        });
    });
});
