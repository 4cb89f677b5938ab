import * as assert from "node:assert/strict";
import { type Container, WORKLOAD_TYPES } from "../../policy/kubernetes";
import { workloadRules } from "../../policy/workload";
import {
    compliantContainer,
    compliantPodSpec,
    DIGEST,
    PINNED_IMAGE,
    podViolations,
    podWithContainer,
    UNKNOWN_VALUE,
    violations,
    withContainerContext,
    withPodContext,
    workload,
} from "./fixtures";

const APP = 'container "app" (spec.template.spec.containers[0])';

/** A compliant pod whose only container has `fields` replaced. */
function podWithContainerFields(fields: Container) {
    return podWithContainer({ ...compliantContainer(), ...fields });
}

describe("policy/workload", () => {
    it("passes a compliant pod under every workload rule", () => {
        for (const rule of workloadRules) {
            assert.deepEqual(podViolations(rule.name, compliantPodSpec()), [], rule.name);
        }
    });

    describe("high-uid-gid", () => {
        it("fails ids below 10000, naming where the effective value comes from", () => {
            const spec = withPodContext(podWithContainer(withContainerContext(compliantContainer(), { runAsUser: 1000 })), { runAsGroup: 1001 });
            assert.deepEqual(podViolations("high-uid-gid", spec), [
                `${APP}: securityContext.runAsUser is 1000; it must be 10000 or more, set on the container or in spec.template.spec.securityContext.`,
                `${APP}: securityContext.runAsGroup is 1001 (inherited from spec.template.spec.securityContext); it must be 10000 or more, set on the container or in spec.template.spec.securityContext.`,
            ]);
        });

        it("fails ids set nowhere, since the image's USER cannot be checked", () => {
            const spec = withPodContext(compliantPodSpec(), { runAsUser: undefined, runAsGroup: undefined });
            assert.equal(podViolations("high-uid-gid", spec).length, 2);
        });

        it("lets a container's own ids override low pod-level ids", () => {
            const container = withContainerContext(compliantContainer(), { runAsUser: 20000, runAsGroup: 20000 });
            const spec = withPodContext(podWithContainer(container), { runAsUser: 1, runAsGroup: 1 });
            assert.deepEqual(podViolations("high-uid-gid", spec), []);
        });

        it("takes the minimum from config", () => {
            assert.equal(podViolations("high-uid-gid", compliantPodSpec(), { minimumId: 70000 }).length, 2);
            const lowIds = withPodContext(compliantPodSpec(), { runAsUser: 1000, runAsGroup: 1000 });
            assert.deepEqual(podViolations("high-uid-gid", lowIds, { minimumId: 1000 }), []);
        });
    });

    describe("read-only-root-filesystem", () => {
        it("fails a writable root filesystem in init and regular containers", () => {
            const writable = withContainerContext(compliantContainer("migrate"), { readOnlyRootFilesystem: false });
            const spec = compliantPodSpec({ initContainers: [writable] });
            assert.deepEqual(podViolations("read-only-root-filesystem", spec), [
                'container "migrate" (spec.template.spec.initContainers[0]): securityContext.readOnlyRootFilesystem is false; it must be true (mount an emptyDir where the process writes).',
            ]);
        });
    });

    describe("container-resources", () => {
        const withResources = (resources: Container["resources"]) => podWithContainerFields({ resources });

        it("fails missing requests and limits in one message per container", () => {
            assert.deepEqual(podViolations("container-resources", withResources({ requests: { cpu: "100m" } })), [
                `${APP}: resources.limits.cpu is not set; resources.requests.memory is not set; resources.limits.memory is not set; ` +
                    "set cpu and memory requests and limits, each limit at least its request.",
            ]);
        });

        it("fails a limit below its request, comparing across units", () => {
            const spec = withResources({ requests: { cpu: "0.5", memory: "1Gi" }, limits: { cpu: "500m", memory: "1000Mi" } });
            assert.deepEqual(podViolations("container-resources", spec), [
                `${APP}: resources.limits.memory ("1000Mi") is below resources.requests.memory ("1Gi"); ` +
                    "set cpu and memory requests and limits, each limit at least its request.",
            ]);
        });

        it("fails a value that is not a quantity", () => {
            const spec = withResources({ requests: { cpu: "1 core", memory: "64Mi" }, limits: { cpu: 2, memory: "64Mi" } });
            assert.match(podViolations("container-resources", spec)[0] ?? "", /resources\.requests\.cpu is "1 core", not a Kubernetes quantity/);
        });

        it("passes numbers and equal limits", () => {
            assert.deepEqual(
                podViolations("container-resources", withResources({ requests: { cpu: 1, memory: "1Gi" }, limits: { cpu: "1000m", memory: 1073741824 } })),
                [],
            );
        });

        it("may leave out the cpu limit when configured so, but still compares one that is set", () => {
            const config = { requireCpuLimit: false };
            assert.deepEqual(
                podViolations("container-resources", withResources({ requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }), config),
                [],
            );
            const low = withResources({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "100m", memory: "1Gi" } });
            assert.equal(podViolations("container-resources", low, config).length, 1);
        });
    });

    describe("container-probes", () => {
        it("fails missing probes", () => {
            assert.deepEqual(podViolations("container-probes", podWithContainerFields({ readinessProbe: undefined, livenessProbe: undefined })), [
                `${APP}: readinessProbe and livenessProbe not set; set both, checking different endpoints.`,
            ]);
        });

        it("fails probes that check the same endpoint, whatever their timing or port naming", () => {
            const spec = podWithContainerFields({
                readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
                livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
            });
            assert.deepEqual(podViolations("container-probes", spec), [
                `${APP}: readinessProbe and livenessProbe both check httpGet /healthz on port 8080; ` +
                    "the liveness probe must check only that the process is alive (e.g. /livez), the readiness probe that it can serve (e.g. /readyz).",
            ]);
        });

        it("fails identical tcp, exec and grpc probes", () => {
            for (const probe of [{ tcpSocket: { port: 8080 } }, { exec: { command: ["/bin/check"] } }, { grpc: { port: 9090 } }]) {
                assert.equal(podViolations("container-probes", podWithContainerFields({ readinessProbe: probe, livenessProbe: probe })).length, 1);
            }
        });

        it("passes different endpoints or handlers", () => {
            const spec = podWithContainerFields({ readinessProbe: { httpGet: { path: "/readyz", port: 8080 } }, livenessProbe: { tcpSocket: { port: 8080 } } });
            assert.deepEqual(podViolations("container-probes", spec), []);
        });

        it("exempts Jobs and CronJobs, and does not ask init containers for probes", () => {
            const unprobed = compliantPodSpec({ containers: [{ ...compliantContainer(), readinessProbe: undefined, livenessProbe: undefined }] });
            assert.deepEqual(violations("container-probes", workload(WORKLOAD_TYPES.job, unprobed)), []);
            assert.deepEqual(violations("container-probes", workload(WORKLOAD_TYPES.cronJob, unprobed)), []);
            const init = { ...compliantContainer("migrate"), readinessProbe: undefined, livenessProbe: undefined };
            assert.deepEqual(podViolations("container-probes", compliantPodSpec({ initContainers: [init] })), []);
        });
    });

    describe("image-pinned", () => {
        const imageViolations = (image: string | undefined, config = {}) => podViolations("image-pinned", podWithContainerFields({ image }), config);

        it("fails a tag, latest, and no tag at all", () => {
            assert.deepEqual(imageViolations("registry.example/hello:v1.4.2"), [
                `${APP}: image "registry.example/hello:v1.4.2": it is not pinned by digest; use repository@sha256:<digest> (e.g. the built image's repoDigest).`,
            ]);
            assert.match(imageViolations("hello:latest")[0] ?? "", /it uses the tag latest; it is not pinned by digest/);
            assert.match(imageViolations(`hello:latest@${DIGEST}`)[0] ?? "", /: it uses the tag latest; use/);
            assert.deepEqual(imageViolations(undefined), [`${APP}: image is not set; it must name an image pinned by digest.`]);
        });

        it("fails a digest that is not sha256 with 64 hex digits", () => {
            assert.match(imageViolations("hello@sha256:abc")[0] ?? "", /its digest "sha256:abc" is not sha256:<64 hex digits>/);
        });

        it("passes a digest, with or without a tag", () => {
            assert.deepEqual(imageViolations(PINNED_IMAGE), []);
            assert.deepEqual(imageViolations(`localhost:5000/hello:v1@${DIGEST}`), []);
        });

        it("accepts a tag other than latest when digests are not required, never an implied latest", () => {
            const config = { requireDigest: false };
            assert.deepEqual(imageViolations("hello:v1.4.2", config), []);
            assert.deepEqual(imageViolations("localhost:5000/hello", config), [
                `${APP}: image "localhost:5000/hello": it has no tag, which means "latest"; use an immutable tag or a digest.`,
            ]);
            assert.equal(imageViolations("hello:latest", config).length, 1);
        });

        it("does not fail an image that is unknown during preview, nor count it as latest", () => {
            assert.deepEqual(imageViolations(UNKNOWN_VALUE), []);
            assert.deepEqual(imageViolations(UNKNOWN_VALUE, { requireDigest: false }), []);
        });
    });

    describe("no-service-account-token", () => {
        it("fails a pod that does not opt out of the token, and passes false", () => {
            assert.deepEqual(podViolations("no-service-account-token", compliantPodSpec({ automountServiceAccountToken: undefined })), [
                "pod spec (spec.template.spec): automountServiceAccountToken is not set; it must be false (mount a projected token volume explicitly if the pod needs the API).",
            ]);
            assert.equal(podViolations("no-service-account-token", compliantPodSpec({ automountServiceAccountToken: true })).length, 1);
        });

        it("skips an unknown value", () => {
            assert.deepEqual(
                podViolations("no-service-account-token", compliantPodSpec({ automountServiceAccountToken: UNKNOWN_VALUE as unknown as boolean })),
                [],
            );
        });
    });

    it("exempts Windows pods from the Linux-only id and root filesystem rules", () => {
        const spec = {
            ...withPodContext(podWithContainer({ ...compliantContainer(), securityContext: {} }), { runAsUser: undefined, runAsGroup: undefined }),
            os: { name: "windows" },
        };
        assert.deepEqual(podViolations("high-uid-gid", spec), []);
        assert.deepEqual(podViolations("read-only-root-filesystem", spec), []);
    });
});
