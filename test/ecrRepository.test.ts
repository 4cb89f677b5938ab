import * as assert from "assert";
import { buildLifecyclePolicy, buildRepositoryArgs, EcrRepository } from "../components/ecrRepository";
import { ecrDefaults, resolveEcrSettings } from "../components/ecrSettings";
import { Problems } from "../components/validation";
import { evaluate, toRuntimeConfig } from "../scripts/lib/evaluate";
import { resource } from "./support/fixtures";

describe("EcrRepository", () => {
    it("defaults to immutable tags, scan on push and AES256 encryption", () => {
        const args = buildRepositoryArgs({ ...ecrDefaults, repositoryName: "go-services/dev/hello" });
        assert.strictEqual(args.imageTagMutability, "IMMUTABLE");
        assert.deepStrictEqual(args.imageScanningConfiguration, { scanOnPush: true });
        assert.deepStrictEqual(args.encryptionConfigurations, [{ encryptionType: "AES256" }]);
        assert.strictEqual(args.forceDelete, false);
    });

    it("encrypts with a KMS key when one is given", () => {
        const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert.deepStrictEqual(buildRepositoryArgs({ ...ecrDefaults, kmsKeyArn, repositoryName: "r" }).encryptionConfigurations, [
            { encryptionType: "KMS", kmsKey: kmsKeyArn },
        ]);
    });

    it("expires untagged images, and keeps the last N release tags apart from the last M version tags", () => {
        const policy = buildLifecyclePolicy({ keepVersions: 7, keepReleases: 40, untaggedExpiryDays: 2 });
        assert.deepStrictEqual(
            policy.rules.map((rule) => [
                rule.rulePriority,
                rule.selection.tagStatus,
                rule.selection.tagPatternList,
                rule.selection.countType,
                rule.selection.countNumber,
                rule.action.type,
            ]),
            [
                [1, "untagged", undefined, "sinceImagePushed", 2, "expire"],
                // Ahead of the rule for every tag: ECR lets no lower-priority rule expire an image this one selects.
                [2, "tagged", ["v*"], "imageCountMoreThan", 40, "expire"],
                [3, "tagged", ["*"], "imageCountMoreThan", 7, "expire"],
            ],
        );
        assert.strictEqual(ecrDefaults.keepReleases, 100);
    });

    it("checks its settings with the path they came from", () => {
        const problems = new Problems();
        assert.strictEqual(
            resolveEcrSettings({ keepVersions: 0, keepReleases: 1001, tagMutability: "mutable", kmsKeyArn: "key" }, "go-services:registry.ecr", problems),
            undefined,
        );
        assert.throws(
            () => problems.throwIfAny("x"),
            (error: Error) =>
                [
                    "go-services:registry.ecr.keepVersions",
                    "go-services:registry.ecr.keepReleases",
                    "go-services:registry.ecr.tagMutability",
                    "go-services:registry.ecr.kmsKeyArn",
                ].every((key) => error.message.includes(key)),
        );
    });

    it("registers the repository and a lifecycle policy attached to it, as its children", async () => {
        const evaluation = await evaluate({
            stack: "dev",
            config: toRuntimeConfig({ "aws:region": "eu-west-1" }),
            program: () => {
                const repository = new EcrRepository("hello", { ...ecrDefaults, keepVersions: 12, repositoryName: "go-services/dev/hello" });
                return { url: repository.repositoryUrl, urn: repository.lifecyclePolicy.urn };
            },
        });
        const repository = resource(evaluation, "aws:ecr/repository:Repository", "hello");
        assert.strictEqual(repository.inputs.imageTagMutability, "IMMUTABLE");
        const policy = resource(evaluation, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "hello");
        assert.strictEqual(policy.inputs.repository, "go-services/dev/hello");
        const document = JSON.parse(String(policy.inputs.policy)) as ReturnType<typeof buildLifecyclePolicy>;
        assert.strictEqual(document.rules[2]?.selection.countNumber, 12);
        assert.match(String(evaluation.outputs.urn), /go-services:index:EcrRepository\$aws:ecr\/lifecyclePolicy:LifecyclePolicy::hello$/);
        assert.strictEqual(evaluation.outputs.url, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello");
    });
});
