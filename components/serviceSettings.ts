/**
 * The settings of one Go service, as a stack file (`go-services:services.<name>`) or a
 * TypeScript caller (`new GoService(name, args)`) gives them: one zod schema states each key's
 * type, bounds, default and description; the TypeScript types, the stack files' JSON Schema and
 * the README's key table are derived from it. The rules that need the stack (other services,
 * the file system, promotion) are code, in {@link resolveServiceSettings}.
 *
 * Adding a key: add one entry to {@link serviceSettingsSchema} (a field schema from
 * validation.ts, `.default(...)` or `.optional()`, and `.meta({ description })`), then run
 * `npm run schema` to regenerate schema/stack-config.schema.json and the README tables.
 */
import { rolloutStrategyCheck, rolloutStrategyShape, withCanaryDefaults } from "./rolloutStrategy";
import { z } from "zod";
import { autoscalingBehaviorSchema } from "./autoscalingBehavior";
import { instanceName } from "./labels";
import { compareQuantities, parseQuantity } from "./quantity";
import { alertThresholdsSchema, defaultMetricsPort } from "./monitoringSettings";
import { defaultPreset, presetNames, resourcePresets } from "./presets";
import {
    allowing,
    checkDnsLabel,
    crossField,
    digestReference,
    dnsLabel,
    flag,
    hiddenSecret,
    imageTag,
    integer,
    isPlainObject,
    joinPath,
    listOf,
    matching,
    oneOf,
    parseInto,
    Problems,
    quantity,
    relativePath,
    secretValue,
} from "./validation";

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
export const defaultProbes = {
    startup: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30, initialDelaySeconds: 0 },
    liveness: { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3, initialDelaySeconds: 0 },
    readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, initialDelaySeconds: 0 },
} as const;

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

const envName = allowing(
    z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .refine((name) => !(name in reservedEnvNames), {
            error: (issue) => `is set by go-services; configure ${reservedEnvNames[String(issue.input)] ?? "its own key"} instead`,
        }),
    "must be an environment variable name: letters, digits and '_', not starting with a digit",
);

const resourceAmounts = (fallback: { ephemeralStorage: string }) =>
    z.strictObject({
        cpu: quantity("cpu").meta({ description: "CPU, e.g. `250m`." }),
        memory: quantity("bytes").meta({ description: "Memory, e.g. `256Mi`." }),
        ephemeralStorage: quantity("bytes").default(fallback.ephemeralStorage).meta({ description: "Ephemeral storage (/tmp and the logs)." }),
    });

const explicitResources = z
    .strictObject({
        requests: resourceAmounts(resourcePresets[defaultPreset].requests),
        limits: resourceAmounts(resourcePresets[defaultPreset].limits),
    })
    .check(
        crossField(["requests", "limits"], ({ requests, limits }, report) => {
            for (const resource of ["cpu", "memory", "ephemeralStorage"] as const) {
                const request = parseQuantity(requests[resource]);
                const limit = parseQuantity(limits[resource]);
                if (request && limit && compareQuantities(limit, request) < 0) {
                    report(["limits", resource], limits[resource], `must be at least the request (${requests[resource]})`);
                }
            }
        }),
    );

const probe = (name: keyof typeof defaultProbes) => {
    const fallback = defaultProbes[name];
    return z
        .strictObject({
            periodSeconds: integer(1, 300).default(fallback.periodSeconds).meta({ description: "Seconds between probes." }),
            timeoutSeconds: integer(1, 60)
                .optional()
                .meta({ description: `Seconds before one probe times out; at most periodSeconds. Default ${fallback.timeoutSeconds}.` }),
            failureThreshold: integer(1, 100)
                .default(fallback.failureThreshold)
                .meta({ description: "Consecutive failures before the probe counts as failed." }),
            initialDelaySeconds: integer(0, 600).default(fallback.initialDelaySeconds).meta({ description: "Seconds to wait before the first probe." }),
        })
        .check(
            crossField(["periodSeconds", "timeoutSeconds"], (timing, report) => {
                if (timing.timeoutSeconds !== undefined && timing.timeoutSeconds > timing.periodSeconds) {
                    report("timeoutSeconds", timing.timeoutSeconds, `must not exceed periodSeconds (${timing.periodSeconds})`);
                }
            }),
        )
        .transform((timing) => ({ ...timing, timeoutSeconds: timing.timeoutSeconds ?? fallback.timeoutSeconds }))
        .prefault({});
};

const cidrBlock = matching(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$|^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/,
    'must be a CIDR block, e.g. "10.0.0.0/16" or "fd00::/8"',
);

