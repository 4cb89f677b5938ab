/**
 * What every service of a stack shares: the version being shipped, the registry, the
 * build platform. A stack file gives these as top-level keys (`go-services:imageTag`...);
 * TypeScript callers pass one StackSettings object to every GoService.
 */
import * as pulumi from "@pulumi/pulumi";
import { EcrSettings, ResolvedEcrSettings, resolveEcrSettings } from "./ecrSettings";
import { MonitoringSettings, ResolvedMonitoring, resolveMonitoring } from "./monitoringSettings";
import {
    checkBoolean,
    checkCommit,
    checkImageTag,
    checkList,
    checkObject,
    checkOneOf,
    checkRegistryUrl,
    commitFromTag,
    hiddenSecret,
    isPlainObject,
    joinPath,
    Problems,
} from "./validation";

/** Platforms an image can be built for. */
export const platforms = ["linux/amd64", "linux/arm64"] as const;

/** A target platform. */
export type Platform = (typeof platforms)[number];

/** The node labels (kubernetes.io/os, kubernetes.io/arch) of each platform. */
export const platformNodes: Readonly<Record<Platform, { os: string; arch: string }>> = {
    "linux/amd64": { os: "linux", arch: "amd64" },
    "linux/arm64": { os: "linux", arch: "arm64" },
};

/**
 * Where images are stored. `TSecret` is how a secret is given: a Pulumi secret in TypeScript,
 * the name of a secret config key in a stack file.
 */
export type RegistryChoice<TSecret = pulumi.Input<string>> =
    | {
          /** Create an ECR repository per service (the default). */
          kind: "managed";
          /** Repository names are `<repositoryPrefix>/<service>`. Default `<project>/<stack>`. */
          repositoryPrefix?: string;
          /** Repository settings. */
          ecr?: EcrSettings;
      }
    | {
          /** Push to ECR repositories that exist already: `<url>/<service>`. */
          kind: "existing";
          /** `<account>.dkr.ecr.<region>.amazonaws.com[/<prefix>]`. */
          url: string;
      }
    | {
          /** Push to any OCI registry (ghcr.io, Harbor, a kind cluster's local registry): `<url>/<service>`. */
          kind: "oci";
          /** `<host>[:<port>][/<path>]`, no scheme: `ghcr.io/acme`, `harbor.example.com/team`, `localhost:5001`. */
          url: string;
          /** User to push as. Default: none (the Docker engine's own login, or an open registry). Requires `passwordSecret`. */
          username?: string;
          /** Its password or token: a Pulumi secret (in a stack file, the name of a secret config key). Requires `username`. */
          passwordSecret?: TSecret;
      }
    | {
          /** Build only, never push: no cloud account needed (the local stack). */
          kind: "local";
      };

/** Settings shared by every service of a stack; `TSecret` as in {@link RegistryChoice}. */
export interface StackSettings<TSecret = pulumi.Input<string>> {
    /**
     * Image tag of every service that sets none: semver (v1.4.2) or git-<sha>; never `latest`.
     * Required when a service builds its image, or is given one (`image`) without its own `imageTag`.
     */
    imageTag?: string;
    /** Commit the images are built from. Default: the sha of a git-<sha> tag, else "unknown". */
    commit?: string;
    /** Image platform; also the pods' nodeSelector. linux/amd64 or linux/arm64, default linux/amd64. */
    platform?: Platform;
    /** Build images during `pulumi preview` too, so a broken build fails the preview. Default false. */
    buildOnPreview?: boolean;
    /**
     * Image tags of earlier builds in this stack's registry whose layers a build may reuse (BuildKit
     * inline cache), e.g. the tag deployed last: CI passes `git-<previous commit>`, so a fresh runner
     * does not rebuild an unchanged service from zero. Each service also tries its own tag. Default:
     * none. Not used by the `local` registry, which builds with the machine's own cache.
     */
    buildCacheFrom?: string[];
    /** Where images go. Default `{ kind: managed }`. */
    registry?: RegistryChoice<TSecret>;
    /**
     * Base images for the Dockerfile (GO_IMAGE, RUNTIME_IMAGE), e.g. a company mirror's copies, best
     * given as `name:version@sha256:<digest>`. Default: the Dockerfile's official images, pinned by
     * version tag and digest (README, "Base images").
     */
    baseImages?: { go?: string; runtime?: string };
    /** Source repository URL for the images' org.opencontainers.image.source label. */
    sourceUrl?: string;
    /**
     * How Prometheus finds the services, who may scrape them, their alert thresholds and
     * dashboards. Default: scrape annotations, scraped from the `monitoring` namespace
     * (README, "Monitoring").
     */
    monitoring?: MonitoringSettings;
}

