/**
 * The canary release of a service, as pure functions of plain settings: an Argo Rollouts
 * Rollout (argoproj.io/v1alpha1) that runs the same hardened pod template as the Deployment it
 * replaces, and the AnalysisTemplate that judges each step by the canary's own 5xx ratio and p99
 * latency in Prometheus. Without a traffic router, Argo approximates a step's weight by the ratio
 * of canary to stable pods behind the one Service.
 */
import { createHash } from "crypto";
import type { types } from "@pulumi/kubernetes";
import { recommendedLabels, ServiceIdentity } from "./labels";
import { decimal, platformMetrics } from "./monitoring";
import { ResolvedCanary } from "./rolloutStrategy";
import { ResolvedSettings } from "./serviceSettings";
import { durationSeconds } from "./validation";
import { buildWorkloadShell, WorkloadSpec } from "./workload";

/** The AnalysisTemplate argument carrying the canary's pod-template-hash. */
export const canaryHashArg = "canary-hash";

/** The metrics of the analysis, by the alert threshold each applies. */
export const analysisMetricNames = { errorRatio: "error-ratio", latencyP99Seconds: "latency-p99" } as const;

/**
 * What a query answers when the canary served no request in the window: neither the success
 * nor the failure condition holds for it, so the measurement is Inconclusive, and an
 * inconclusive run never promotes (Argo pauses the rollout).
 */
export const noTrafficValue = -1;

/** Seconds Argo's Prometheus provider waits for one query. */
export const queryTimeoutSeconds = 10;

/** Consecutive failed queries (e.g. Prometheus unreachable) tolerated; one more errs the run, which aborts the rollout. */
export const consecutiveErrorLimit = 2;

interface ObjectMeta {
    name: string;
    namespace: string;
    labels: Record<string, string>;
}

/** One step of a canary: shift traffic, or hold it while the analysis judges the canary. */
export type CanaryStep =
    | { setWeight: number }
    | {
          analysis: {
              templates: { templateName: string }[];
              args: { name: string; valueFrom: { podTemplateHashValue: "Latest" } }[];
          };
      };

/** argoproj.io/v1alpha1 Rollout: as much of it as go-services sets. */
export interface Rollout {
    apiVersion: "argoproj.io/v1alpha1";
    kind: "Rollout";
    metadata: ObjectMeta;
    spec: {
        replicas?: number;
        selector: { matchLabels: Record<string, string> };
        template: types.input.core.v1.PodTemplateSpec;
        minReadySeconds: number;
        progressDeadlineSeconds: number;
        /** A stuck update is aborted, so stable takes all traffic back. */
        progressDeadlineAbort: boolean;
        revisionHistoryLimit: number;
        strategy: { canary: { maxSurge: number; maxUnavailable: number; steps: CanaryStep[] } };
    };
}

/** One metric of an AnalysisTemplate. */
export interface AnalysisMetric {
    name: string;
    interval: string;
    initialDelay: string;
    count: number;
    failureLimit: number;
    inconclusiveLimit: number;
    consecutiveErrorLimit: number;
    successCondition: string;
    failureCondition: string;
    provider: { prometheus: { address: string; query: string; timeout: number } };
}

/** argoproj.io/v1alpha1 AnalysisTemplate: as much of it as go-services sets. */
export interface AnalysisTemplate {
    apiVersion: "argoproj.io/v1alpha1";
    kind: "AnalysisTemplate";
    metadata: ObjectMeta;
    spec: { args: { name: string }[]; metrics: AnalysisMetric[] };
}

/** The name of a service's AnalysisTemplate. */
export function analysisTemplateName(identity: Pick<ServiceIdentity, "name">): string {
    return `${identity.name}-canary`;
}

/** The PromQL matchers of the canary's pods: `<rollout>-<pod-template-hash>-<5 characters>`. */
function canaryMatchers(identity: Pick<ServiceIdentity, "name" | "namespace">): string {
    return `namespace="${identity.namespace}", pod=~"${identity.name}-{{args.${canaryHashArg}}}-[a-z0-9]{5}"`;
}

/**
 * The canary's share of requests answered 5xx over `window`; {@link noTrafficValue} when it
 * answered none (the query never returns an empty result, which Argo counts as an error).
 */
export function canaryErrorRatioQuery(identity: Pick<ServiceIdentity, "name" | "namespace">, window: string): string {
    const matchers = canaryMatchers(identity);
    const requests = platformMetrics.requests;
    return [
        `(sum(rate(${requests}{${matchers}, status=~"5.."}[${window}])) or vector(0))`,
        `  /`,
        `(sum(rate(${requests}{${matchers}}[${window}])) > 0)`,
        `or vector(${noTrafficValue})`,
    ].join("\n");
}

/** The canary's p99 latency in seconds over `window`; {@link noTrafficValue} when it answered no request. */
export function canaryLatencyQuery(identity: Pick<ServiceIdentity, "name" | "namespace">, window: string): string {
    const matchers = canaryMatchers(identity);
    // histogram_quantile of no requests is NaN, which ">= 0" drops.
    return `histogram_quantile(0.99, sum by (le) (rate(${platformMetrics.duration}_bucket{${matchers}}[${window}]))) >= 0\nor vector(${noTrafficValue})`;
}

