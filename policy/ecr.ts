// Rules for the ECR repositories images are pushed to.

import { fieldViolation, oneOf } from "./messages";
import { booleanOption } from "./options";
import { type PolicyResourceView, resourceRule, type Rule, stackRule } from "./rule";
import { known, someCandidate, UNKNOWN } from "./unknowns";

/** Pulumi type tokens of the ECR resources the rules read. */
export const ECR_TYPES = {
    repository: "aws:ecr/repository:Repository",
    lifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
} as const;

/** The props of an `aws.ecr.Repository` the rules read. */
interface RepositoryProps {
    name?: string;
    imageTagMutability?: string;
    imageScanningConfiguration?: { scanOnPush?: boolean };
}

const immutableTags = resourceRule({
    name: "ecr-immutable-tags",
    description: "ECR repositories have immutable tags, so a tag always names the image that was first pushed under it.",
    enforcementLevel: "mandatory",
    resourceTypes: [ECR_TYPES.repository],
    options: {
        allowImmutableWithExclusion: booleanOption(
            false,
            "Whether IMMUTABLE_WITH_EXCLUSION is accepted; its exclusion filters leave matching tags (e.g. latest*) overwritable.",
        ),
    },
    check: (resource, { allowImmutableWithExclusion }) => {
        const value = (resource.props as RepositoryProps).imageTagMutability;
        const allowed = allowImmutableWithExclusion ? ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"] : ["IMMUTABLE"];
        return value !== undefined && allowed.includes(value)
            ? []
            : [
                  fieldViolation(
                      `ECR repository ${JSON.stringify(resource.name)}`,
                      "imageTagMutability",
                      value,
                      `it must be ${oneOf(allowed)} (unset means MUTABLE)`,
                  ),
              ];
    },
});

const scanOnPush = resourceRule({
    name: "ecr-scan-on-push",
    description: "ECR repositories scan every image for known vulnerabilities when it is pushed.",
    enforcementLevel: "mandatory",
    resourceTypes: [ECR_TYPES.repository],
    check: (resource) => {
        const value = (resource.props as RepositoryProps).imageScanningConfiguration?.scanOnPush;
        return value === true
            ? []
            : [fieldViolation(`ECR repository ${JSON.stringify(resource.name)}`, "imageScanningConfiguration.scanOnPush", value, "it must be true")];
    },
});

const lifecyclePolicy = stackRule({
    name: "ecr-lifecycle-policy",
    description: "Every ECR repository has an aws.ecr.LifecyclePolicy (whose repository is the repository's name), so old images expire.",
    enforcementLevel: "advisory",
    check: (resources) => {
        const policies = resources.filter((resource) => resource.type === ECR_TYPES.lifecyclePolicy);
        return resources
            .filter((resource) => resource.type === ECR_TYPES.repository)
            .flatMap((repository: PolicyResourceView) => {
                const name = known(() => (repository.props as RepositoryProps).name);
                // A repository whose name is not known cannot be matched; preview cannot prove absence.
                if (name === UNKNOWN || name == null) {
                    return [];
                }
                const covered = someCandidate(policies, (policy) => policy.props.repository === name);
                return covered === false
                    ? [
                          {
                              resource: repository,
                              message: `ECR repository ${JSON.stringify(name)} has no aws.ecr.LifecyclePolicy whose repository is ${JSON.stringify(name)}; add one that expires old images.`,
                          },
                      ]
                    : [];
            });
    },
});

/** The ECR rules. */
export const ecrRules: readonly Rule[] = [immutableTags, scanOnPush, lifecyclePolicy];