/** Where images go, after checking; `credentials.password` is whatever the caller gave as the secret. */
export type ResolvedRegistry =
    | { kind: "managed"; repositoryPrefix: string; ecr: ResolvedEcrSettings }
    | { kind: "existing"; url: string; registryId: string }
    | { kind: "oci"; url: string; credentials?: { username: string; password: unknown } }
    | { kind: "local" };

/** Stack settings after checking and defaults. */
export interface ResolvedStackSettings {
    imageTag?: string;
    commit?: string;
    platform: Platform;
    buildOnPreview: boolean;
    buildCacheFrom: string[];
    registry: ResolvedRegistry;
    baseImages: { go?: string; runtime?: string };
    sourceUrl?: string;
    monitoring: ResolvedMonitoring;
}

/** The keys of StackSettings, which are also top-level stack config keys. */
export const stackSettingKeys = [
    "imageTag",
    "commit",
    "platform",
    "buildOnPreview",
    "buildCacheFrom",
    "registry",
    "baseImages",
    "sourceUrl",
    "monitoring",
] as const;

const ecrRegistryUrl = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const repositoryPath = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const imageReference = /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/;

/** The commit of a release: the configured one, or the sha of a git-<sha> tag. */
export function releaseCommit(settings: Pick<ResolvedStackSettings, "commit">, tag: string): string {
    return settings.commit ?? commitFromTag(tag) ?? "unknown";
}

/**
 * Checks stack settings and applies the defaults. `path` is where they live: "go-services:"
 * for a stack file, `GoService "hello" stack` for a TypeScript caller.
 */
export function resolveStackSettings(
    raw: unknown,
    path: string,
    context: { project: string; stack: string },
    problems: Problems,
): ResolvedStackSettings | undefined {
    const input = checkObject(raw, path, stackSettingKeys, problems);
    if (!input) {
        return undefined;
    }
    const before = problems.count;
    const at = (key: string) => joinPath(path, key);
    if (input.imageTag !== undefined) {
        checkImageTag(input.imageTag, at("imageTag"), problems);
    }
    if (input.commit !== undefined) {
        checkCommit(input.commit, at("commit"), problems);
    }
    const platform = input.platform ?? "linux/amd64";
    checkOneOf(platform, at("platform"), platforms, problems);
    const buildOnPreview = input.buildOnPreview === undefined ? false : checkBoolean(input.buildOnPreview, at("buildOnPreview"), problems);
    const buildCacheFrom = checkList(
        input.buildCacheFrom,
        at("buildCacheFrom"),
        "image tags",
        (tag, path) => (checkImageTag(tag, path, problems) ? tag : undefined),
        problems,
    );
    const registry = resolveRegistry(input.registry ?? { kind: "managed" }, at("registry"), context, problems);
    const baseImages = checkObject(input.baseImages ?? {}, at("baseImages"), ["go", "runtime"], problems) ?? {};
    for (const key of ["go", "runtime"] as const) {
        const image = baseImages[key];
        if (image !== undefined && (typeof image !== "string" || !imageReference.test(image))) {
            problems.add(
                joinPath(at("baseImages"), key),
                image,
                "must be an image reference, e.g. registry.example.com/mirror/golang:1.26.9-bookworm@sha256:<64 hex digits>",
            );
        }
    }
    if (input.sourceUrl !== undefined && (typeof input.sourceUrl !== "string" || !/^https:\/\/\S+$/.test(input.sourceUrl))) {
        problems.add(at("sourceUrl"), input.sourceUrl, "must be an https:// URL of the source repository");
    }
    const monitoring = resolveMonitoring(input.monitoring, at("monitoring"), problems);
    if (problems.count > before || !registry || buildOnPreview === undefined || !buildCacheFrom || !monitoring) {
        return undefined;
    }
    return {
        imageTag: input.imageTag as string | undefined,
        commit: input.commit as string | undefined,
        platform: platform as Platform,
        buildOnPreview,
        buildCacheFrom,
        registry,
        baseImages,
        sourceUrl: input.sourceUrl as string | undefined,
        monitoring,
    };
}

