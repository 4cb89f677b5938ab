/**
 * The settings of one Go service, as a stack file (`go-services:services.<name>`) or a
 * TypeScript caller (`new GoService(name, args)`) gives them, and the one function that
 * checks them and fills in the defaults. Both entry points use the same keys, so an error
 * names the same key a user wrote.
 */
import { AutoscalingBehavior, resolveAutoscalingBehavior } from "./autoscalingBehavior";
import { instanceName } from "./labels";
import { compareQuantities, parseQuantity } from "./quantity";
import { AlertThresholds, defaultMetricsPort, resolveAlertThresholds } from "./monitoringSettings";
import { defaultPreset, PresetName, presetNames, ResourceAmounts, ResourceRequirements, resourcePresets } from "./presets";
import {
    checkBoolean,
    checkDigestReference,
    checkDnsLabel,
    checkEnvName,
    checkImageTag,
    checkInteger,
    checkList,
    checkObject,
    checkOneOf,
    checkQuantity,
    checkRelativePath,
    hiddenSecret,
    isPlainObject,
    joinPath,
    Problems,
} from "./validation";

/** Explicit requests and limits; ephemeralStorage defaults to the `small` preset's. */
export interface ExplicitResources {
    requests: { cpu: string; memory: string; ephemeralStorage?: string };
    limits: { cpu: string; memory: string; ephemeralStorage?: string };
}

/** Timing of one probe; the path and port are fixed by the service contract. */
export interface ProbeTiming {
    /** Seconds between probes. */
    periodSeconds?: number;
    /** Seconds before one probe times out. */
    timeoutSeconds?: number;
    /** Consecutive failures before the probe counts as failed. */
    failureThreshold?: number;
    /** Seconds to wait before the first probe. Default 0. */
    initialDelaySeconds?: number;
}

/** An egress destination besides cluster DNS. */
export type EgressRule =
    | {
          /** Another GoService of this stack (same namespace), by service name. */
          service: string;
          /** Its container port. Default: from the stack config, or 8080. */
          port?: number;
      }
    | {
          /** An IPv4 or IPv6 CIDR block, e.g. "10.0.0.0/16". */
          cidr: string;
          /** CIDR blocks inside `cidr` that stay blocked. */
          except?: string[];
          /** TCP ports allowed; all ports when omitted. */
          ports?: number[];
      };

/**
 * What a service may change. Every field is optional; the default is stated on each.
 * Secure settings are the default and each has a named override.
 */
