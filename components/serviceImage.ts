/**
 * A service's container image: built from the golden Dockerfile, tagged with a version,
 * pushed, and handed downstream by digest.
 */
// The ECR module alone: @pulumi/aws's index costs about 300 ms of CPU at every program start, ecr about 5.
import * as ecr from "@pulumi/aws/ecr";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { servicesRoot } from "./serviceSettings";

/** Base images for the Dockerfile's GO_IMAGE and RUNTIME_IMAGE arguments, e.g. from a company mirror. */
export interface BaseImages {
    /** Builder image with the Go toolchain. Default: the Dockerfile's (official golang image). */
    go?: string;
    /** Runtime image. Default: the Dockerfile's (distroless static nonroot). */
    runtime?: string;
}

/** Where an image goes after it is built. */
export type ImageDestination =
    | {
          /** Push to an ECR repository. */
          kind: "ecr";
          /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
          repositoryUrl: pulumi.Input<string>;
          /** The AWS account id of the registry, to fetch push credentials for. */
          registryId: pulumi.Input<string>;
      }
    | {
          /** Push to any OCI registry. */
          kind: "oci";
          /** `<registry host>[:<port>]/<path>/<name>`, e.g. ghcr.io/acme/hello or localhost:5001/hello. */
          repositoryUrl: string;
          /** Push credentials; without them the Docker engine's own login is used (or none, for an open registry). */
          credentials?: { username: string; password: pulumi.Input<string> };
      }
    | {
          /** Build only; the image stays in the local Docker engine under `localName`. */
          kind: "local";
          /** Image repository name in the local engine, e.g. localhost/go-services/hello. */
          localName: string;
      };

/** Arguments of {@link ServiceImage}. */
export interface ServiceImageArgs {
    /** The service's directory name under `services/`; the Dockerfile builds ./cmd/<dir>. */
    serviceDirectory: string;
    /** Dockerfile path relative to the project directory. */
    dockerfile: string;
    /** Version tag (semver or git-<sha>); also baked into the binary as its version. */
    tag: string;
    /** Commit the image is built from; baked into the binary and the OCI revision label. */
    commit: string;
    /** Target platform, e.g. linux/amd64. */
    platform: string;
    /** Build during `pulumi preview` too, so a broken Dockerfile fails the preview. */
    buildOnPreview: boolean;
    /** Where the image goes. */
    destination: ImageDestination;
    /** Base image overrides. */
    baseImages?: BaseImages;
    /** Repository URL for the org.opencontainers.image.source label. */
    sourceUrl?: string;
    /**
     * Images earlier builds pushed (`repository:tag`) whose layers this build may reuse: BuildKit
     * reads their inline cache metadata and skips every step whose inputs are unchanged, so a fresh
     * CI runner does not rebuild an unchanged service from zero (README, "Build cache"). Pushed
     * images always carry that metadata (BUILDKIT_INLINE_CACHE=1), so each can serve a later build.
     * Default: none. Ignored for local builds, which have the build machine's own cache.
     */
    cacheFrom?: pulumi.Input<string>[];
}

/** The Dockerfile build arguments for a service image. */
export function buildArgs(args: Pick<ServiceImageArgs, "serviceDirectory" | "tag" | "commit" | "baseImages" | "sourceUrl">): Record<string, string> {
    return {
        SERVICE: args.serviceDirectory,
        VERSION: args.tag,
        COMMIT: args.commit,
        ...(args.baseImages?.go ? { GO_IMAGE: args.baseImages.go } : {}),
        ...(args.baseImages?.runtime ? { RUNTIME_IMAGE: args.baseImages.runtime } : {}),
        ...(args.sourceUrl ? { SOURCE_URL: args.sourceUrl } : {}),
    };
}

/** A built (and, unless local, pushed) image of one service. */
export class ServiceImage extends pulumi.ComponentResource {
    /** The underlying docker.Image. */
    public readonly image: docker.Image;
    /** `repository:tag`: the human name of the image. */
    public readonly taggedName: pulumi.Output<string>;
    /**
     * What a workload should run. Pushed images: `repository@sha256:...`, unique per build,
     * so a rebuilt image always rolls out and a tag can never be re-pointed underneath a
     * running Deployment. Local images: the tag, since only a registry assigns a digest.
     */
    public readonly imageRef: pulumi.Output<string>;

    constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("go-services:index:ServiceImage", name, {}, opts);
        const destination = args.destination;
        const repository = destination.kind === "local" ? destination.localName : destination.repositoryUrl;
        const imageName = pulumi.interpolate`${repository}:${args.tag}`;
        const pushed = destination.kind !== "local";
        const cacheFrom = pushed ? (args.cacheFrom ?? []) : [];
        const build: docker.types.input.DockerBuild = {
            context: servicesRoot,
            dockerfile: args.dockerfile,
            platform: args.platform,
            builderVersion: "BuilderBuildKit",
            // Inline cache metadata in every pushed image: a later build can reuse its layers.
            args: { ...buildArgs(args), ...(pushed ? { BUILDKIT_INLINE_CACHE: "1" } : {}) },
            ...(cacheFrom.length > 0 ? { cacheFrom: { images: cacheFrom } } : {}),
        };
        if (destination.kind === "ecr") {
            const credentials = ecr.getAuthorizationTokenOutput({ registryId: destination.registryId }, { parent: this });
            this.image = new docker.Image(
                name,
                {
                    imageName,
                    build,
                    buildOnPreview: args.buildOnPreview,
                    registry: {
                        server: destination.repositoryUrl,
                        username: credentials.userName,
                        password: pulumi.secret(credentials.password),
                    },
                },
                { parent: this },
            );
            this.imageRef = this.image.repoDigest;
        } else if (destination.kind === "oci") {
            const credentials = destination.credentials;
            // The password goes in as a Pulumi secret, so it is encrypted in the state and never printed.
            const registry = credentials && {
                server: destination.repositoryUrl.split("/")[0] ?? destination.repositoryUrl,
                username: credentials.username,
                password: pulumi.secret(credentials.password),
            };
            this.image = new docker.Image(name, { imageName, build, buildOnPreview: args.buildOnPreview, ...(registry ? { registry } : {}) }, { parent: this });
            this.imageRef = this.image.repoDigest;
        } else {
            this.image = new docker.Image(name, { imageName, build, buildOnPreview: args.buildOnPreview, skipPush: true }, { parent: this });
            this.imageRef = this.image.imageName;
        }
        this.taggedName = this.image.imageName;
        this.registerOutputs({ imageRef: this.imageRef, taggedName: this.taggedName });
    }
}