function resolveRegistry(raw: unknown, path: string, context: { project: string; stack: string }, problems: Problems): ResolvedRegistry | undefined {
    const kind = isPlainObject(raw) ? raw.kind : undefined;
    if (!checkOneOf(kind, joinPath(path, "kind"), ["managed", "existing", "oci", "local"] as const, problems)) {
        return undefined;
    }
    switch (kind) {
        case "local":
            return checkObject(raw, path, ["kind"], problems) ? { kind } : undefined;
        case "existing": {
            const input = checkObject(raw, path, ["kind", "url"], problems);
            const url = input?.url;
            const registryId = typeof url === "string" ? ecrRegistryUrl.exec(url)?.[1] : undefined;
            if (typeof url !== "string" || registryId === undefined) {
                problems.add(joinPath(path, "url"), url, "must be an ECR registry URL: <12-digit account>.dkr.ecr.<region>.amazonaws.com[/<prefix>]");
                return undefined;
            }
            return { kind, url, registryId };
        }
        case "oci":
            return resolveOciRegistry(raw, path, problems);
        case "managed": {
            const input = checkObject(raw, path, ["kind", "repositoryPrefix", "ecr"], problems);
            if (!input) {
                return undefined;
            }
            const repositoryPrefix = input.repositoryPrefix ?? `${context.project}/${context.stack}`.toLowerCase();
            if (typeof repositoryPrefix !== "string" || !repositoryPath.test(repositoryPrefix) || repositoryPrefix.length > 200) {
                problems.add(
                    joinPath(path, "repositoryPrefix"),
                    repositoryPrefix,
                    "must be an ECR repository path: lower-case letters and digits, '.', '_' or '-' inside a component, '/' between components, at most 200 characters",
                );
                return undefined;
            }
            const ecr = resolveEcrSettings(input.ecr, joinPath(path, "ecr"), problems);
            return ecr ? { kind, repositoryPrefix, ecr } : undefined;
        }
    }
}

function resolveOciRegistry(raw: unknown, path: string, problems: Problems): ResolvedRegistry | undefined {
    const input = checkObject(raw, path, ["kind", "url", "username", "passwordSecret"], problems);
    if (!input) {
        return undefined;
    }
    const before = problems.count;
    checkRegistryUrl(input.url, joinPath(path, "url"), problems);
    const { username, passwordSecret } = input;
    if (username !== undefined && (typeof username !== "string" || !/^\S+$/.test(username))) {
        problems.add(joinPath(path, "username"), username, "must be the user name to push as, without spaces");
    }
    if (username !== undefined && passwordSecret === undefined) {
        problems.add(joinPath(path, "passwordSecret"), undefined, "is required with username: the secret holding the password or access token");
    }
    if (passwordSecret !== undefined && username === undefined) {
        problems.add(joinPath(path, "username"), undefined, "is required with passwordSecret: the user the password belongs to");
    }
    if (passwordSecret === null) {
        problems.add(joinPath(path, "passwordSecret"), hiddenSecret, "must be the secret holding the password or access token");
    }
    if (problems.count > before) {
        return undefined;
    }
    const url = input.url as string;
    return username === undefined ? { kind: "oci", url } : { kind: "oci", url, credentials: { username: username as string, password: passwordSecret } };
}