export interface ServiceSettings<TSecret = unknown> {
    /** The service's Go module directory, directly under `services/`. Default `services/<name>`. */
    path?: string;
    /** Dockerfile used to build the image, relative to the project. Default `docker/go-service.Dockerfile`. */
    dockerfile?: string;
    /**
     * Deploy this image instead of building one: `<repository>@sha256:<64 hex>`, by digest only
     * (a tag is refused). No repository and no image build is created for the service, and its
     * version label comes from `imageTag` (the service's, else the stack's), which is then required.
     * Default: the image is built from `path` (or promoted, see the stack's `promotion.fromStack`).
     */
    image?: string;
    /** Image tag for this service, overriding the stack's `imageTag`; with `image`, the version that image was built as. */
    imageTag?: string;
    /** Port the process listens on (its PORT variable). 1024-65535, default 8080. */
    port?: number;
    /** Port of the ClusterIP Service. Default 80. */
    servicePort?: number;
    /**
     * Port of the Prometheus metrics endpoint, `/metrics` (the process's METRICS_PORT): not the
     * service's port, and open only to the stack's monitoring namespaces. 1024-65535 other than
     * `port`, default 9090.
     */
    metricsPort?: number;
    /** Pod count when autoscaling is off. 1-50, default 1. Not allowed together with `autoscaling`. */
    replicas?: number;
    /** A preset name (nano, micro, small, medium, large, xlarge) or explicit requests and limits. Default `small`. */
    resources?: PresetName | ExplicitResources;
    /** Plain environment variables. PORT, SHUTDOWN_DRAIN, SHUTDOWN_TIMEOUT and GOMEMLIMIT are set by the component. */
    env?: Record<string, string | number | boolean>;
    /**
     * Secret variables: name to value. In a stack file the value is the name of a secret config
     * key (`pulumi config set --secret <key> <value>`); in TypeScript it is a Pulumi secret.
     * They reach the pod through a Kubernetes Secret and `secretKeyRef`, never as plain values.
     */
    secretEnv?: Record<string, TSecret>;
    /** HorizontalPodAutoscaler (autoscaling/v2). Off by default. */
    autoscaling?: {
        /** 1-100. */
        minReplicas: number;
        /** minReplicas-100. */
        maxReplicas: number;
        /** Average CPU utilisation target in percent of the request. 1-100, default 70. */
        targetCPUUtilization?: number;
        /** Average memory utilisation target in percent of the request; not used when omitted. */
        targetMemoryUtilization?: number;
        /** How fast it may scale up and down (spec.behavior); see {@link AutoscalingBehavior}. */
        behavior?: AutoscalingBehavior;
    };
    /** Graceful shutdown timing. */
    shutdown?: {
        /** Seconds between readiness turning 503 and the listener closing (SHUTDOWN_DRAIN). 0-120, default 5. */
        drainSeconds?: number;
        /** Seconds in-flight requests get to finish (SHUTDOWN_TIMEOUT). 1-600, default 20. */
        timeoutSeconds?: number;
        /** terminationGracePeriodSeconds; must exceed drain + timeout. Default drain + timeout + 5. */
        gracePeriodSeconds?: number;
    };
    /** Probe timings. Defaults: startup 1s x 30, liveness 10s x 3, readiness 5s x 2. */
    probes?: { startup?: ProbeTiming; liveness?: ProbeTiming; readiness?: ProbeTiming };
    /** NetworkPolicy: who may connect in, where the pods may connect out. Default: own namespace in, DNS out. */
    network?: {
        /** Namespaces (besides the service's own) allowed to reach the service port. */
        ingressNamespaces?: string[];
        /** Destinations allowed besides cluster DNS. */
        egress?: EgressRule[];
    };
    /** Spread of replicas over zones and nodes when there is more than one. Default ScheduleAnyway. */
    topologySpread?: "ScheduleAnyway" | "DoNotSchedule" | "none";
    /** PodDisruptionBudget maxUnavailable, created when more than one replica runs. Default 1. */
    maxUnavailable?: number;
    /** Size limit of the /tmp emptyDir. Default "32Mi"; at most the ephemeral-storage limit. */
    tmpSizeLimit?: string;
    /**
     * When the kubelet pulls the image: `IfNotPresent` (the default) runs the copy a node already
     * holds, which is the image the digest names; `Always` asks the registry at every container
     * start, so starts wait on it and fail while it is unreachable. README, "Image pull policy".
     */
    imagePullPolicy?: ImagePullPolicy;
    /** Pod and container security. Defaults pass the Pod Security Standards "restricted" profile. */
    security?: {
        /** Default 65532 (distroless nonroot). */
        runAsUser?: number;
        /** Default 65532. */
        runAsGroup?: number;
        /** Default 65532. */
        fsGroup?: number;
        /** Default true. */
        readOnlyRootFilesystem?: boolean;
        /** Mount the ServiceAccount token (only for services that call the Kubernetes API). Default false. */
        automountServiceAccountToken?: boolean;
        /** Seccomp profile. Default RuntimeDefault. */
        seccompProfile?: { type: "RuntimeDefault" } | { type: "Localhost"; localhostProfile: string };
    };
    /** Rollout behaviour. */
    rollout?: {
        /** Extra pods during a rolling update (maxUnavailable is always 0). Default 1. */
        maxSurge?: number;
        /** Seconds a new pod must be ready before it counts as available. Default 5. */
        minReadySeconds?: number;
        /** Seconds before a stuck rollout is reported failed. Default 300. */
        progressDeadlineSeconds?: number;
        /** Old ReplicaSets kept for rollback. Default 5. */
        revisionHistoryLimit?: number;
        /** How long Pulumi waits for the Deployment to become ready, e.g. "10m". Default "10m". */
        timeout?: string;
    };
    /** Alert thresholds of this service, over the stack's `monitoring.alerts`. Default: the stack's. */
    alerts?: AlertThresholds;
    /** The app.kubernetes.io/component label. Default "server". */
    component?: string;
}

/** A resolved probe: all fields set. */
export type ResolvedProbe = Required<ProbeTiming>;

/** A resolved egress rule. */
export type ResolvedEgressRule = { kind: "service"; service: string; port: number } | { kind: "cidr"; cidr: string; except: string[]; ports: number[] };

