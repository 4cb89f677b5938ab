/**
 * The Deployment of a Go service: a pure function from resolved settings to the object.
 * Every hardening default lives here, in code, so a service gets it without asking.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { types } from "@pulumi/kubernetes";
import { recommendedLabels, selectorLabels, ServiceIdentity } from "./labels";
import { metricsPortName, scrapeAnnotations } from "./monitoring";
import { MonitoringMode } from "./monitoringSettings";
import { parseQuantity, wholeUnits } from "./quantity";
import { ResolvedProbe, ResolvedSettings } from "./serviceSettings";

type Deployment = types.input.apps.v1.Deployment;
type PodSpec = types.input.core.v1.PodSpec;
type Container = types.input.core.v1.Container;
type EnvVar = types.input.core.v1.EnvVar;
type Probe = types.input.core.v1.Probe;

/** The name of the container port; probes and the Service refer to it by name. */
export const httpPortName = "http";

/** The endpoints every service answers (see services/platform). */
export const healthPaths = { live: "/livez", ready: "/readyz" } as const;

/** Share of the memory limit given to the Go runtime as GOMEMLIMIT (90%): the rest is stacks, buffers and non-heap memory. */
export const goMemoryLimitShare = { numerator: 9n, denominator: 10n } as const;

/** Everything the Deployment is built from. */
export interface WorkloadSpec {
    readonly identity: ServiceIdentity;
    readonly settings: ResolvedSettings;
    /** Node OS and architecture the image is built for, e.g. linux/amd64. */
    readonly platform: { os: string; arch: string };
    /** Image reference; `repository@sha256:...` when the image was pushed. */
    readonly image: pulumi.Input<string>;
    /** Secret variables: the Kubernetes Secret holding them and the variable names (= its keys). */
    readonly secretEnv?: { secretName: pulumi.Input<string>; names: readonly string[] };
    /** How Prometheus finds the pods; `annotations` puts the prometheus.io scrape annotations on them. Default `none`. */
    readonly monitoring?: MonitoringMode;
}

/** The container's environment: the service contract first, then the user's variables, then secret references. */
export function buildEnv(spec: WorkloadSpec): EnvVar[] {
    const { settings } = spec;
    const memoryLimit = parseQuantity(settings.resources.limits.memory);
    const contract: EnvVar[] = [
        { name: "PORT", value: String(settings.port) },
        { name: "METRICS_PORT", value: String(settings.metricsPort) },
        { name: "SHUTDOWN_DRAIN", value: `${settings.shutdown.drainSeconds}s` },
        { name: "SHUTDOWN_TIMEOUT", value: `${settings.shutdown.timeoutSeconds}s` },
    ];
    if (memoryLimit) {
        contract.push({ name: "GOMEMLIMIT", value: wholeUnits(memoryLimit, goMemoryLimitShare).toString() });
    }
    const plain = Object.keys(settings.env)
        .sort()
        .map((name) => ({ name, value: settings.env[name] }));
    const secretEnv = spec.secretEnv;
    const secret = secretEnv
        ? [...secretEnv.names].sort().map((name) => ({
              name,
              valueFrom: { secretKeyRef: { name: secretEnv.secretName, key: name, optional: false } },
          }))
        : [];
    return [...contract, ...plain, ...secret];
}

function httpProbe(path: string, timing: ResolvedProbe): Probe {
    return {
        httpGet: { path, port: httpPortName, scheme: "HTTP" },
        periodSeconds: timing.periodSeconds,
        timeoutSeconds: timing.timeoutSeconds,
        failureThreshold: timing.failureThreshold,
        // Left out at 0, the API's default: Go clients drop a zero initialDelaySeconds (omitempty), so
        // Argo Rollouts' controller, writing a Rollout back, removed it, and every apply put it back
        // (a new generation of the Rollout on each `pulumi up`, found by the e2e second-apply test).
        ...(timing.initialDelaySeconds > 0 ? { initialDelaySeconds: timing.initialDelaySeconds } : {}),
        successThreshold: 1,
    };
}

