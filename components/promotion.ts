/**
 * Build once, promote the digest: a stack that sets `promotion.fromStack` builds nothing for
 * its services and deploys, for each one without an `image` of its own, exactly the image the
 * source stack exports as `services.<name>.image`, labelled with the version it exports as
 * `services.<name>.version`. The source is read through a Pulumi StackReference, before any
 * other resource is registered, so a missing or malformed source fails the update before
 * anything changes.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkDigestReference, checkImageTag, isPlainObject, joinPath, matching, parseInto, Problems } from "./validation";

/** Where a stack's images come from when it does not build them. */
export interface Promotion {
    /** The fully qualified source stack: `<org>/<project>/<stack>` (`organization/...` on a self-managed backend). */
    readonly fromStack: string;
}

/** What the source stack exports for one service and the promoted stack deploys. */
export interface PromotedImage {
    /** `<repository>@sha256:<64 hex>`: the image the source stack runs. */
    readonly image: string;
    /** The version that image was built as (its /version answer): the app.kubernetes.io/version label. */
    readonly version: string;
}

/** The logical name of the StackReference that reads the source stack. */
export const promotionSourceName = "promotion-source";

/** Where a stack's images come from when it does not build them (`go-services:promotion`). */
export const promotionSchema = z.strictObject({
    fromStack: matching(
        /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/,
        "must be a fully qualified stack name <org>/<project>/<stack> (letters, digits, '_', '.', '-'), e.g. acme/go-services/dev, or organization/go-services/dev on a self-managed backend",
    ).meta({
        description:
            "The stack whose images this one deploys, fully qualified: `<org>/<project>/<stack>` (`organization/...` on a self-managed backend). Nothing is built here; see [Releases: build once, promote the digest](#releases-build-once-promote-the-digest).",
    }),
});

/** Checks `promotion` settings (`go-services:promotion`): a valid source stack other than this one. */
export function resolvePromotion(raw: unknown, path: string, context: { project: string; stack: string }, problems: Problems): Promotion | undefined {
    const promotion = parseInto(promotionSchema, raw, path, problems);
    const [, project, stack] = promotion?.fromStack.split("/") ?? [];
    if (promotion && project === context.project && stack === context.stack) {
        problems.add(joinPath(path, "fromStack"), promotion.fromStack, "must name another stack: a stack cannot promote its own images");
        return undefined;
    }
    return promotion;
}

/** What a StackReference reports for one output: a plain value, a secret value, or neither when missing. */
export interface OutputDetails {
    readonly value?: unknown;
    readonly secretValue?: unknown;
}

/**
 * Checks the source stack's `services` output and picks, for each service in `services`, the
 * image and version it exports. Throws an InvalidInputError naming every service the source
 * lacks or exports badly.
 */
export function checkPromotedImages(
    fromStack: string,
    output: OutputDetails,
    services: readonly string[],
    subject: string,
): ReadonlyMap<string, PromotedImage> {
    const problems = new Problems();
    const promoted = new Map<string, PromotedImage>();
    const exported = output.value;
    if (output.secretValue !== undefined) {
        problems.add(`services of ${fromStack}`, "(secret)", "must be a plain stack output: promotion reads image digests, which are not secret");
    } else if (!isPlainObject(exported)) {
        problems.add(
            `services of ${fromStack}`,
            exported,
            "must be the map of service name to {image, version} a go-services stack exports; is the stack deployed, and is the name right?",
        );
    } else {
        for (const name of services) {
            const at = `services.${name} of ${fromStack}`;
            const entry = exported[name];
            if (!isPlainObject(entry)) {
                problems.add(
                    at,
                    entry,
                    `must be exported by the source stack: deploy ${name} to ${fromStack} first, or give this stack's go-services:services.${name}.image explicitly`,
                );
                continue;
            }
            const before = problems.count;
            checkDigestReference(entry.image, `${at} image`, problems);
            if (entry.version === undefined) {
                problems.add(
                    `${at} version`,
                    undefined,
                    `must be exported with the image (the version it was built as); update ${fromStack} with this version of go-services first`,
                );
            } else {
                checkImageTag(entry.version, `${at} version`, problems);
            }
            if (problems.count === before) {
                promoted.set(name, { image: entry.image as string, version: entry.version as string });
            }
        }
    }
    problems.throwIfAny(subject);
    return promoted;
}

/**
 * Reads the source stack through a StackReference and returns, for each service in
 * `services`, what to deploy. Awaited before any other resource is registered: a failure
 * here leaves every other resource of the stack untouched.
 */
export async function readPromotedImages(promotion: Promotion, services: readonly string[], subject: string): Promise<ReadonlyMap<string, PromotedImage>> {
    const source = new pulumi.StackReference(promotionSourceName, { name: promotion.fromStack });
    const output = await source.getOutputDetails("services");
    return checkPromotedImages(promotion.fromStack, output, services, subject);
}