/** The Rollout's steps: each weight, then the analysis that must pass before the next; after the last, 100%. */
export function buildCanarySteps(identity: Pick<ServiceIdentity, "name">, canary: ResolvedCanary): CanaryStep[] {
    const analysis: CanaryStep = {
        analysis: {
            templates: [{ templateName: analysisTemplateName(identity) }],
            args: [{ name: canaryHashArg, valueFrom: { podTemplateHashValue: "Latest" } }],
        },
    };
    return canary.steps.flatMap((weight) => [{ setWeight: weight }, analysis]);
}

/** The Rollout that replaces the Deployment of a canary service: the same workload shell and pod template, built by the same function. */
export function buildRollout(spec: WorkloadSpec & { canary: ResolvedCanary }): Rollout {
    const shell = buildWorkloadShell(spec);
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: shell.metadata,
        spec: {
            ...shell.spec,
            progressDeadlineAbort: true,
            strategy: {
                canary: { maxSurge: spec.settings.rollout.maxSurge, maxUnavailable: 0, steps: buildCanarySteps(spec.identity, spec.canary) },
            },
        },
    };
}

/**
 * The AnalysisTemplate: per step, `count` measurements `interval` apart, the first after
 * `window` so the rates cover canary traffic. One measurement above a threshold fails the run
 * (Argo aborts the rollout: stable takes all traffic back); a window without requests is
 * inconclusive (the rollout pauses, never promotes); more than {@link consecutiveErrorLimit}
 * failed queries in a row err the run, which aborts it too.
 */
export function buildAnalysisTemplate(
    identity: ServiceIdentity,
    canary: ResolvedCanary,
    thresholds: { errorRatio: number; latencyP99Seconds: number },
    prometheusUrl: string,
): AnalysisTemplate {
    const { interval, count, window } = canary.analysis;
    const metric = (name: string, query: string, threshold: number): AnalysisMetric => ({
        name,
        interval,
        initialDelay: window,
        count,
        failureLimit: 0,
        inconclusiveLimit: 0,
        consecutiveErrorLimit,
        successCondition: `result[0] >= 0 && result[0] <= ${decimal(threshold)}`,
        failureCondition: `result[0] > ${decimal(threshold)}`,
        provider: { prometheus: { address: prometheusUrl, query, timeout: queryTimeoutSeconds } },
    });
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: { name: analysisTemplateName(identity), namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            args: [{ name: canaryHashArg }],
            metrics: [
                metric(analysisMetricNames.errorRatio, canaryErrorRatioQuery(identity, window), thresholds.errorRatio),
                metric(analysisMetricNames.latencyP99Seconds, canaryLatencyQuery(identity, window), thresholds.latencyP99Seconds),
            ],
        },
    };
}

/** Seconds `pulumi up` waits beyond a canary's own time, for the last step's pods and the controller's reconciles. */
export const promotionMarginSeconds = 60;

/**
 * Seconds a canary's analyses take when each passes: per step, one `window` before the first
 * measurement, then `count` measurements `interval` apart, each query taking up to
 * {@link queryTimeoutSeconds}.
 */
export function canaryAnalysisSeconds(canary: ResolvedCanary): number {
    const { interval, count, window } = canary.analysis;
    const step = (durationSeconds(window) ?? 0) + (count - 1) * (durationSeconds(interval) ?? 0) + count * queryTimeoutSeconds;
    return canary.steps.length * step;
}

/**
 * How long `pulumi up` waits for a canary's full promotion: its analyses, plus
 * progressDeadlineSeconds (a step whose pods do not become ready within it is aborted by Argo),
 * plus {@link promotionMarginSeconds}; or `rollout.timeout` when that is longer. An abort ends
 * the wait at once, whatever the deadline.
 */
export function promotionDeadlineSeconds(canary: ResolvedCanary, rollout: Pick<ResolvedSettings["rollout"], "timeout" | "progressDeadlineSeconds">): number {
    const own = canaryAnalysisSeconds(canary) + rollout.progressDeadlineSeconds + promotionMarginSeconds;
    return Math.max(own, durationSeconds(rollout.timeout) ?? 0);
}

/** The revision of a pod template: a hash of its content (keys sorted), which changes exactly when the template does (a new release). */
export function podTemplateRevision(template: unknown): string {
    const canonical = (value: unknown): unknown =>
        Array.isArray(value)
            ? value.map(canonical)
            : typeof value === "object" && value !== null
              ? Object.fromEntries(
                    Object.entries(value)
                        .filter(([, item]) => item !== undefined)
                        .sort(([a], [b]) => a.localeCompare(b))
                        .map(([key, item]) => [key, canonical(item)]),
                )
              : value;
    return createHash("sha256")
        .update(JSON.stringify(canonical(template)))
        .digest("hex");
}