const egressRule = allowing(
    z.union([
        z
            .strictObject({
                service: dnsLabel().meta({ description: "Another service of this stack (same namespace), by name." }),
                port: integer(1024, 65535).optional().meta({ description: "Its container port. Default: its `port` in this stack, or 8080." }),
            })
            .transform((rule) => ({ kind: "service" as const, ...rule })),
        z
            .strictObject({
                cidr: cidrBlock.meta({ description: 'An IPv4 or IPv6 CIDR block, e.g. "10.0.0.0/16".' }),
                except: listOf(cidrBlock, "must be a list of CIDR blocks").meta({ description: "CIDR blocks inside `cidr` that stay blocked." }),
                ports: listOf(integer(1, 65535), "must be a list of port numbers").meta({ description: "TCP ports allowed; all ports when empty." }),
            })
            .transform((rule) => ({ kind: "cidr" as const, ...rule })),
    ]),
    "must be {service, port?} or {cidr, except?, ports?}",
);

/**
 * What a service may set: every key optional, the default stated on each. Secure settings are
 * the default and each has a named override.
 */
export const serviceSettingsSchema = z
    .strictObject({
        path: relativePath.optional().meta({
            description:
                "The service's Go module directory, directly under `services/`, with `go.mod` and `cmd/<folder>/main.go`. Default `services/<name>`. Only for an image built here (refused with `image` or in a promoting stack).",
        }),
        dockerfile: relativePath
            .default(goldenDockerfile)
            .meta({ description: "An existing Dockerfile, relative to the project, that builds the image. Only for an image built here." }),
        image: digestReference.optional().meta({
            description:
                "Deploy this image instead of building one: `<repository>@sha256:<64 hex>`, by digest only (a tag is refused). No repository and no build is created; its version is `imageTag` (the service's or the stack's), which is then required. Default: built here, or promoted (`promotion.fromStack`).",
        }),
        imageTag: imageTag.optional().meta({
            description:
                "This service's image tag, over the stack's `imageTag`; with `image`, the version that image was built as. Refused for a promoted service, which carries the version its source exports.",
        }),
        port: integer(1024, 65535).default(defaultPort).meta({ description: "The port the process listens on (its `PORT`)." }),
        servicePort: integer(1, 65535).default(80).meta({ description: "The port of the ClusterIP Service." }),
        metricsPort: integer(1024, 65535).default(defaultMetricsPort).meta({
            description: "The port of the Prometheus endpoint `/metrics` (the process's `METRICS_PORT`), open only to the monitoring namespaces; not `port`.",
        }),
        replicas: integer(1, 50).optional().meta({ description: "Pod count when autoscaling is off. Default 1. Not together with `autoscaling`." }),
        resources: allowing(
            z.union([oneOf(presetNames), explicitResources]),
            `must be a preset (one of: ${presetNames.join(", ")}) or {requests: {cpu, memory, ephemeralStorage?}, limits: {cpu, memory, ephemeralStorage?}}`,
        )
            .default(defaultPreset)
            .transform((resources) => (typeof resources === "string" ? resourcePresets[resources] : resources))
            .meta({
                description:
                    "A preset name ([Resource presets](#resource-presets)) or explicit `{requests: {cpu, memory, ephemeralStorage?}, limits: {...}}`; each limit at least its request; `ephemeralStorage` defaults to the `small` preset's.",
            }),
        env: z
            .record(envName, allowing(z.union([z.string(), z.number(), z.boolean()]), "must be a string, number or boolean (secrets belong in secretEnv)"))
            .meta({ allowed: "must be a map of variable name to value" })
            .check(
                crossField(["LOG_LEVEL"], (env, report) => {
                    const level = env.LOG_LEVEL;
                    if (level !== undefined && !(logLevels as readonly unknown[]).includes(String(level))) {
                        report("LOG_LEVEL", level, `must be one of: ${logLevels.join(", ")}`);
                    }
                }),
            )
            .transform((env) => Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)])))
            .default({})
            .meta({
                description: `Plain environment variables: name to string, number or boolean. ${Object.keys(reservedEnvNames).join(", ")} are set by go-services; \`LOG_LEVEL\` is ${logLevels.join(", ")}.`,
            }),
        secretEnv: z
            .record(envName, secretValue("must be a secret"))
            .meta({ allowed: "must be a map of variable name to secret", secret: true })
            .default({})
            .meta({
                description:
                    "Secret variables: name to secret. In a stack file the value is the name of a secret config key (`pulumi config set --secret go-services:helloApiToken <value>`); in TypeScript, a Pulumi secret. They reach the pod through a Kubernetes Secret, never as plain values.",
            }),
        autoscaling: z
            .strictObject({
                minReplicas: integer(1, 100).meta({ description: "Fewest pods." }),
                maxReplicas: integer(1, 100).meta({ description: "Most pods; at least `minReplicas`." }),
                targetCPUUtilization: integer(1, 100).default(70).meta({ description: "Average CPU utilisation target, in percent of the request." }),
                targetMemoryUtilization: integer(1, 100)
                    .optional()
                    .meta({ description: "Average memory utilisation target, in percent of the request; not used when omitted." }),
                behavior: autoscalingBehaviorSchema,
            })
            .check(
                crossField(["minReplicas", "maxReplicas"], ({ minReplicas, maxReplicas }, report) => {
                    if (maxReplicas < minReplicas) {
                        report("maxReplicas", maxReplicas, `must be at least autoscaling.minReplicas (${minReplicas})`);
                    }
                }),
            )
            .optional()
            .meta({ description: "A HorizontalPodAutoscaler (autoscaling/v2). Off by default." }),
        shutdown: z
            .strictObject({
                drainSeconds: integer(0, 120)
                    .default(5)
                    .meta({ description: "Seconds readiness answers 503 and the server keeps serving after SIGTERM (`SHUTDOWN_DRAIN`)." }),
                timeoutSeconds: integer(1, 600).default(20).meta({ description: "Seconds in-flight requests get to finish (`SHUTDOWN_TIMEOUT`)." }),
                gracePeriodSeconds: integer(1, 3600)
                    .optional()
                    .meta({ description: "terminationGracePeriodSeconds; more than drain + timeout. Default drain + timeout + 5." }),
            })
            .check(
                crossField(["drainSeconds", "timeoutSeconds", "gracePeriodSeconds"], ({ drainSeconds, timeoutSeconds, gracePeriodSeconds }, report) => {
                    if (gracePeriodSeconds !== undefined && gracePeriodSeconds <= drainSeconds + timeoutSeconds) {
                        report(
                            "gracePeriodSeconds",
                            gracePeriodSeconds,
                            `must be more than drainSeconds + timeoutSeconds (${drainSeconds} + ${timeoutSeconds}), or the kubelet kills the process mid-shutdown`,
                        );
                    }
                }),
            )
            .transform((shutdown) => ({ ...shutdown, gracePeriodSeconds: shutdown.gracePeriodSeconds ?? shutdown.drainSeconds + shutdown.timeoutSeconds + 5 }))
            .prefault({})
            .meta({ description: "Graceful shutdown timing." }),
        probes: z
            .strictObject({
                startup: probe("startup").meta({ description: "Startup probe: /livez until it passes; liveness and readiness wait for it." }),
                liveness: probe("liveness").meta({ description: "Liveness probe: /livez; failing restarts the container." }),
                readiness: probe("readiness").meta({ description: "Readiness probe: /readyz; failing takes the pod out of the Service." }),
            })
            .prefault({})
            .meta({ description: "Probe timings; the paths and port are fixed by the service contract." }),
        network: z
            .strictObject({
                ingressNamespaces: listOf(dnsLabel(), "must be a list of namespace names")
                    .transform((names) => [...new Set(names)].sort())
                    .meta({ description: "Namespaces (besides the service's own) allowed to reach the service port." }),
                egress: listOf(egressRule, "must be a list of {service} or {cidr, except, ports} entries").meta({
                    description: "Destinations allowed besides cluster DNS: `{service: <another service of the stack>, port?}` or `{cidr, except?, ports?}`.",
                }),
            })
            .prefault({})
            .meta({ description: "NetworkPolicy: who may connect in, where the pods may connect out. Default: own namespace in, DNS out." }),
        topologySpread: oneOf(["ScheduleAnyway", "DoNotSchedule", "none"])
            .default("ScheduleAnyway")
            .meta({ description: "Zone and hostname spread of the replicas when more than one runs ([Spreading replicas](#spreading-replicas))." }),
        maxUnavailable: integer(1, 50).default(1).meta({ description: "PodDisruptionBudget maxUnavailable, created when more than one replica runs." }),
        tmpSizeLimit: quantity("bytes").default("32Mi").meta({ description: "Size limit of the /tmp emptyDir; at most the ephemeral-storage limit." }),
        imagePullPolicy: oneOf(imagePullPolicies)
            .default(defaultImagePullPolicy)
            .meta({ description: "When the kubelet pulls the image ([Image pull policy](#image-pull-policy))." }),
        security: z
            .strictObject({
                runAsUser: integer(1, 2147483647).default(nonRootId).meta({ description: "The user id (the policy pack requires at least 10000)." }),
                runAsGroup: integer(1, 2147483647).default(nonRootId).meta({ description: "The group id." }),
                fsGroup: integer(1, 2147483647).default(nonRootId).meta({ description: "The group of mounted volumes." }),
                readOnlyRootFilesystem: flag().default(true).meta({ description: "A read-only root filesystem; /tmp stays writable." }),
                automountServiceAccountToken: flag()
                    .default(false)
                    .meta({ description: "Mount the ServiceAccount token: only for services that call the Kubernetes API." }),
                seccompProfile: z
                    .discriminatedUnion("type", [
                        z.strictObject({ type: z.literal("RuntimeDefault") }),
                        z.strictObject({
                            type: z.literal("Localhost"),
                            localhostProfile: allowing(z.string().min(1), "must name the profile file on the node when type is Localhost"),
                        }),
                    ])
                    .meta({ allowed: "must be {type: RuntimeDefault} or {type: Localhost, localhostProfile}" })
                    .default({ type: "RuntimeDefault" })
                    .meta({ description: "`{type: RuntimeDefault}`, or `{type: Localhost, localhostProfile: <file on the node>}`." }),
            })
            .prefault({})
            .meta({ description: 'Pod and container security; the defaults pass the Pod Security Standards "restricted" profile.' }),
        rollout: z
            .strictObject({
                maxSurge: integer(1, 50).default(1).meta({ description: "Extra pods during a rolling update (maxUnavailable is always 0)." }),
                minReadySeconds: integer(0, 600).default(5).meta({ description: "Seconds a new pod must be ready before it counts as available." }),
                progressDeadlineSeconds: integer(30, 3600)
                    .default(300)
                    .meta({ description: "Seconds before a stuck rollout is reported failed; more than minReadySeconds." }),
                revisionHistoryLimit: integer(0, 50).default(5).meta({ description: "Old ReplicaSets kept for rollback." }),
                timeout: matching(/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/, 'must be a duration such as "10m", "1h" or "90s"')
                    .default("10m")
                    .meta({
                        description:
                            "How long `pulumi up` waits for the Deployment to become ready. A canary waits for its full promotion as long as its analyses take plus progressDeadlineSeconds plus a minute, or this when longer; an abort fails it at once.",
                    }),
                ...rolloutStrategyShape,
            })
            .check(
                crossField(["minReadySeconds", "progressDeadlineSeconds"], ({ minReadySeconds, progressDeadlineSeconds }, report) => {
                    if (progressDeadlineSeconds <= minReadySeconds) {
                        report("progressDeadlineSeconds", progressDeadlineSeconds, `must be more than minReadySeconds (${minReadySeconds})`);
                    }
                }),
                rolloutStrategyCheck,
            )
            .transform(withCanaryDefaults)
            .prefault({})
            .meta({ description: "Rollout behaviour." }),
        alerts: alertThresholdsSchema
            .prefault({})
            .meta({ description: "This service's alert thresholds, over the stack's `monitoring.alerts` ([Alert thresholds](#alert-thresholds))." }),
        component: dnsLabel().default("server").meta({ description: "The `app.kubernetes.io/component` label." }),
    })
    .check(
        crossField(["port", "metricsPort"], ({ port, metricsPort }, report) => {
            if (port !== metricsPort) {
                return;
            }
            if (metricsPort === defaultMetricsPort) {
                report(
                    "port",
                    port,
                    `must differ from metricsPort (default ${defaultMetricsPort}), the port of the metrics endpoint; choose another port or set metricsPort`,
                );
            } else {
                report("metricsPort", metricsPort, `must differ from port (${port}): the metrics endpoint has a port of its own`);
            }
        }),
        crossField(["replicas", "autoscaling"], ({ replicas, autoscaling }, report) => {
            if (autoscaling && replicas !== undefined) {
                report(
                    "replicas",
                    replicas,
                    "must be left out when autoscaling is set: the HorizontalPodAutoscaler owns the replica count (use autoscaling.minReplicas)",
                );
            }
        }),
        crossField(["env", "secretEnv"], ({ env, secretEnv }, report) => {
            for (const name of Object.keys(secretEnv).filter((name) => name in env)) {
                report(["secretEnv", name], hiddenSecret, "is also set in env; a variable is either plain (env) or secret (secretEnv)");
            }
        }),
        crossField(["resources", "tmpSizeLimit"], ({ resources, tmpSizeLimit }, report) => {
            const size = parseQuantity(tmpSizeLimit);
            const limit = parseQuantity(resources.limits.ephemeralStorage);
            if (size && limit && compareQuantities(size, limit) > 0) {
                report("tmpSizeLimit", tmpSizeLimit, `must not exceed the ephemeral-storage limit (${resources.limits.ephemeralStorage})`);
            }
        }),
    );

