/**
 * How a new version of a service reaches its traffic: `rolling` (a Deployment's RollingUpdate,
 * the default) or `canary` (an Argo Rollouts Rollout that shifts traffic in steps and lets an
 * analysis of the canary's own RED metrics promote or abort it). The keys are declared once, as
 * a zod schema: `services.<name>.rollout.strategy` and `services.<name>.rollout.canary`, and the
 * stack's `monitoring.prometheusUrl`, which the analyses query.
 */
import { z } from "zod";
import { ResolvedAlertThresholds } from "./monitoringSettings";
import { allowing, crossField, duration, integer, joinPath, matching, oneOf, Problems, ratio } from "./validation";

/** The release strategies. */
export const rolloutStrategies = ["rolling", "canary"] as const;

/** A release strategy. */
export type RolloutStrategy = (typeof rolloutStrategies)[number];

/** The canary analysis of a service: how often, how long and against which thresholds its canary is judged. */
export const canaryAnalysisSchema = z.strictObject({
    interval: duration(5, 600, "5s to 10m").default("30s").meta({ description: "Time between two measurements of a step's analysis." }),
    count: integer(1, 20).default(4).meta({ description: "Measurements per analysis step; every one must pass for the step to pass." }),
    window: duration(10, 3600, "10s to 1h").default("1m").meta({
        description:
            "The range the canary's rates are taken over (PromQL `[window]`), and the delay before a step's first measurement, so it covers canary traffic; at least two scrape intervals.",
    }),
    errorRatio: ratio(1, false)
        .optional()
        .meta({ description: "Highest share of the canary's requests answered 5xx. Default: the service's `alerts.errorRatio`." }),
    latencyP99Seconds: ratio(10, false)
        .optional()
        .meta({ description: "Highest p99 latency of the canary, in seconds. Default: the service's `alerts.latencyP99Seconds`." }),
});

/** A canary's steps and analysis. */
export const canarySchema = z.strictObject({
    steps: allowing(
        z
            .array(integer(1, 99, "must be a whole percentage, 1-99"))
            .min(1)
            .max(10)
            .refine((steps) => steps.every((step, index) => index === 0 || step > (steps[index - 1] ?? 0))),
        "must be 1 to 10 rising traffic percentages, e.g. [10, 50]",
    )
        .default([10, 50])
        .meta({ description: "Canary traffic percentages; each is held while the analysis judges the canary, then the next; after the last, 100%." }),
    analysis: canaryAnalysisSchema.prefault({}).meta({ description: "How each step is judged." }),
});

/** The strategy keys of a service's `rollout` settings, spread into its schema (serviceSettings.ts). */
export const rolloutStrategyShape = {
    strategy: oneOf(rolloutStrategies).default("rolling").meta({
        description: "How a new version is released: `rolling` (a Deployment) or `canary` (an Argo Rollouts Rollout, [Canary releases](#canary-releases)).",
    }),
    canary: canarySchema.optional().meta({ description: "Steps and analysis of the canary; only with `strategy: canary`, which fills in the defaults." }),
};

/** Canary settings are only for canaries; a canary without them gets the defaults. */
export const rolloutStrategyCheck = crossField<{ strategy: RolloutStrategy; canary?: unknown }>(["strategy", "canary"], (rollout, report) => {
    if (rollout.strategy === "rolling" && rollout.canary !== undefined) {
        report("canary", rollout.canary, "is only allowed with strategy canary (set rollout.strategy: canary, or remove it)");
    }
});

/** Fills in a canary's defaults when the strategy is canary. */
export function withCanaryDefaults<T extends { strategy: RolloutStrategy; canary?: ResolvedCanary }>(rollout: T): T {
    return rollout.strategy === "canary" && rollout.canary === undefined ? { ...rollout, canary: canarySchema.parse({}) } : rollout;
}

/** The stack's Prometheus for canary analyses, a key of its `monitoring` settings. */
// A pattern, not z.url(): the JSON Schema's "uri" format is one editors and ajv do not all check.
export const prometheusUrlSchema = matching(
    /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
    "must be the http(s):// URL of the Prometheus the canary analyses query, e.g. http://prometheus-operated.monitoring.svc:9090",
)
    .transform((url) => url.replace(/\/+$/, ""))
    .optional()
    .meta({
        description:
            "The Prometheus the canary analyses query (its `/api/v1/query`), as Argo Rollouts' controller reaches it. Required when a service uses `rollout.strategy: canary`.",
    });

/** A canary after defaults; the thresholds are filled in from the alerts by {@link canaryThresholds}. */
export type ResolvedCanary = z.output<typeof canarySchema>;

/** The defaults of a canary. */
export const defaultCanary: ResolvedCanary = canarySchema.parse({});

/** The thresholds a canary is judged by: its own, else the service's alert thresholds (one source of truth). */
export function canaryThresholds(canary: ResolvedCanary, alerts: ResolvedAlertThresholds): { errorRatio: number; latencyP99Seconds: number } {
    return {
        errorRatio: canary.analysis.errorRatio ?? alerts.errorRatio,
        latencyP99Seconds: canary.analysis.latencyP99Seconds ?? alerts.latencyP99Seconds,
    };
}

/** Everything a canary release is built from: its steps, the thresholds it is judged by, the Prometheus it asks. */
export interface CanaryRelease {
    canary: ResolvedCanary;
    thresholds: { errorRatio: number; latencyP99Seconds: number };
    prometheusUrl: string;
}

/**
 * The canary release of a service, or undefined for `rolling` (and when the stack cannot judge
 * a canary, which is reported). A canary is judged by the service's metrics in Prometheus: its
 * stack must have Prometheus scrape the services (monitoring.mode other than none) and name the
 * Prometheus to query. `servicePath` names the service's settings, `monitoringPath` the stack's
 * monitoring settings.
 */
export function resolveCanaryRelease(
    rollout: { strategy: RolloutStrategy; canary?: ResolvedCanary },
    monitoring: { mode: string; prometheusUrl?: string; alerts: ResolvedAlertThresholds },
    serviceAlerts: Partial<ResolvedAlertThresholds>,
    paths: { service: string; monitoring: string },
    problems: Problems,
): CanaryRelease | undefined {
    const canary = rollout.canary;
    if (rollout.strategy !== "canary" || canary === undefined) {
        return undefined;
    }
    const strategyPath = joinPath(joinPath(paths.service, "rollout"), "strategy");
    if (monitoring.mode === "none") {
        problems.add(
            strategyPath,
            rollout.strategy,
            `needs the services' metrics in Prometheus, and ${joinPath(paths.monitoring, "mode")} is none: set it to annotations or prometheusOperator, or use strategy rolling`,
        );
        return undefined;
    }
    if (monitoring.prometheusUrl === undefined) {
        problems.add(
            joinPath(paths.monitoring, "prometheusUrl"),
            undefined,
            `is required by ${strategyPath} canary: the http(s):// URL of the Prometheus its analysis queries, e.g. http://prometheus-operated.monitoring.svc:9090`,
        );
        return undefined;
    }
    return { canary, thresholds: canaryThresholds(canary, { ...monitoring.alerts, ...serviceAlerts }), prometheusUrl: monitoring.prometheusUrl };
}