/** Settings after checking and defaults: what the builders consume. */
export interface ResolvedSettings {
    path: string;
    /** The folder's name under services/: the Dockerfile's SERVICE argument. */
    directory: string;
    dockerfile: string;
    /** The image to deploy when it is not built here (`<repository>@sha256:...`). */
    image?: string;
    imageTag?: string;
    port: number;
    servicePort: number;
    metricsPort: number;
    replicas: number;
    resources: ResourceRequirements;
    env: Record<string, string>;
    /** Names of the secret variables, sorted. */
    secretEnvNames: string[];
    autoscaling?: { minReplicas: number; maxReplicas: number; targetCPUUtilization: number; targetMemoryUtilization?: number; behavior?: AutoscalingBehavior };
    shutdown: { drainSeconds: number; timeoutSeconds: number; gracePeriodSeconds: number };
    probes: { startup: ResolvedProbe; liveness: ResolvedProbe; readiness: ResolvedProbe };
    network: { ingressNamespaces: string[]; egress: ResolvedEgressRule[] };
    topologySpread: "ScheduleAnyway" | "DoNotSchedule" | "none";
    maxUnavailable: number;
    tmpSizeLimit: string;
    imagePullPolicy: ImagePullPolicy;
    security: {
        runAsUser: number;
        runAsGroup: number;
        fsGroup: number;
        readOnlyRootFilesystem: boolean;
        automountServiceAccountToken: boolean;
        seccompProfile: { type: "RuntimeDefault" } | { type: "Localhost"; localhostProfile: string };
    };
    rollout: { maxSurge: number; minReadySeconds: number; progressDeadlineSeconds: number; revisionHistoryLimit: number; timeout: string };
    /** The thresholds this service sets itself; the stack's fill in the rest. */
    alerts: AlertThresholds;
    component: string;
}

/** The keys a service's settings may have, in the order the README documents them. */
export const serviceSettingKeys = [
    "path",
    "dockerfile",
    "image",
    "imageTag",
    "port",
    "servicePort",
    "metricsPort",
    "replicas",
    "resources",
    "env",
    "secretEnv",
    "autoscaling",
    "shutdown",
    "probes",
    "network",
    "topologySpread",
    "maxUnavailable",
    "tmpSizeLimit",
    "imagePullPolicy",
    "security",
    "rollout",
    "alerts",
    "component",
] as const;

/** Variables the component sets itself; a user value would silently break the contract. */
export const reservedEnvNames: Readonly<Record<string, string>> = {
    PORT: "port",
    METRICS_PORT: "metricsPort",
    SHUTDOWN_DRAIN: "shutdown.drainSeconds",
    SHUTDOWN_TIMEOUT: "shutdown.timeoutSeconds",
    GOMEMLIMIT: "resources (it is derived from the memory limit)",
};

const logLevels = ["debug", "info", "warn", "error"] as const;

/**
 * The image pull policies a service may choose. `Never` is left out: a pod could then start only on
 * a node someone loaded the image into by hand, and `IfNotPresent` runs such an image too.
 */
export const imagePullPolicies = ["IfNotPresent", "Always"] as const;

/** When the kubelet pulls a service's image. */
export type ImagePullPolicy = (typeof imagePullPolicies)[number];

/** The pull policy when a service names none: images are referenced by digest (README, "Image pull policy"). */
export const defaultImagePullPolicy: ImagePullPolicy = "IfNotPresent";

/** Default probe timings. Startup allows 60 s to start before liveness takes over. */
export const defaultProbes: ResolvedSettings["probes"] = {
    startup: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30, initialDelaySeconds: 0 },
    liveness: { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3, initialDelaySeconds: 0 },
    readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, initialDelaySeconds: 0 },
};

/** The uid and gid of distroless's `nonroot` user, which the golden Dockerfile runs as. */
export const nonRootId = 65532;

/** Where a service's Go module must live: the Docker build context holds it and the shared module. */
export const servicesRoot = "services";

/** The golden Dockerfile. */
export const goldenDockerfile = "docker/go-service.Dockerfile";

/** The port a service listens on unless its settings say otherwise. */
export const defaultPort = 8080;

/** The longest service name: it must leave room for the stack in the instance label. */
export const maxServiceNameLength = 40;

/**
 * Checks a service name: a DNS-1123 label of at most 40 characters (it names the
 * Deployment, Service and ServiceAccount), short enough with the stack's name to form the
 * app.kubernetes.io/instance label.
 */
export function checkServiceName(name: unknown, path: string, stack: string, problems: Problems): name is string {
    if (!checkDnsLabel(name, path, problems, maxServiceNameLength)) {
        return false;
    }
    if (instanceName({ name, stack }).length > 63) {
        problems.add(path, name, `together with the stack name "${stack}" must be at most 62 characters (it forms the app.kubernetes.io/instance label)`);
        return false;
    }
    return true;
}

/** Checks a service directory on disk; injected so the resolver stays a pure function in tests. */
export interface ServiceDirectoryCheck {
    /** Returns what is missing from the directory (relative paths), or an empty list. */
    missing(path: string): string[];
    /** True when the file exists. */
    fileExists(path: string): boolean;
}