/** What a service may change, as a stack file or a TypeScript caller gives it. */
export type ServiceSettings = z.input<typeof serviceSettingsSchema>;

type ParsedSettings = z.output<typeof serviceSettingsSchema>;

/** A resolved probe: all fields set. */
export type ResolvedProbe = ParsedSettings["probes"]["startup"];

/** A resolved egress rule: a service rule's port filled in from the stack. */
export type ResolvedEgressRule = { kind: "service"; service: string; port: number } | Extract<ParsedSettings["network"]["egress"][number], { kind: "cidr" }>;

/** Settings after checking and defaults: what the builders consume. */
export type ResolvedSettings = Omit<ParsedSettings, "path" | "replicas" | "secretEnv" | "network"> & {
    path: string;
    /** The folder's name under services/: the Dockerfile's SERVICE argument. */
    directory: string;
    replicas: number;
    /** Names of the secret variables, sorted. */
    secretEnvNames: string[];
    network: { ingressNamespaces: string[]; egress: ResolvedEgressRule[] };
};

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
 * Checks one service's settings against the schema, then the rules that need the stack:
 * the service folder and Dockerfile, what a given or promoted image leaves out, the services
 * egress rules name. Reports each bad value to `problems` with its path under `path`; returns
 * `undefined` when anything was bad.
 */
