/**
 * Settings of the ECR repositories GoService creates, checked the same way whether they
 * come from a stack file or from TypeScript.
 */
import { checkBoolean, checkInteger, checkObject, checkOneOf, joinPath, Problems } from "./validation";

/** Repository settings; every field has a safe default. */
export interface EcrSettings {
    /** Keep this many most recent version tags; older tagged images expire. 1-1000, default 30. */
    keepVersions?: number;
    /**
     * Keep this many most recent release images (a tag starting with `v`, as the release adds to
     * the digest it promotes), apart from `keepVersions`: a promoted image stays pullable however
     * many builds follow it. 1-1000, default 100.
     */
    keepReleases?: number;
    /** Days after which untagged images (overwritten layers, failed pushes) expire. 1-365, default 1. */
    untaggedExpiryDays?: number;
    /** KMS key ARN for encryption at rest. Default: AES256 with ECR-managed keys. */
    kmsKeyArn?: string;
    /** Scan images for vulnerabilities when pushed. Default true. */
    scanOnPush?: boolean;
    /** Tag mutability. Default IMMUTABLE: a tag always names the same image. */
    tagMutability?: "IMMUTABLE" | "MUTABLE";
    /** Delete the repository even when it still holds images (`pulumi destroy`). Default false. */
    forceDelete?: boolean;
}

/** ECR settings with every default applied. */
export type ResolvedEcrSettings = Required<Omit<EcrSettings, "kmsKeyArn">> & Pick<EcrSettings, "kmsKeyArn">;

/** The defaults. */
export const ecrDefaults: ResolvedEcrSettings = {
    keepVersions: 30,
    keepReleases: 100,
    untaggedExpiryDays: 1,
    scanOnPush: true,
    tagMutability: "IMMUTABLE",
    forceDelete: false,
};

const kmsKeyArn = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;

/** Checks ECR settings and applies the defaults. */
export function resolveEcrSettings(raw: unknown, path: string, problems: Problems): ResolvedEcrSettings | undefined {
    const input = checkObject(
        raw ?? {},
        path,
        ["keepVersions", "keepReleases", "untaggedExpiryDays", "kmsKeyArn", "scanOnPush", "tagMutability", "forceDelete"],
        problems,
    );
    if (!input) {
        return undefined;
    }
    const before = problems.count;
    const at = (key: string) => joinPath(path, key);
    const resolved: ResolvedEcrSettings = { ...ecrDefaults };
    if (input.keepVersions !== undefined && checkInteger(input.keepVersions, at("keepVersions"), 1, 1000, problems)) {
        resolved.keepVersions = input.keepVersions;
    }
    if (input.keepReleases !== undefined && checkInteger(input.keepReleases, at("keepReleases"), 1, 1000, problems)) {
        resolved.keepReleases = input.keepReleases;
    }
    if (input.untaggedExpiryDays !== undefined && checkInteger(input.untaggedExpiryDays, at("untaggedExpiryDays"), 1, 365, problems)) {
        resolved.untaggedExpiryDays = input.untaggedExpiryDays;
    }
    if (input.kmsKeyArn !== undefined) {
        if (typeof input.kmsKeyArn === "string" && kmsKeyArn.test(input.kmsKeyArn)) {
            resolved.kmsKeyArn = input.kmsKeyArn;
        } else {
            problems.add(at("kmsKeyArn"), input.kmsKeyArn, "must be a KMS key or alias ARN: arn:aws:kms:<region>:<account>:key/<id> or .../alias/<name>");
        }
    }
    for (const key of ["scanOnPush", "forceDelete"] as const) {
        if (input[key] !== undefined) {
            resolved[key] = checkBoolean(input[key], at(key), problems) ?? resolved[key];
        }
    }
    if (input.tagMutability !== undefined && checkOneOf(input.tagMutability, at("tagMutability"), ["IMMUTABLE", "MUTABLE"] as const, problems)) {
        resolved.tagMutability = input.tagMutability;
    }
    return problems.count > before ? undefined : resolved;
}