/** What the resolver needs to know besides the settings themselves. */
export interface ResolveContext {
    /** The service name (already checked). */
    name: string;
    /** Other services of the same stack with their container ports, for egress rules. */
    servicePorts?: ReadonlyMap<string, number>;
    /** File system checks; skipped when omitted. */
    directories?: ServiceDirectoryCheck;
    /**
     * The stack this service's image is promoted from (`<org>/<project>/<stack>`), when the
     * stack promotes and the service names no image of its own: nothing is built for it then.
     */
    promotedFrom?: string;
}

/**
 * Checks one service's settings and fills in every default. Reports each bad value to
 * `problems` with its path under `path`; returns `undefined` when anything was bad.
 */
export function resolveServiceSettings(raw: unknown, path: string, context: ResolveContext, problems: Problems): ResolvedSettings | undefined {
    const before = problems.count;
    const input = checkObject(raw ?? {}, path, serviceSettingKeys, problems);
    if (!input) {
        return undefined;
    }
    const at = (key: string) => joinPath(path, key);

    const image = input.image === undefined || checkDigestReference(input.image, at("image"), problems) ? input.image : undefined;
    const servicePath = input.path ?? `${servicesRoot}/${context.name}`;
    const dockerfile = input.dockerfile ?? goldenDockerfile;
    const notBuiltBecause =
        input.image !== undefined
            ? `the image is given (${at("image")})`
            : context.promotedFrom === undefined
              ? undefined
              : `the image is promoted from ${context.promotedFrom}`;
    let directory: string | undefined = context.name;
    if (notBuiltBecause === undefined) {
        directory = checkServicePath(servicePath, at("path"), context, problems);
        if (checkRelativePath(dockerfile, at("dockerfile"), problems) && context.directories && !context.directories.fileExists(dockerfile)) {
            problems.add(at("dockerfile"), dockerfile, "must name an existing Dockerfile, relative to the project directory");
        }
    } else {
        for (const key of ["path", "dockerfile"] as const) {
            if (input[key] !== undefined) {
                problems.add(
                    at(key),
                    input[key],
                    `must be left out: it only says how to build the image, and nothing is built for this service: ${notBuiltBecause}`,
                );
            }
        }
    }
    if (input.imageTag !== undefined) {
        checkImageTag(input.imageTag, at("imageTag"), problems);
        if (input.image === undefined && context.promotedFrom !== undefined) {
            problems.add(
                at("imageTag"),
                input.imageTag,
                `must be left out: a promoted service is labelled with the version ${context.promotedFrom} exports for it (services.<name>.version), which is what its /version answers`,
            );
        }
    }
    const port = optionalInteger(input.port, at("port"), 1024, 65535, defaultPort, problems);
    const servicePort = optionalInteger(input.servicePort, at("servicePort"), 1, 65535, 80, problems);
    const metricsPort = optionalInteger(input.metricsPort, at("metricsPort"), 1024, 65535, defaultMetricsPort, problems);
    if (metricsPort === port) {
        if (input.metricsPort === undefined) {
            problems.add(
                at("port"),
                port,
                `must differ from metricsPort (default ${defaultMetricsPort}), the port of the metrics endpoint; choose another port or set metricsPort`,
            );
        } else {
            problems.add(at("metricsPort"), metricsPort, `must differ from port (${port}): the metrics endpoint has a port of its own`);
        }
    }
    const replicas = optionalInteger(input.replicas, at("replicas"), 1, 50, 1, problems);
    const resources = resolveResources(input.resources, at("resources"), problems);
    const env = resolveEnv(input.env, at("env"), problems);
    const secretEnvNames = resolveSecretEnvNames(input.secretEnv, at("secretEnv"), input.env, problems);
    const autoscaling = resolveAutoscaling(input.autoscaling, at("autoscaling"), problems);
    if (autoscaling && input.replicas !== undefined) {
        problems.add(
            at("replicas"),
            input.replicas,
            "must be left out when autoscaling is set: the HorizontalPodAutoscaler owns the replica count (use autoscaling.minReplicas)",
        );
    }
    const shutdown = resolveShutdown(input.shutdown, at("shutdown"), problems);
    const probes = resolveProbes(input.probes, at("probes"), problems);
    const network = resolveNetwork(input.network, at("network"), context, problems);
    const topologySpread = input.topologySpread ?? "ScheduleAnyway";
    checkOneOf(topologySpread, at("topologySpread"), ["ScheduleAnyway", "DoNotSchedule", "none"] as const, problems);
    const maxUnavailable = optionalInteger(input.maxUnavailable, at("maxUnavailable"), 1, 50, 1, problems);
    const tmpSizeLimit = checkQuantity(input.tmpSizeLimit ?? "32Mi", at("tmpSizeLimit"), "bytes", problems);
    const ephemeralLimit = resources ? parseQuantity(resources.limits.ephemeralStorage) : undefined;
    if (resources && tmpSizeLimit && ephemeralLimit && compareQuantities(tmpSizeLimit.quantity, ephemeralLimit) > 0) {
        problems.add(at("tmpSizeLimit"), tmpSizeLimit.text, `must not exceed the ephemeral-storage limit (${resources.limits.ephemeralStorage})`);
    }
    const imagePullPolicy = input.imagePullPolicy ?? defaultImagePullPolicy;
    checkOneOf(imagePullPolicy, at("imagePullPolicy"), imagePullPolicies, problems);
    const security = resolveSecurity(input.security, at("security"), problems);
    const rollout = resolveRollout(input.rollout, at("rollout"), problems);
    const alerts = resolveAlertThresholds(input.alerts, at("alerts"), problems);
    const component = input.component ?? "server";
    checkDnsLabel(component, at("component"), problems);

    if (problems.count > before || !directory || !resources || !shutdown || !probes || !network || !security || !rollout || !tmpSizeLimit || !alerts) {
        return undefined;
    }
    return {
        path: servicePath as string,
        directory,
        dockerfile: dockerfile as string,
        ...(image === undefined ? {} : { image }),
        imageTag: input.imageTag as string | undefined,
        port,
        servicePort,
        metricsPort,
        replicas,
        resources,
        env,
        secretEnvNames,
        autoscaling,
        shutdown,
        probes,
        network,
        topologySpread: topologySpread as ResolvedSettings["topologySpread"],
        maxUnavailable,
        tmpSizeLimit: tmpSizeLimit.text,
        imagePullPolicy: imagePullPolicy as ImagePullPolicy,
        security,
        rollout,
        alerts,
        component: component as string,
    };
}

