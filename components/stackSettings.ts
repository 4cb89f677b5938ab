/**
 * What every service of a stack shares: the version being shipped, the registry, the
 * build platform. A stack file gives these as top-level keys (`go-services:imageTag`...);
 * TypeScript callers pass one StackSettings object to every GoService.
 */
import { z } from "zod";
import { ecrSettingsSchema } from "./ecrSettings";
import { monitoringSchema } from "./monitoringSettings";
import { commitFromTag, crossField, flag, httpsUrl, imageTag, listOf, matching, oneOf, parseInto, Problems, registryUrl, secretValue } from "./validation";

/** Platforms an image can be built for. */
export const platforms = ["linux/amd64", "linux/arm64"] as const;

/** A target platform. */
export type Platform = (typeof platforms)[number];

/** The node labels (kubernetes.io/os, kubernetes.io/arch) of each platform. */
export const platformNodes: Readonly<Record<Platform, { os: string; arch: string }>> = {
    "linux/amd64": { os: "linux", arch: "amd64" },
    "linux/arm64": { os: "linux", arch: "arm64" },
};

const ecrRegistryUrl = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** Where images are stored, by `kind`. */
export const registrySchema = z
    .discriminatedUnion("kind", [
        z
            .strictObject({
                kind: z.literal("managed").meta({ description: "Create an ECR repository per service (the default)." }),
                repositoryPrefix: matching(
                    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
                    "must be an ECR repository path: lower-case letters and digits, '.', '_' or '-' inside a component, '/' between components, at most 200 characters",
                    200,
                )
                    .optional()
                    .meta({ description: "Repository names are `<repositoryPrefix>/<service>`. Default `<project>/<stack>`." }),
                ecr: ecrSettingsSchema.prefault({}).meta({ description: "Repository settings." }),
            })
            .meta({ title: "managed" }),
        z
            .strictObject({
                kind: z.literal("existing").meta({ description: "Push to ECR repositories that exist already: `<url>/<service>`." }),
                url: matching(ecrRegistryUrl, "must be an ECR registry URL: <12-digit account>.dkr.ecr.<region>.amazonaws.com[/<prefix>]").meta({
                    description: "`<account>.dkr.ecr.<region>.amazonaws.com[/<prefix>]`.",
                }),
            })
            .transform((registry) => ({ ...registry, registryId: ecrRegistryUrl.exec(registry.url)?.[1] ?? "" }))
            .meta({ title: "existing" }),
        z
            .strictObject({
                kind: z.literal("oci").meta({ description: "Push to any OCI registry (ghcr.io, Harbor, a kind cluster's local registry): `<url>/<service>`." }),
                url: registryUrl.meta({ description: "`<host>[:<port>][/<path>]`, no scheme: `ghcr.io/acme`, `harbor.example.com/team`, `localhost:5001`." }),
                username: matching(/^\S+$/, "must be the user name to push as, without spaces")
                    .optional()
                    .meta({ description: "User to push as. Default: none (the Docker engine's own login, or an open registry). Requires `passwordSecret`." }),
                passwordSecret: secretValue("must be the secret holding the password or access token").optional().meta({
                    description:
                        "Its password or token: in a stack file, the name of a secret config key; in TypeScript, a Pulumi secret. Requires `username`.",
                }),
            })
            .check(
                crossField(["username", "passwordSecret"], (registry, report) => {
                    if (registry.username !== undefined && registry.passwordSecret === undefined) {
                        report("passwordSecret", undefined, "is required with username: the secret holding the password or access token");
                    }
                    if (registry.passwordSecret !== undefined && registry.username === undefined) {
                        report("username", undefined, "is required with passwordSecret: the user the password belongs to");
                    }
                }),
            )
            .transform(({ kind, url, username, passwordSecret }) =>
                username === undefined || passwordSecret === undefined ? { kind, url } : { kind, url, credentials: { username, password: passwordSecret } },
            )
            .meta({ title: "oci" }),
        z
            .strictObject({ kind: z.literal("local").meta({ description: "Build only, never push: no cloud account needed (the local stack)." }) })
            .meta({ title: "local" }),
    ])
    .meta({ allowed: "must be a map whose kind is one of: managed, existing, oci, local" })
    .prefault({ kind: "managed" });

