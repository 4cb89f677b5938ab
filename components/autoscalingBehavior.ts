/**
 * `services.<name>.autoscaling.behavior`: how fast the HorizontalPodAutoscaler may scale up
 * and down (autoscaling/v2 `spec.behavior`), with the bounds the API server enforces, so that a
 * bad value fails before any resource instead of at apply time.
 */
import { z } from "zod";
import { allowing, integer, oneOf } from "./validation";

const scalingPolicySchema = z
    .strictObject({
        type: oneOf(["Pods", "Percent"]).meta({ description: "Pods, or Percent of the current count." }),
        value: integer(1, 1_000_000).meta({ description: "How many pods (or percent) may be added or removed per period." }),
        periodSeconds: integer(1, 1800).meta({ description: "The period the value applies to." }),
    })
    .meta({ description: "At most `value` pods (or percent of the current count) per `periodSeconds`." });

const scalingRulesSchema = z
    .strictObject({
        stabilizationWindowSeconds: integer(0, 3600)
            .optional()
            .meta({ description: "Seconds of past recommendations the controller considers before acting." }),
        selectPolicy: oneOf(["Max", "Min", "Disabled"])
            .optional()
            .meta({ description: "Which policy wins when several allow a change: Max (the largest change), Min, or Disabled (never scale this way)." }),
        policies: allowing(
            z.array(scalingPolicySchema).min(1),
            "must list at least one policy {type, value, periodSeconds} (leave the key out for the default ones)",
        )
            .optional()
            .meta({ description: "Replaces the default policies of this direction when given." }),
    })
    .meta({ description: "The rules of one direction (autoscaling/v2 HPAScalingRules)." });

export const autoscalingBehaviorSchema = z
    .strictObject({
        scaleUp: scalingRulesSchema.optional().meta({ description: "Default: Kubernetes' own (no window; 100% or 4 pods per 15 s, whichever is more)." }),
        scaleDown: scalingRulesSchema.optional().meta({
            description: "Default: a 300 s window and at most 50% fewer pods per 60 s: a dip in traffic should not tear down the pods the next burst needs.",
        }),
    })
    .optional()
    .meta({ description: "How fast the HorizontalPodAutoscaler may scale up and down (its spec.behavior); what is left out keeps its default." });

export type AutoscalingBehavior = z.output<typeof autoscalingBehaviorSchema>;
export type ScalingRules = z.output<typeof scalingRulesSchema>;

/** The scale-down rules when the stack sets none. */
export const defaultScaleDown: Required<Pick<ScalingRules, "stabilizationWindowSeconds" | "policies">> = {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Percent", value: 50, periodSeconds: 60 }],
};

/**
 * The HPA's `spec.behavior`: the stack's rules, and for scale-down our slower defaults where
 * the stack leaves a field out. Scale-up rules appear only when the stack sets them.
 */
export function hpaBehavior(behavior: AutoscalingBehavior | undefined): { scaleUp?: ScalingRules; scaleDown: ScalingRules } {
    return {
        ...(behavior?.scaleUp ? { scaleUp: behavior.scaleUp } : {}),
        scaleDown: { ...defaultScaleDown, ...behavior?.scaleDown },
    };
}