function optionalInteger(value: unknown, path: string, min: number, max: number, fallback: number, problems: Problems): number {
    if (value === undefined) {
        return fallback;
    }
    return checkInteger(value, path, min, max, problems) ? value : fallback;
}

/** Checks the service's folder; returns its directory name under services/ (the Dockerfile's SERVICE). */
function checkServicePath(value: unknown, path: string, context: ResolveContext, problems: Problems): string | undefined {
    if (!checkRelativePath(value, path, problems)) {
        return undefined;
    }
    const [root, directory, ...rest] = value.replace(/\/+$/, "").split("/");
    if (root !== servicesRoot || directory === undefined || rest.length > 0 || directory === "platform") {
        problems.add(
            path,
            value,
            `must be a directory directly under ${servicesRoot}/ (the build context that also holds the shared platform module), e.g. ${servicesRoot}/${context.name}`,
        );
        return undefined;
    }
    const missing = context.directories?.missing(value) ?? [];
    if (missing.length > 0) {
        problems.add(path, value, `must be a Go service directory; missing: ${missing.join(", ")} (create one with: npm run new-service -- ${context.name})`);
        return undefined;
    }
    return directory;
}

function resolveResources(value: unknown, path: string, problems: Problems): ResourceRequirements | undefined {
    if (value === undefined) {
        return resourcePresets[defaultPreset];
    }
    if (typeof value === "string") {
        return checkOneOf(value, path, presetNames, problems) ? resourcePresets[value] : undefined;
    }
    const input = checkObject(value, path, ["requests", "limits"], problems);
    if (!input) {
        return undefined;
    }
    const fallback = resourcePresets[defaultPreset];
    const requests = resolveAmounts(input.requests, joinPath(path, "requests"), fallback.requests, problems);
    const limits = resolveAmounts(input.limits, joinPath(path, "limits"), fallback.limits, problems);
    if (!requests || !limits) {
        return undefined;
    }
    let consistent = true;
    for (const resource of ["cpu", "memory", "ephemeralStorage"] as const) {
        const request = parseQuantity(requests[resource]);
        const limit = parseQuantity(limits[resource]);
        if (request && limit && compareQuantities(limit, request) < 0) {
            problems.add(joinPath(joinPath(path, "limits"), resource), limits[resource], `must be at least the request (${requests[resource]})`);
            consistent = false;
        }
    }
    return consistent ? { requests, limits } : undefined;
}

