import * as assert from "node:assert/strict";
import { ECR_TYPES } from "../../policy/ecr";
import { ecrRepositoryAndPolicy, resource, stackViolations, UNKNOWN_VALUE, violations } from "./fixtures";

function repository(props: Record<string, unknown>) {
    return resource(ECR_TYPES.repository, "hello", { name: "hello", ...props });
}

describe("policy/ecr", () => {
    describe("ecr-immutable-tags", () => {
        it("passes IMMUTABLE", () => {
            assert.deepEqual(violations("ecr-immutable-tags", repository({ imageTagMutability: "IMMUTABLE" })), []);
        });

        it("fails MUTABLE and unset, which defaults to MUTABLE", () => {
            assert.deepEqual(violations("ecr-immutable-tags", repository({})), [
                'ECR repository "hello": imageTagMutability is not set; it must be "IMMUTABLE" (unset means MUTABLE).',
            ]);
            assert.equal(violations("ecr-immutable-tags", repository({ imageTagMutability: "MUTABLE" })).length, 1);
        });

        it("accepts IMMUTABLE_WITH_EXCLUSION only when configured", () => {
            const withExclusion = repository({ imageTagMutability: "IMMUTABLE_WITH_EXCLUSION" });
            assert.equal(violations("ecr-immutable-tags", withExclusion).length, 1);
            assert.deepEqual(violations("ecr-immutable-tags", withExclusion, { allowImmutableWithExclusion: true }), []);
        });

        it("skips a value unknown during preview", () => {
            assert.deepEqual(violations("ecr-immutable-tags", repository({ imageTagMutability: UNKNOWN_VALUE })), []);
        });
    });

    describe("ecr-scan-on-push", () => {
        it("passes scanOnPush true and fails false or unset", () => {
            assert.deepEqual(violations("ecr-scan-on-push", repository({ imageScanningConfiguration: { scanOnPush: true } })), []);
            assert.deepEqual(violations("ecr-scan-on-push", repository({})), [
                'ECR repository "hello": imageScanningConfiguration.scanOnPush is not set; it must be true.',
            ]);
            assert.equal(violations("ecr-scan-on-push", repository({ imageScanningConfiguration: { scanOnPush: false } })).length, 1);
        });
    });

    describe("ecr-lifecycle-policy", () => {
        it("passes a repository with a lifecycle policy on it", () => {
            assert.deepEqual(stackViolations("ecr-lifecycle-policy", ecrRepositoryAndPolicy()), []);
        });

        it("fails a repository whose only lifecycle policy is on another repository", () => {
            const [hello] = ecrRepositoryAndPolicy("hello");
            const [, otherPolicy] = ecrRepositoryAndPolicy("other");
            assert.deepEqual(stackViolations("ecr-lifecycle-policy", [hello, otherPolicy]), [
                'ECR repository "hello" has no aws.ecr.LifecyclePolicy whose repository is "hello"; add one that expires old images.',
            ]);
        });

        it("does not fail while a lifecycle policy's repository or the repository's name is unknown", () => {
            const [hello] = ecrRepositoryAndPolicy("hello");
            const unknownPolicy = resource(ECR_TYPES.lifecyclePolicy, "p", { repository: UNKNOWN_VALUE });
            assert.deepEqual(stackViolations("ecr-lifecycle-policy", [hello, unknownPolicy]), []);
            const unnamed = resource(ECR_TYPES.repository, "r", { name: UNKNOWN_VALUE });
            assert.deepEqual(stackViolations("ecr-lifecycle-policy", [unnamed]), []);
        });
    });
});
