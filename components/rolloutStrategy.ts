/**
 * How a new version of a service reaches its traffic: `rolling` (a Deployment's RollingUpdate,
 * the default) or `canary` (an Argo Rollouts Rollout that shifts traffic in steps and lets an
 * analysis of the canary's own RED metrics promote or abort it). The keys are declared once, as
 * a zod schema: `services.<name>.rollout.strategy` and `services.<name>.rollout.canary`, and the
 * stack's `monitoring.prometheusUrl`, which the analyses query.
 */
import { z } from "zod";
import { ResolvedAlertThresholds } from "./monitoringSettings";
import { closestKey, joinPath, Problems } from "./validation";

/** The release strategies. */
export const rolloutStrategies = ["rolling", "canary"] as const;

/** A release strategy. */
export type RolloutStrategy = (typeof rolloutStrategies)[number];

const duration = z.string({ error: 'must be a duration such as "30s", "1m" or "1m30s"' }).regex(/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/, {
    error: 'must be a duration such as "30s", "1m" or "1m30s"',
});

const ratio = z
    .number({ error: "must be a number above 0 and below 1, e.g. 0.05" })
    .gt(0, { error: "must be above 0 and below 1, e.g. 0.05" })
    .lt(1, { error: "must be above 0 and below 1, e.g. 0.05" });

/** The canary analysis of a service: how often, how long and against which thresholds its canary is judged. */
export const canaryAnalysisSchema = z.strictObject({
    interval: duration.optional().describe('Time between two measurements of a step\'s analysis. Default "30s".'),
    count: z
        .int({ error: "must be a whole number of measurements, 1-20" })
        .min(1, { error: "must be 1-20" })
        .max(20, { error: "must be 1-20" })
        .optional()
        .describe("Measurements per analysis step; all must pass for the step to pass. Default 4."),
    window: duration
        .optional()
        .describe(
            'The range the rates are taken over (PromQL [window]); also the delay before a step\'s first measurement, so it covers canary traffic only. At least two scrape intervals. Default "1m".',
        ),
    errorRatio: ratio.optional().describe("Highest share of the canary's requests answered 5xx. Default: the service's alerts.errorRatio."),
    latencyP99Seconds: z
        .number({ error: "must be a number of seconds above 0 and below 10" })
        .gt(0, { error: "must be above 0 and below 10" })
        .lt(10, { error: "must be above 0 and below 10" })
        .optional()
        .describe("Highest p99 latency of the canary, in seconds. Default: the service's alerts.latencyP99Seconds."),
});

/** A canary's steps and analysis. */
export const canarySchema = z.strictObject({
    steps: z
        .array(z.int({ error: "must be a whole percentage, 1-99" }).min(1, { error: "must be 1-99" }).max(99, { error: "must be 1-99" }), {
            error: "must be a list of traffic percentages, e.g. [10, 50]",
        })
        .min(1, { error: "must name at least one percentage, e.g. [10, 50]" })
        .max(10, { error: "must name at most 10 steps" })
        .refine((steps) => steps.every((step, index) => index === 0 || step > (steps[index - 1] ?? 0)), { error: "must rise step by step, e.g. [10, 50]" })
        .optional()
        .describe("Canary traffic percentages; each is held while the analysis runs, then the next; after the last, 100%. Default [10, 50]."),
    analysis: canaryAnalysisSchema.optional().describe("How each step is judged."),
});

/** The strategy keys of a service's `rollout` settings. */
export const rolloutStrategySchema = z.strictObject({
    strategy: z.enum(rolloutStrategies, { error: "must be rolling or canary" }).optional().describe("How a new version is released. Default rolling."),
    canary: canarySchema.optional().describe("Steps and analysis of the canary; only with strategy canary."),
});

