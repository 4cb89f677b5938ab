// Build once, promote the digest: in a stack that promotes its images from another (prod from
// dev), every workload runs exactly the digest the source stack exports for its service. The
// source's digests reach the policy through its config (`sourceImages`), which CI writes from
// `pulumi stack output --stack <fromStack> services`: a policy cannot read other stacks, and the
// engine does not show a stack policy the StackReference the program reads them with.

import { SHA256_DIGEST, parseImageReference } from "./image";
import { checkContainers, podLabel } from "./kubernetes";
import { stringListOption, stringMapOption, stringOption } from "./options";
import { podRule, type ResourceRule } from "./rule";

/** The label that names a go-services workload's service (app.kubernetes.io/name on the pod). */
const SERVICE_LABEL = "app.kubernetes.io/name";

const IMAGE_BY_DIGEST = String.raw`^[^@:\s]+(:[0-9]+)?(/[^@:\s]+)*@sha256:[0-9a-f]{64}$`;

const imagePromoted = podRule({
    name: "image-promoted",
    description:
        "Opt-in (prod): every container image is pinned by digest alone (repository@sha256:<64 hex>, no tag), and in a stack promoted from `fromStack` it is the digest that stack exports for the workload's service (label app.kubernetes.io/name), or one listed in `allowedImages`.",
    enforcementLevel: "disabled",
    options: {
        fromStack: stringOption(
            "The stack the images are promoted from, <org>/<project>/<stack>; empty: only require digests.",
            String.raw`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`,
        ),
        sourceImages: stringMapOption(
            "Service name to the image fromStack exports for it (services.<name>.image): written by CI from `pulumi stack output --stack <fromStack> services`.",
            IMAGE_BY_DIGEST,
        ),
        allowedImages: stringListOption(
            [],
            "Further digests a workload may run, e.g. the previous release while rolling back; each an exception to review.",
            IMAGE_BY_DIGEST,
        ),
    },
    check: (pod, { fromStack, sourceImages, allowedImages }) => {
        const service = pod.metadata?.labels?.[SERVICE_LABEL];
        const sourceKnown = Object.keys(sourceImages).length > 0;
        return checkContainers(pod, "all", ({ container, label }) => {
            const image = container.image;
            const { tag, digest } = typeof image === "string" ? parseImageReference(image) : {};
            if (typeof image !== "string" || digest === undefined || !SHA256_DIGEST.test(digest) || tag !== undefined) {
                return [`${label}: image ${JSON.stringify(image)} is not pinned by digest alone; use repository@sha256:<64 hex digits>, without a tag.`];
            }
            if (fromStack === "" || allowedImages.includes(image)) {
                return [];
            }
            if (!sourceKnown) {
                return [
                    `${label}: the policy config names no digests of ${fromStack} (image-promoted.sourceImages); ` +
                        `run with the config CI writes from \`pulumi stack output --stack ${fromStack} services\`.`,
                ];
            }
            if (service === undefined) {
                return [`${podLabel(pod)}: has no ${SERVICE_LABEL} label, so it cannot be matched to a service ${fromStack} exports.`];
            }
            const expected = sourceImages[service];
            if (expected === undefined) {
                return [
                    `${label}: service ${JSON.stringify(service)} is not exported by ${fromStack}, so its image ${JSON.stringify(image)} was not promoted from there.`,
                ];
            }
            return image === expected
                ? []
                : [
                      `${label}: image ${JSON.stringify(image)} is not the digest ${fromStack} exports for ${JSON.stringify(service)} (${JSON.stringify(expected)}); ` +
                          "promote it from there, or list it in allowedImages for a reviewed exception.",
                  ];
        });
    },
});

/** The promotion rules. */
export const promotionRules: readonly ResourceRule[] = [imagePromoted];