function resolveAmounts(value: unknown, path: string, fallback: ResourceAmounts, problems: Problems): ResourceAmounts | undefined {
    const input = checkObject(value, path, ["cpu", "memory", "ephemeralStorage"], problems);
    if (!input) {
        return undefined;
    }
    const cpu = checkQuantity(input.cpu, joinPath(path, "cpu"), "cpu", problems);
    const memory = checkQuantity(input.memory, joinPath(path, "memory"), "bytes", problems);
    const ephemeral = checkQuantity(input.ephemeralStorage ?? fallback.ephemeralStorage, joinPath(path, "ephemeralStorage"), "bytes", problems);
    if (!cpu || !memory || !ephemeral) {
        return undefined;
    }
    return { cpu: cpu.text, memory: memory.text, ephemeralStorage: ephemeral.text };
}

function resolveEnv(value: unknown, path: string, problems: Problems): Record<string, string> {
    if (value === undefined) {
        return {};
    }
    if (!isPlainObject(value)) {
        problems.add(path, value, "must be a map of variable name to value");
        return {};
    }
    const env: Record<string, string> = {};
    for (const [name, raw] of Object.entries(value)) {
        const at = joinPath(path, name);
        if (!checkEnvName(name, at, problems)) {
            continue;
        }
        if (name in reservedEnvNames) {
            problems.add(at, raw, `is set by go-services; configure ${reservedEnvNames[name]} instead`);
            continue;
        }
        if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
            problems.add(at, raw, "must be a string, number or boolean (secrets belong in secretEnv)");
            continue;
        }
        const value = typeof raw === "string" ? raw : raw.toString();
        if (name === "LOG_LEVEL" && !checkOneOf(value, at, logLevels, problems)) {
            continue;
        }
        env[name] = value;
    }
    return env;
}

/**
 * Checks the names of secret variables: valid, not reserved, not also a plain variable.
 * Their values are never looked at here: they stay Pulumi secrets.
 */
function resolveSecretEnvNames(value: unknown, path: string, plainEnv: unknown, problems: Problems): string[] {
    if (value === undefined) {
        return [];
    }
    if (!isPlainObject(value)) {
        problems.add(path, hiddenSecret, "must be a map of variable name to secret");
        return [];
    }
    const names: string[] = [];
    for (const name of Object.keys(value)) {
        const at = joinPath(path, name);
        if (!checkEnvName(name, at, problems)) {
            continue;
        }
        if (name in reservedEnvNames) {
            problems.add(at, hiddenSecret, `is set by go-services; configure ${reservedEnvNames[name]} instead`);
        } else if (isPlainObject(plainEnv) && name in plainEnv) {
            problems.add(at, hiddenSecret, "is also set in env; a variable is either plain (env) or secret (secretEnv)");
        } else {
            names.push(name);
        }
    }
    return names.sort();
}

function resolveAutoscaling(value: unknown, path: string, problems: Problems): ResolvedSettings["autoscaling"] {
    if (value === undefined) {
        return undefined;
    }
    const input = checkObject(value, path, ["minReplicas", "maxReplicas", "targetCPUUtilization", "targetMemoryUtilization", "behavior"], problems);
    if (!input) {
        return undefined;
    }
    const at = (key: string) => joinPath(path, key);
    const okMin = checkInteger(input.minReplicas, at("minReplicas"), 1, 100, problems);
    const okMax = checkInteger(input.maxReplicas, at("maxReplicas"), 1, 100, problems);
    const cpu = optionalInteger(input.targetCPUUtilization, at("targetCPUUtilization"), 1, 100, 70, problems);
    const memoryOk =
        input.targetMemoryUtilization === undefined || checkInteger(input.targetMemoryUtilization, at("targetMemoryUtilization"), 1, 100, problems);
    const behavior = resolveAutoscalingBehavior(input.behavior, at("behavior"), problems);
    if (!okMin || !okMax || !memoryOk) {
        return undefined;
    }
    const minReplicas = input.minReplicas as number;
    const maxReplicas = input.maxReplicas as number;
    if (maxReplicas < minReplicas) {
        problems.add(at("maxReplicas"), maxReplicas, `must be at least autoscaling.minReplicas (${minReplicas})`);
        return undefined;
    }
    return {
        minReplicas,
        maxReplicas,
        targetCPUUtilization: cpu,
        ...(input.targetMemoryUtilization === undefined ? {} : { targetMemoryUtilization: input.targetMemoryUtilization as number }),
        ...(behavior === undefined ? {} : { behavior }),
    };
}

