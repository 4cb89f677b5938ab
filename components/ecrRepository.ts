/**
 * An ECR repository that holds one service's images: immutable tags, scanned on push,
 * encrypted, with a lifecycle policy that keeps storage bounded.
 */
// The ECR module alone: @pulumi/aws's index costs about 300 ms of CPU at every program start, ecr about 5.
import * as ecr from "@pulumi/aws/ecr";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedEcrSettings } from "./ecrSettings";

/** Arguments of {@link EcrRepository}. */
export interface EcrRepositoryArgs extends ResolvedEcrSettings {
    /** The repository name, e.g. "go-services/prod/hello". */
    repositoryName: string;
    /** Tags applied to the repository. */
    tags?: Record<string, string>;
}

/** One rule of an ECR lifecycle policy, as the ECR API documents it. */
export interface LifecycleRule {
    rulePriority: number;
    description: string;
    selection: {
        tagStatus: "tagged" | "untagged" | "any";
        tagPatternList?: string[];
        countType: "imageCountMoreThan" | "sinceImagePushed";
        countUnit?: "days";
        countNumber: number;
    };
    action: { type: "expire" };
}

/**
 * The lifecycle policy document: untagged images expire after `untaggedExpiryDays`; of the
 * release images (a tag starting with `v`) the `keepReleases` most recent are kept, and of the
 * other tagged images the `keepVersions` most recent. ECR never lets a rule expire an image a
 * higher-priority rule selects, so a release image another stack runs (build once, promote)
 * is not expired by the builds that follow it.
 */
export function buildLifecyclePolicy({
    keepVersions,
    keepReleases,
    untaggedExpiryDays,
}: Pick<ResolvedEcrSettings, "keepVersions" | "keepReleases" | "untaggedExpiryDays">): {
    rules: LifecycleRule[];
} {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images ${untaggedExpiryDays} day(s) after push`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the ${keepReleases} most recent release tags (v*)`,
                selection: { tagStatus: "tagged", tagPatternList: ["v*"], countType: "imageCountMoreThan", countNumber: keepReleases },
                action: { type: "expire" },
            },
            {
                rulePriority: 3,
                description: `Keep the ${keepVersions} most recent version tags`,
                selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepVersions },
                action: { type: "expire" },
            },
        ],
    };
}

/** The repository's `ecr.Repository` arguments: the hardening lives here. */
export function buildRepositoryArgs(args: EcrRepositoryArgs): ecr.RepositoryArgs {
    return {
        name: args.repositoryName,
        imageTagMutability: args.tagMutability,
        imageScanningConfiguration: { scanOnPush: args.scanOnPush },
        encryptionConfigurations: [args.kmsKeyArn ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn } : { encryptionType: "AES256" }],
        forceDelete: args.forceDelete,
        tags: args.tags,
    };
}

/** An ECR repository and its lifecycle policy. */
export class EcrRepository extends pulumi.ComponentResource {
    /** The underlying repository. */
    public readonly repository: ecr.Repository;
    /** The lifecycle policy attached to it. */
    public readonly lifecyclePolicy: ecr.LifecyclePolicy;
    /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
    public readonly repositoryUrl: pulumi.Output<string>;
    /** The AWS account id holding the registry. */
    public readonly registryId: pulumi.Output<string>;

    constructor(name: string, args: EcrRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("go-services:index:EcrRepository", name, {}, opts);
        this.repository = new ecr.Repository(name, buildRepositoryArgs(args), { parent: this });
        this.lifecyclePolicy = new ecr.LifecyclePolicy(
            name,
            { repository: this.repository.name, policy: JSON.stringify(buildLifecyclePolicy(args)) },
            { parent: this },
        );
        this.repositoryUrl = this.repository.repositoryUrl;
        this.registryId = this.repository.registryId;
        this.registerOutputs({ repositoryUrl: this.repositoryUrl, registryId: this.registryId });
    }
}