/** The service's container, hardened: non-root, read-only root, no privilege escalation, no capabilities. */
export function buildContainer(spec: WorkloadSpec): Container {
    const { settings, identity } = spec;
    const { requests, limits } = settings.resources;
    return {
        name: identity.name,
        image: spec.image,
        imagePullPolicy: settings.imagePullPolicy,
        ports: [
            { name: httpPortName, containerPort: settings.port, protocol: "TCP" },
            { name: metricsPortName, containerPort: settings.metricsPort, protocol: "TCP" },
        ],
        env: buildEnv(spec),
        resources: {
            requests: { cpu: requests.cpu, memory: requests.memory, "ephemeral-storage": requests.ephemeralStorage },
            limits: { cpu: limits.cpu, memory: limits.memory, "ephemeral-storage": limits.ephemeralStorage },
        },
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: settings.security.readOnlyRootFilesystem,
            capabilities: { drop: ["ALL"] },
        },
        startupProbe: httpProbe(healthPaths.live, settings.probes.startup),
        livenessProbe: httpProbe(healthPaths.live, settings.probes.liveness),
        readinessProbe: httpProbe(healthPaths.ready, settings.probes.readiness),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** Spread over zones, then nodes, so one failure domain never holds every replica. */
export function buildTopologySpread(spec: WorkloadSpec): types.input.core.v1.TopologySpreadConstraint[] {
    const mode = spec.settings.topologySpread;
    if (mode === "none" || minimumReplicas(spec.settings) < 2) {
        return [];
    }
    return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
        topologyKey,
        maxSkew: 1,
        whenUnsatisfiable: mode,
        labelSelector: { matchLabels: selectorLabels(spec.identity) },
        // Count only pods of the same ReplicaSet, so a rollout is not skewed by the old pods.
        matchLabelKeys: ["pod-template-hash"],
    }));
}

/** The pod template's spec. */
export function buildPodSpec(spec: WorkloadSpec): PodSpec {
    const { settings, identity } = spec;
    const security = settings.security;
    const spread = buildTopologySpread(spec);
    return {
        serviceAccountName: identity.name,
        automountServiceAccountToken: security.automountServiceAccountToken,
        // Service links put every Service of the namespace into the environment; nothing uses them.
        enableServiceLinks: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: security.runAsUser,
            runAsGroup: security.runAsGroup,
            fsGroup: security.fsGroup,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: security.seccompProfile,
        },
        terminationGracePeriodSeconds: settings.shutdown.gracePeriodSeconds,
        nodeSelector: { "kubernetes.io/os": spec.platform.os, "kubernetes.io/arch": spec.platform.arch },
        ...(spread.length > 0 ? { topologySpreadConstraints: spread } : {}),
        containers: [buildContainer(spec)],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: settings.tmpSizeLimit } }],
    };
}

/** The smallest number of replicas that will run: the HPA's minimum or the fixed count. */
export function minimumReplicas(settings: Pick<ResolvedSettings, "autoscaling" | "replicas">): number {
    return settings.autoscaling ? settings.autoscaling.minReplicas : settings.replicas;
}

/** The pod template: the labels, annotations and hardened pod spec every workload kind of a service runs. */
export function buildPodTemplate(spec: WorkloadSpec): types.input.core.v1.PodTemplateSpec {
    const { settings, identity } = spec;
    return {
        metadata: {
            labels: recommendedLabels(identity),
            annotations: {
                "kubectl.kubernetes.io/default-container": identity.name,
                ...(spec.monitoring === "annotations" ? scrapeAnnotations(settings.metricsPort) : {}),
            },
        },
        spec: buildPodSpec(spec),
    };
}

/**
 * What every workload kind of a service shares, a Deployment or an Argo Rollouts Rollout: its
 * metadata, and in its spec the replicas (left to the HorizontalPodAutoscaler when autoscaling),
 * selector, readiness and progress timing, history and pod template.
 */
export function buildWorkloadShell(spec: WorkloadSpec) {
    const { settings, identity } = spec;
    return {
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            ...(settings.autoscaling ? {} : { replicas: settings.replicas }),
            selector: { matchLabels: selectorLabels(identity) },
            minReadySeconds: settings.rollout.minReadySeconds,
            progressDeadlineSeconds: settings.rollout.progressDeadlineSeconds,
            revisionHistoryLimit: settings.rollout.revisionHistoryLimit,
            template: buildPodTemplate(spec),
        },
    };
}

/** The Deployment: the workload shell, released by a RollingUpdate that never goes below the desired count. */
export function buildDeployment(spec: WorkloadSpec): Deployment {
    const shell = buildWorkloadShell(spec);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: shell.metadata,
        spec: { ...shell.spec, strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: spec.settings.rollout.maxSurge } } },
    };
}
