// Workload rules beyond the Pod Security Standards: the kube-score / kube-linter defaults the
// project holds every rendered workload to (ids, read-only root, resources, probes, image pinning,
// service account token).

import { SHA256_DIGEST, parseImageReference } from "./image";
import { checkContainers, type Container, type Handler, isWindowsPod, podLabel, WORKLOAD_TYPES } from "./kubernetes";
import { describeValue, fieldViolation } from "./messages";
import { booleanOption, integerOption } from "./options";
import { compareQuantities, parseQuantity, type Quantity } from "../components/quantity";
import { podRule, type ResourceRule } from "./rule";

const ID_FIELDS = ["runAsUser", "runAsGroup"] as const;

const highIds = podRule({
    name: "high-uid-gid",
    description:
        "Containers run with a UID and GID of at least 10000 (set explicitly, on the container or the pod), so they map to no user of the node (kube-score).",
    enforcementLevel: "mandatory",
    options: { minimumId: integerOption(10000, "The lowest UID and GID a container may run as.", 1) },
    check: (pod, { minimumId }) =>
        isWindowsPod(pod)
            ? []
            : checkContainers(pod, "initAndRegular", ({ container, label }) =>
                  ID_FIELDS.flatMap((field) => {
                      const own = container.securityContext?.[field];
                      const value = own ?? pod.spec.securityContext?.[field];
                      if (value != null && value >= minimumId) {
                          return [];
                      }
                      const source = own != null ? "" : value != null ? ` (inherited from ${pod.specPath}.securityContext)` : "";
                      return [
                          `${label}: securityContext.${field} is ${describeValue(value)}${source}; ` +
                              `it must be ${minimumId} or more, set on the container or in ${pod.specPath}.securityContext.`,
                      ];
                  }),
              ),
});

const readOnlyRootFilesystem = podRule({
    name: "read-only-root-filesystem",
    description: "Containers mount their root filesystem read-only; writable paths come from emptyDir volumes.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        isWindowsPod(pod)
            ? []
            : checkContainers(pod, "initAndRegular", ({ container, label }) => {
                  const value = container.securityContext?.readOnlyRootFilesystem;
                  return value === true
                      ? []
                      : [
                            fieldViolation(
                                label,
                                "securityContext.readOnlyRootFilesystem",
                                value,
                                "it must be true (mount an emptyDir where the process writes)",
                            ),
                        ];
              }),
});

const RESOURCE_NAMES = ["cpu", "memory"] as const;

/** What is wrong with one resource (cpu or memory) of a container's requests and limits. */
function resourceProblems(container: Container, resource: (typeof RESOURCE_NAMES)[number], requireLimit: boolean): string[] {
    const problems: string[] = [];
    const read = (section: "requests" | "limits", required: boolean): Quantity | undefined => {
        const value = container.resources?.[section]?.[resource];
        const field = `resources.${section}.${resource}`;
        if (value == null) {
            if (required) {
                problems.push(`${field} is not set`);
            }
            return undefined;
        }
        const quantity = parseQuantity(value);
        if (quantity === undefined) {
            problems.push(`${field} is ${describeValue(value)}, not a Kubernetes quantity such as "250m" or "128Mi"`);
        }
        return quantity;
    };
    const request = read("requests", true);
    const limit = read("limits", requireLimit);
    if (request !== undefined && limit !== undefined && compareQuantities(limit, request) < 0) {
        problems.push(
            `resources.limits.${resource} (${describeValue(container.resources?.limits?.[resource])}) is below ` +
                `resources.requests.${resource} (${describeValue(container.resources?.requests?.[resource])})`,
        );
    }
    return problems;
}

const containerResources = podRule({
    name: "container-resources",
    description: "Containers set cpu and memory requests and limits, with every limit at least its request.",
    enforcementLevel: "advisory",
    options: {
        requireCpuLimit: booleanOption(
            true,
            "Whether a cpu limit is required. Set to false where cpu limits are deliberately omitted to avoid throttling; the request is still required.",
        ),
    },
    check: (pod, { requireCpuLimit }) =>
        checkContainers(pod, "initAndRegular", ({ container, label }) => {
            const problems = RESOURCE_NAMES.flatMap((resource) => resourceProblems(container, resource, resource === "memory" || requireCpuLimit));
            return problems.length === 0 ? [] : [`${label}: ${problems.join("; ")}; set cpu and memory requests and limits, each limit at least its request.`];
        }),
});

