/**
 * Settings of the ECR repositories GoService creates, checked the same way whether they
 * come from a stack file or from TypeScript.
 */
import { z } from "zod";
import { flag, integer, matching, oneOf, parseInto, Problems } from "./validation";

/** Repository settings (`registry.ecr`); every key has a safe default. */
export const ecrSettingsSchema = z.strictObject({
    keepVersions: integer(1, 1000).default(30).meta({ description: "Keep this many most recent version tags; older tagged images expire." }),
    keepReleases: integer(1, 1000).default(100).meta({
        description:
            "Keep this many most recent release images (a tag starting with `v`, as the release adds to the digest it promotes), apart from `keepVersions`: a promoted image stays pullable however many builds follow it.",
    }),
    untaggedExpiryDays: integer(1, 365).default(1).meta({ description: "Days after which untagged images (overwritten layers, failed pushes) expire." }),
    kmsKeyArn: matching(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
        "must be a KMS key or alias ARN: arn:aws:kms:<region>:<account>:key/<id> or .../alias/<name>",
    )
        .optional()
        .meta({ description: "KMS key ARN for encryption at rest. Default: AES256 with ECR-managed keys." }),
    scanOnPush: flag().default(true).meta({ description: "Scan images for vulnerabilities when pushed." }),
    tagMutability: oneOf(["IMMUTABLE", "MUTABLE"]).default("IMMUTABLE").meta({ description: "Tag mutability; IMMUTABLE: a tag always names the same image." }),
    forceDelete: flag().default(false).meta({ description: "Delete the repository even when it still holds images (`pulumi destroy`)." }),
});

/** Repository settings as a stack file or a TypeScript caller gives them. */
export type EcrSettings = z.input<typeof ecrSettingsSchema>;

/** ECR settings with every default applied. */
export type ResolvedEcrSettings = z.output<typeof ecrSettingsSchema>;

/** The defaults. */
export const ecrDefaults: ResolvedEcrSettings = ecrSettingsSchema.parse({});

/** Checks ECR settings and applies the defaults. */
export function resolveEcrSettings(raw: unknown, path: string, problems: Problems): ResolvedEcrSettings | undefined {
    return parseInto(ecrSettingsSchema, raw ?? {}, path, problems);
}