/** The stack's Prometheus for canary analyses, a key of its `monitoring` settings. */
export const prometheusUrlSchema = z
    .url({
        protocol: /^https?$/,
        error: "must be the http(s):// URL of the Prometheus the canary analyses query, e.g. http://prometheus-operated.monitoring.svc:9090",
    })
    .describe(
        "The Prometheus the canary analyses query (its /api/v1/query), as Argo Rollouts' controller reaches it. Required when a service uses the canary strategy.",
    );

/** What a service's `rollout` settings say about canaries, as TypeScript callers give them. */
export type RolloutStrategySettings = z.input<typeof rolloutStrategySchema>;

/** A canary after defaults; the thresholds are filled in from the alerts by {@link canaryThresholds}. */
export interface ResolvedCanary {
    steps: number[];
    analysis: { interval: string; count: number; window: string; errorRatio?: number; latencyP99Seconds?: number };
}

/** The defaults of a canary. */
export const defaultCanary: ResolvedCanary = { steps: [10, 50], analysis: { interval: "30s", count: 4, window: "1m" } };

/** The keys the schema adds to a service's `rollout` settings. */
export const rolloutStrategyKeys = Object.keys(rolloutStrategySchema.shape) as (keyof RolloutStrategySettings)[];

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
    let value = input;
    for (const key of path) {
        value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    }
    return value;
}

/** The keys the schema allows at a key path of the strategy settings. */
function schemaShapeAt(path: readonly PropertyKey[]): Record<string, unknown> {
    const shapes: Record<string, Record<string, unknown>> = {
        "": rolloutStrategySchema.shape,
        canary: canarySchema.shape,
        "canary.analysis": canaryAnalysisSchema.shape,
    };
    return shapes[path.join(".")] ?? {};
}

/** Reports each zod issue as a problem at its key path under `path`, with the value found there. */
function reportIssues(error: z.ZodError, input: unknown, path: string, problems: Problems): void {
    for (const issue of error.issues) {
        const at = issue.path.reduce<string>((prefix, key) => (typeof key === "number" ? `${prefix}[${key}]` : joinPath(prefix, String(key))), path);
        if (issue.code === "unrecognized_keys") {
            const shape = valueAt(input, issue.path);
            const allowed = Object.keys(schemaShapeAt(issue.path));
            for (const key of issue.keys) {
                const hint = closestKey(key, allowed);
                problems.add(
                    joinPath(at, key),
                    valueAt(shape, [key]),
                    `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys: ${allowed.join(", ")}`,
                );
            }
        } else {
            problems.add(at, valueAt(input, issue.path), issue.message);
        }
    }
}

/**
 * Checks the strategy keys of a service's `rollout` settings (`path` names them) and fills in
 * the defaults: the adapter from the schema to the hand-written validation.
 */
export function resolveRolloutStrategy(
    input: { strategy?: unknown; canary?: unknown },
    path: string,
    problems: Problems,
): { strategy: RolloutStrategy; canary?: ResolvedCanary } | undefined {
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const parsed = rolloutStrategySchema.safeParse(given);
    if (!parsed.success) {
        reportIssues(parsed.error, given, path, problems);
        return undefined;
    }
    const strategy = parsed.data.strategy ?? "rolling";
    const canary = parsed.data.canary;
    if (strategy === "rolling") {
        if (canary !== undefined) {
            problems.add(joinPath(path, "canary"), canary, "is only allowed with strategy canary (set rollout.strategy: canary, or remove it)");
            return undefined;
        }
        return { strategy };
    }
    return {
        strategy,
        canary: {
            steps: canary?.steps ?? defaultCanary.steps,
            analysis: { ...defaultCanary.analysis, ...canary?.analysis },
        },
    };
}

/** Checks the stack's `monitoring.prometheusUrl`. */
export function resolvePrometheusUrl(value: unknown, path: string, problems: Problems): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    const parsed = prometheusUrlSchema.safeParse(value);
    if (!parsed.success) {
        reportIssues(parsed.error, value, path, problems);
        return undefined;
    }
    return parsed.data.replace(/\/+$/, "");
}

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