/** What a probe checks (endpoint or command), ignoring timing; named ports resolve to numbers. */
function probeTarget(probe: Handler, container: Container): string | undefined {
    const port = (value: number | string | undefined): number | string | undefined =>
        typeof value === "string" ? (container.ports?.find((entry) => entry.name === value)?.containerPort ?? value) : value;
    if (probe.httpGet != null) {
        return `httpGet ${probe.httpGet.path ?? "/"} on port ${port(probe.httpGet.port)}`;
    }
    if (probe.tcpSocket != null) {
        return `tcpSocket on port ${port(probe.tcpSocket.port)}`;
    }
    if (probe.grpc != null) {
        return `grpc service ${JSON.stringify(probe.grpc.service ?? "")} on port ${probe.grpc.port}`;
    }
    return probe.exec != null ? `exec ${JSON.stringify(probe.exec.command ?? [])}` : undefined;
}

const BATCH_TYPES: readonly string[] = [WORKLOAD_TYPES.job, WORKLOAD_TYPES.cronJob];

const containerProbes = podRule({
    name: "container-probes",
    description:
        "Long-running containers have a readinessProbe and a livenessProbe that check different things (kube-score: a liveness probe that is the readiness probe restarts pods when a dependency fails). Jobs and CronJobs are exempt.",
    enforcementLevel: "advisory",
    check: (pod) =>
        BATCH_TYPES.includes(pod.type)
            ? []
            : checkContainers(pod, "regular", ({ container, label }) => {
                  const { readinessProbe, livenessProbe } = container;
                  if (readinessProbe == null || livenessProbe == null) {
                      const missing = [readinessProbe == null ? "readinessProbe" : "", livenessProbe == null ? "livenessProbe" : ""];
                      return [`${label}: ${missing.filter((field) => field !== "").join(" and ")} not set; set both, checking different endpoints.`];
                  }
                  const target = probeTarget(readinessProbe, container);
                  return target !== undefined && target === probeTarget(livenessProbe, container)
                      ? [
                            `${label}: readinessProbe and livenessProbe both check ${target}; ` +
                                "the liveness probe must check only that the process is alive (e.g. /livez), the readiness probe that it can serve (e.g. /readyz).",
                        ]
                      : [];
              }),
});

const imagePinned = podRule({
    name: "image-pinned",
    description: "Container images are pinned by digest (repository@sha256:<64 hex digits>) and never use the latest tag, written or implied.",
    enforcementLevel: "mandatory",
    options: {
        requireDigest: booleanOption(true, "Whether images must be pinned by sha256 digest. When false, a tag other than latest is enough."),
    },
    check: (pod, { requireDigest }) =>
        checkContainers(pod, "all", ({ container, label }) => {
            const image = container.image;
            if (typeof image !== "string" || image === "") {
                return [fieldViolation(label, "image", image, "it must name an image pinned by digest")];
            }
            const { tag, digest } = parseImageReference(image);
            const problems = [
                ...(tag === "latest" ? ["it uses the tag latest"] : []),
                ...(digest !== undefined && !SHA256_DIGEST.test(digest) ? [`its digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`] : []),
                ...(digest === undefined && requireDigest ? ["it is not pinned by digest"] : []),
                ...(digest === undefined && tag === undefined && !requireDigest ? ['it has no tag, which means "latest"'] : []),
            ];
            return problems.length === 0
                ? []
                : [
                      `${label}: image ${JSON.stringify(image)}: ${problems.join("; ")}; ` +
                          (requireDigest ? "use repository@sha256:<digest> (e.g. the built image's repoDigest)." : "use an immutable tag or a digest."),
                  ];
        }),
});

const serviceAccountToken = podRule({
    name: "no-service-account-token",
    description:
        "Pods set automountServiceAccountToken: false in their own spec (which overrides the ServiceAccount's setting), so a compromised container holds no Kubernetes API credentials.",
    enforcementLevel: "mandatory",
    check: (pod) => {
        const value = pod.spec.automountServiceAccountToken;
        return value === false
            ? []
            : [
                  fieldViolation(
                      podLabel(pod),
                      "automountServiceAccountToken",
                      value,
                      "it must be false (mount a projected token volume explicitly if the pod needs the API)",
                  ),
              ];
    },
});

/** Workload rules beyond the Pod Security Standards. */
export const workloadRules: readonly ResourceRule[] = [highIds, readOnlyRootFilesystem, containerResources, containerProbes, imagePinned, serviceAccountToken];
