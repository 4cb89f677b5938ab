/**
 * Staying up through node drains and load: the PodDisruptionBudget and the
 * HorizontalPodAutoscaler of a service.
 */
import type { types } from "@pulumi/kubernetes";
import { hpaBehavior } from "./autoscalingBehavior";
import { recommendedLabels, selectorLabels, ServiceIdentity } from "./labels";
import { ResolvedSettings } from "./serviceSettings";
import { minimumReplicas } from "./workload";

/**
 * The PodDisruptionBudget, or `undefined` when a single replica runs: a budget over one
 * pod either blocks every node drain or protects nothing.
 */
export function buildPodDisruptionBudget(
    identity: ServiceIdentity,
    settings: Pick<ResolvedSettings, "autoscaling" | "replicas" | "maxUnavailable">,
): types.input.policy.v1.PodDisruptionBudget | undefined {
    const replicas = minimumReplicas(settings);
    if (replicas < 2) {
        return undefined;
    }
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            maxUnavailable: Math.min(settings.maxUnavailable, replicas - 1),
            selector: { matchLabels: selectorLabels(identity) },
            // A pod that is not ready protects nothing; let drains evict it.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
    };
}

/** The HorizontalPodAutoscaler (autoscaling/v2), or `undefined` when autoscaling is off. */
export function buildHorizontalPodAutoscaler(
    identity: ServiceIdentity,
    settings: Pick<ResolvedSettings, "autoscaling"> & { rollout: Pick<ResolvedSettings["rollout"], "strategy"> },
): types.input.autoscaling.v2.HorizontalPodAutoscaler | undefined {
    const autoscaling = settings.autoscaling;
    if (!autoscaling) {
        return undefined;
    }
    const utilization = (name: string, averageUtilization: number): types.input.autoscaling.v2.MetricSpec => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            // Argo Rollouts' Rollout has the scale subresource the autoscaler drives, as a Deployment does.
            scaleTargetRef:
                settings.rollout.strategy === "canary"
                    ? { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: identity.name }
                    : { apiVersion: "apps/v1", kind: "Deployment", name: identity.name },
            minReplicas: autoscaling.minReplicas,
            maxReplicas: autoscaling.maxReplicas,
            metrics: [
                utilization("cpu", autoscaling.targetCPUUtilization),
                ...(autoscaling.targetMemoryUtilization === undefined ? [] : [utilization("memory", autoscaling.targetMemoryUtilization)]),
            ],
            behavior: hpaBehavior(autoscaling.behavior),
        },
    };
}