/** Where images go, as a stack file or a TypeScript caller gives it. */
export type RegistryChoice = z.input<typeof registrySchema>;

/** Where images go, after checking; `credentials.password` is whatever the caller gave as the secret. */
export type ResolvedRegistry = z.output<typeof registrySchema>;

/** Settings shared by every service of a stack: the top-level keys of a stack file. */
export const stackSettingsSchema = z.object({
    imageTag: imageTag.optional().meta({
        description:
            "Image tag of every service that sets none: semver (v1.4.2) or git-<sha>; never `latest`. Required when a service builds its image, or is given one (`image`) without its own `imageTag`.",
    }),
    commit: matching(/^[0-9a-f]{7,40}$/, "must be a git commit id: 7 to 40 lower-case hex digits")
        .optional()
        .meta({ description: 'Commit the images are built from. Default: the sha of a git-<sha> tag, else "unknown".' }),
    platform: oneOf(platforms).default("linux/amd64").meta({ description: "Image platform; also the pods' nodeSelector." }),
    buildOnPreview: flag().default(false).meta({ description: "Build images during `pulumi preview` too, so a broken build fails the preview." }),
    buildCacheFrom: listOf(imageTag, "must be a list of image tags").meta({
        description:
            "Image tags of earlier builds in this stack's registry whose layers a build may reuse (BuildKit inline cache), e.g. the tag deployed last: CI passes `git-<previous commit>`. Each service also tries its own tag. Not used by the `local` registry.",
    }),
    registry: registrySchema.meta({ description: "Where images go, by `kind`." }),
    baseImages: z
        .strictObject({
            go: matching(
                /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/,
                "must be an image reference, e.g. registry.example.com/mirror/golang:1.26.9-bookworm@sha256:<64 hex digits>",
            )
                .optional()
                .meta({ description: "The Go build image (GO_IMAGE)." }),
            runtime: matching(
                /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/,
                "must be an image reference, e.g. registry.example.com/mirror/golang:1.26.9-bookworm@sha256:<64 hex digits>",
            )
                .optional()
                .meta({ description: "The runtime image (RUNTIME_IMAGE)." }),
        })
        .prefault({})
        .meta({
            description:
                "Base images for the Dockerfile, e.g. a company mirror's copies, best given as `name:version@sha256:<digest>`. Default: the Dockerfile's official images, pinned by version tag and digest ([Base images](#base-images)).",
        }),
    sourceUrl: httpsUrl("must be an https:// URL of the source repository")
        .optional()
        .meta({ description: "Source repository URL for the images' org.opencontainers.image.source label." }),
    monitoring: monitoringSchema.prefault({}).meta({
        description: "How Prometheus finds the services, who may scrape them, their alert thresholds and dashboards: [Monitoring](#monitoring).",
    }),
});

/** Settings shared by every service of a stack, as given. */
export type StackSettings = z.input<typeof stackSettingsSchema>;

/** The managed registry's repository prefix once the stack's default is filled in. */
type WithPrefix<R> = R extends { kind: "managed" } ? R & { repositoryPrefix: string } : R;

/** Stack settings after checking and defaults. */
export type ResolvedStackSettings = Omit<z.output<typeof stackSettingsSchema>, "registry"> & { registry: WithPrefix<ResolvedRegistry> };

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
    const settings = parseInto(stackSettingsSchema.strict(), raw, path, problems);
    if (settings === undefined) {
        return undefined;
    }
    const registry = settings.registry;
    return {
        ...settings,
        registry:
            registry.kind === "managed"
                ? { ...registry, repositoryPrefix: registry.repositoryPrefix ?? `${context.project}/${context.stack}`.toLowerCase() }
                : registry,
    };
}
