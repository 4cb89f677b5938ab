import * as assert from "node:assert/strict";
import { WORKLOAD_TYPES } from "../../policy/kubernetes";
import { compliantContainer, compliantPodSpec, DIGEST, PINNED_IMAGE, podViolations, podWithContainer, UNKNOWN_VALUE, violations, workload } from "./fixtures";

const APP = 'container "app" (spec.template.spec.containers[0])';
const SOURCE = "acme/go-services/dev";
const OTHER = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello@sha256:${"cd".repeat(32)}`;

/** A pod whose only container runs `image`, labelled as the service `service`. */
function servicePod(image: string, service = "hello") {
    const spec = podWithContainer({ ...compliantContainer(), image });
    const view = workload(WORKLOAD_TYPES.deployment, spec);
    const props = view.props as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    props.spec.template.metadata.labels = { ...props.spec.template.metadata.labels, "app.kubernetes.io/name": service };
    return view;
}

const promoted = { fromStack: SOURCE, sourceImages: { hello: PINNED_IMAGE } };

describe("policy/promotion: image-promoted", () => {
    it("without a source stack only requires images pinned by digest alone", () => {
        assert.deepEqual(podViolations("image-promoted", compliantPodSpec()), []);
        for (const image of ["registry.example.com/hello:v1.4.2", `registry.example.com/hello:v1.4.2@${DIGEST}`, "hello"]) {
            assert.deepEqual(podViolations("image-promoted", podWithContainer({ ...compliantContainer(), image })), [
                `${APP}: image ${JSON.stringify(image)} is not pinned by digest alone; use repository@sha256:<64 hex digits>, without a tag.`,
            ]);
        }
    });

    it("passes the digest the source stack exports for the workload's service", () => {
        assert.deepEqual(violations("image-promoted", servicePod(PINNED_IMAGE), promoted), []);
    });

    it("fails another digest, naming the one the source exports", () => {
        assert.deepEqual(violations("image-promoted", servicePod(OTHER), promoted), [
            `${APP}: image ${JSON.stringify(OTHER)} is not the digest ${SOURCE} exports for "hello" (${JSON.stringify(PINNED_IMAGE)}); ` +
                "promote it from there, or list it in allowedImages for a reviewed exception.",
        ]);
    });

    it("accepts a digest listed in allowedImages, e.g. while rolling back", () => {
        assert.deepEqual(violations("image-promoted", servicePod(OTHER), { ...promoted, allowedImages: [OTHER] }), []);
    });

    it("fails a service the source does not export, and a workload without a service label", () => {
        assert.match(
            violations("image-promoted", servicePod(PINNED_IMAGE, "billing"), promoted).join(),
            /service "billing" is not exported by acme\/go-services\/dev/,
        );
        const unlabelled = workload(WORKLOAD_TYPES.deployment, compliantPodSpec());
        assert.match(violations("image-promoted", unlabelled, promoted).join(), /has no app\.kubernetes\.io\/name label/);
    });

    it("fails when the config names a source but not its digests: the check must not pass by omission", () => {
        assert.match(
            violations("image-promoted", servicePod(PINNED_IMAGE), { fromStack: SOURCE }).join(),
            /names no digests of acme\/go-services\/dev \(image-promoted\.sourceImages\); run with the config CI writes from `pulumi stack output --stack acme\/go-services\/dev services`/,
        );
    });

    it("reports nothing for an image unknown during preview", () => {
        assert.deepEqual(violations("image-promoted", servicePod(UNKNOWN_VALUE), promoted), []);
    });

    it("refuses a source image in its config that is not a digest", () => {
        assert.throws(
            () => violations("image-promoted", servicePod(PINNED_IMAGE), { fromStack: SOURCE, sourceImages: { hello: "hello:v1" } }),
            /option "sourceImages"/,
        );
    });
});