function resolveShutdown(value: unknown, path: string, problems: Problems): ResolvedSettings["shutdown"] | undefined {
    const input = checkObject(value ?? {}, path, ["drainSeconds", "timeoutSeconds", "gracePeriodSeconds"], problems);
    if (!input) {
        return undefined;
    }
    const drainSeconds = optionalInteger(input.drainSeconds, joinPath(path, "drainSeconds"), 0, 120, 5, problems);
    const timeoutSeconds = optionalInteger(input.timeoutSeconds, joinPath(path, "timeoutSeconds"), 1, 600, 20, problems);
    const minimumGrace = drainSeconds + timeoutSeconds + 1;
    const gracePeriodSeconds = optionalInteger(
        input.gracePeriodSeconds,
        joinPath(path, "gracePeriodSeconds"),
        1,
        3600,
        drainSeconds + timeoutSeconds + 5,
        problems,
    );
    if (input.gracePeriodSeconds !== undefined && gracePeriodSeconds < minimumGrace) {
        problems.add(
            joinPath(path, "gracePeriodSeconds"),
            input.gracePeriodSeconds,
            `must be more than drainSeconds + timeoutSeconds (${drainSeconds} + ${timeoutSeconds}), or the kubelet kills the process mid-shutdown`,
        );
    }
    return { drainSeconds, timeoutSeconds, gracePeriodSeconds };
}

function resolveProbes(value: unknown, path: string, problems: Problems): ResolvedSettings["probes"] | undefined {
    const input = checkObject(value ?? {}, path, ["startup", "liveness", "readiness"], problems);
    if (!input) {
        return undefined;
    }
    const probe = (kind: keyof ResolvedSettings["probes"]): ResolvedProbe => {
        const at = joinPath(path, kind);
        const fallback = defaultProbes[kind];
        const timing = checkObject(input[kind] ?? {}, at, ["periodSeconds", "timeoutSeconds", "failureThreshold", "initialDelaySeconds"], problems) ?? {};
        const periodSeconds = optionalInteger(timing.periodSeconds, joinPath(at, "periodSeconds"), 1, 300, fallback.periodSeconds, problems);
        const timeoutSeconds = optionalInteger(timing.timeoutSeconds, joinPath(at, "timeoutSeconds"), 1, 60, fallback.timeoutSeconds, problems);
        if (timing.timeoutSeconds !== undefined && timeoutSeconds > periodSeconds) {
            problems.add(joinPath(at, "timeoutSeconds"), timeoutSeconds, `must not exceed periodSeconds (${periodSeconds})`);
        }
        return {
            periodSeconds,
            timeoutSeconds,
            failureThreshold: optionalInteger(timing.failureThreshold, joinPath(at, "failureThreshold"), 1, 100, fallback.failureThreshold, problems),
            initialDelaySeconds: optionalInteger(
                timing.initialDelaySeconds,
                joinPath(at, "initialDelaySeconds"),
                0,
                600,
                fallback.initialDelaySeconds,
                problems,
            ),
        };
    };
    return { startup: probe("startup"), liveness: probe("liveness"), readiness: probe("readiness") };
}

const ipv4Cidr = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const ipv6Cidr = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

function checkCidr(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || !(ipv4Cidr.test(value) || ipv6Cidr.test(value))) {
        problems.add(path, value, 'must be a CIDR block, e.g. "10.0.0.0/16" or "fd00::/8"');
        return false;
    }
    return true;
}

function resolveNetwork(value: unknown, path: string, context: ResolveContext, problems: Problems): ResolvedSettings["network"] | undefined {
    const input = checkObject(value ?? {}, path, ["ingressNamespaces", "egress"], problems);
    if (!input) {
        return undefined;
    }
    const ingressNamespaces = checkList(
        input.ingressNamespaces,
        joinPath(path, "ingressNamespaces"),
        "namespace names",
        (namespace, at) => (checkDnsLabel(namespace, at, problems) ? namespace : undefined),
        problems,
    );
    const egress = checkList(
        input.egress,
        joinPath(path, "egress"),
        "{service} or {cidr, except, ports} entries",
        (entry, at) => resolveEgressRule(entry, at, context, problems),
        problems,
    );
    if (!ingressNamespaces || !egress) {
        return undefined;
    }
    return { ingressNamespaces: [...new Set(ingressNamespaces)].sort(), egress };
}