export function resolveServiceSettings(raw: unknown, path: string, context: ResolveContext, problems: Problems): ResolvedSettings | undefined {
    const before = problems.count;
    const settings = parseInto(serviceSettingsSchema, raw ?? {}, path, problems);
    const input = isPlainObject(raw) ? raw : {};
    const at = (key: string) => joinPath(path, key);
    const valid = (key: string) => input[key] !== undefined && !problems.has(at(key));

    const notBuiltBecause =
        input.image !== undefined
            ? `the image is given (${at("image")})`
            : context.promotedFrom === undefined
              ? undefined
              : `the image is promoted from ${context.promotedFrom}`;
    const servicePath = typeof input.path === "string" ? input.path : `${servicesRoot}/${context.name}`;
    let directory: string | undefined = context.name;
    if (notBuiltBecause === undefined) {
        directory = problems.has(at("path")) ? undefined : checkServicePath(servicePath, at("path"), context, problems);
        const dockerfile = typeof input.dockerfile === "string" ? input.dockerfile : goldenDockerfile;
        if (!problems.has(at("dockerfile")) && context.directories && !context.directories.fileExists(dockerfile)) {
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
    if (valid("imageTag") && input.image === undefined && context.promotedFrom !== undefined) {
        problems.add(
            at("imageTag"),
            input.imageTag,
            `must be left out: a promoted service is labelled with the version ${context.promotedFrom} exports for it (services.<name>.version), which is what its /version answers`,
        );
    }
    const egress = settings?.network.egress.map((rule, index) =>
        resolveEgressRule(rule, joinPath(joinPath(at("network"), "egress"), index), context, problems),
    );

    if (problems.count > before || settings === undefined || directory === undefined || egress === undefined) {
        return undefined;
    }
    const { secretEnv, replicas, network, ...rest } = settings;
    return {
        ...rest,
        path: servicePath,
        directory,
        replicas: replicas ?? 1,
        secretEnvNames: Object.keys(secretEnv).sort(),
        network: { ingressNamespaces: network.ingressNamespaces, egress: egress.filter((rule): rule is ResolvedEgressRule => rule !== undefined) },
    };
}

/** An egress rule with the stack's knowledge: a service rule names another service of the stack, on its port. */
function resolveEgressRule(
    rule: ParsedSettings["network"]["egress"][number],
    path: string,
    context: ResolveContext,
    problems: Problems,
): ResolvedEgressRule | undefined {
    if (rule.kind === "cidr") {
        return rule;
    }
    if (rule.service === context.name) {
        problems.add(joinPath(path, "service"), rule.service, "must name another service; a service's own pods need no egress rule to reach it");
        return undefined;
    }
    const known = context.servicePorts?.get(rule.service);
    if (context.servicePorts && known === undefined) {
        problems.add(joinPath(path, "service"), rule.service, `must name a service of this stack: ${[...context.servicePorts.keys()].join(", ")}`);
        return undefined;
    }
    return { kind: "service", service: rule.service, port: rule.port ?? known ?? defaultPort };
}

/** Checks the service's folder; returns its directory name under services/ (the Dockerfile's SERVICE). */
function checkServicePath(value: string, path: string, context: ResolveContext, problems: Problems): string | undefined {
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