function resolveEgressRule(value: unknown, path: string, context: ResolveContext, problems: Problems): ResolvedEgressRule | undefined {
    if (isPlainObject(value) && "service" in value) {
        const input = checkObject(value, path, ["service", "port"], problems);
        if (!input || !checkDnsLabel(input.service, joinPath(path, "service"), problems)) {
            return undefined;
        }
        if (input.service === context.name) {
            problems.add(joinPath(path, "service"), input.service, "must name another service; a service's own pods need no egress rule to reach it");
            return undefined;
        }
        const known = context.servicePorts?.get(input.service);
        if (context.servicePorts && known === undefined) {
            problems.add(joinPath(path, "service"), input.service, `must name a service of this stack: ${[...context.servicePorts.keys()].join(", ")}`);
            return undefined;
        }
        const port = optionalInteger(input.port, joinPath(path, "port"), 1024, 65535, known ?? defaultPort, problems);
        return { kind: "service", service: input.service, port };
    }
    const input = checkObject(value, path, ["cidr", "except", "ports"], problems);
    if (!input || !checkCidr(input.cidr, joinPath(path, "cidr"), problems)) {
        return undefined;
    }
    const except = checkList(input.except, joinPath(path, "except"), "CIDR blocks", (cidr, at) => (checkCidr(cidr, at, problems) ? cidr : undefined), problems);
    const ports = checkList(
        input.ports,
        joinPath(path, "ports"),
        "port numbers",
        (port, at) => (checkInteger(port, at, 1, 65535, problems) ? port : undefined),
        problems,
    );
    if (!except || !ports) {
        return undefined;
    }
    return { kind: "cidr", cidr: input.cidr, except, ports };
}

function resolveSecurity(value: unknown, path: string, problems: Problems): ResolvedSettings["security"] | undefined {
    const input = checkObject(
        value ?? {},
        path,
        ["runAsUser", "runAsGroup", "fsGroup", "readOnlyRootFilesystem", "automountServiceAccountToken", "seccompProfile"],
        problems,
    );
    if (!input) {
        return undefined;
    }
    const id = (key: string) => optionalInteger(input[key], joinPath(path, key), 1, 2147483647, nonRootId, problems);
    const flag = (key: string, fallback: boolean) =>
        input[key] === undefined ? fallback : (checkBoolean(input[key], joinPath(path, key), problems) ?? fallback);
    const seccompPath = joinPath(path, "seccompProfile");
    let seccompProfile: ResolvedSettings["security"]["seccompProfile"] = { type: "RuntimeDefault" };
    if (input.seccompProfile !== undefined) {
        const profile = checkObject(input.seccompProfile, seccompPath, ["type", "localhostProfile"], problems);
        if (profile && checkOneOf(profile.type, joinPath(seccompPath, "type"), ["RuntimeDefault", "Localhost"] as const, problems)) {
            if (profile.type === "Localhost") {
                if (typeof profile.localhostProfile === "string" && profile.localhostProfile.length > 0) {
                    seccompProfile = { type: "Localhost", localhostProfile: profile.localhostProfile };
                } else {
                    problems.add(
                        joinPath(seccompPath, "localhostProfile"),
                        profile.localhostProfile,
                        "must name the profile file on the node when type is Localhost",
                    );
                }
            } else if (profile.localhostProfile !== undefined) {
                problems.add(joinPath(seccompPath, "localhostProfile"), profile.localhostProfile, "is only allowed when type is Localhost");
            }
        }
    }
    return {
        runAsUser: id("runAsUser"),
        runAsGroup: id("runAsGroup"),
        fsGroup: id("fsGroup"),
        readOnlyRootFilesystem: flag("readOnlyRootFilesystem", true),
        automountServiceAccountToken: flag("automountServiceAccountToken", false),
        seccompProfile,
    };
}

function resolveRollout(value: unknown, path: string, problems: Problems): ResolvedSettings["rollout"] | undefined {
    const input = checkObject(value ?? {}, path, ["maxSurge", "minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit", "timeout"], problems);
    if (!input) {
        return undefined;
    }
    const at = (key: string) => joinPath(path, key);
    const minReadySeconds = optionalInteger(input.minReadySeconds, at("minReadySeconds"), 0, 600, 5, problems);
    const progressDeadlineSeconds = optionalInteger(input.progressDeadlineSeconds, at("progressDeadlineSeconds"), 30, 3600, 300, problems);
    if (progressDeadlineSeconds <= minReadySeconds) {
        problems.add(at("progressDeadlineSeconds"), progressDeadlineSeconds, `must be more than minReadySeconds (${minReadySeconds})`);
    }
    const timeout = input.timeout ?? "10m";
    const timeoutIsDuration = typeof timeout === "string" && /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/.test(timeout);
    if (!timeoutIsDuration) {
        problems.add(at("timeout"), timeout, 'must be a duration such as "10m", "1h" or "90s"');
    }
    return {
        maxSurge: optionalInteger(input.maxSurge, at("maxSurge"), 1, 50, 1, problems),
        minReadySeconds,
        progressDeadlineSeconds,
        revisionHistoryLimit: optionalInteger(input.revisionHistoryLimit, at("revisionHistoryLimit"), 0, 50, 5, problems),
        timeout: timeoutIsDuration ? timeout : "10m",
    };
}
