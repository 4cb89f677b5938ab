/**
 * `services.<name>.autoscaling.behavior`: how fast the HorizontalPodAutoscaler may scale up
 * and down (autoscaling/v2 `spec.behavior`), checked with the bounds the API server enforces
 * so that a bad value fails before any resource instead of at apply time.
 */
import { checkInteger, checkList, checkObject, checkOneOf, joinPath, Problems } from "./validation";

/** One scaling policy: at most `value` pods (or percent of the current count) per `periodSeconds`. */
export interface ScalingPolicy {
    /** Pods or Percent. */
    type: "Pods" | "Percent";
    /** 1 or more. */
    value: number;
    /** 1-1800. */
    periodSeconds: number;
}

/** The rules of one direction (autoscaling/v2 HPAScalingRules). */
export interface ScalingRules {
    /** Seconds of past recommendations the controller considers before acting. 0-3600. */
    stabilizationWindowSeconds?: number;
    /** Which policy wins when several allow a change: Max (the largest change), Min, or Disabled (never scale this way). */
    selectPolicy?: "Max" | "Min" | "Disabled";
    /** At least one; replaces the default policies of this direction when given. */
    policies?: ScalingPolicy[];
}

/** `autoscaling.behavior`: scaleUp and scaleDown rules; what is left out keeps its default. */
export interface AutoscalingBehavior {
    /** Default: Kubernetes' own (no window; 100% or 4 pods per 15 s, whichever is more). */
    scaleUp?: ScalingRules;
    /** Default: a 300 s window and at most 50% fewer pods per 60 s: a dip in traffic should not tear down the pods the next burst needs. */
    scaleDown?: ScalingRules;
}

/** The scale-down rules when the stack sets none. */
export const defaultScaleDown: Required<Pick<ScalingRules, "stabilizationWindowSeconds" | "policies">> = {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Percent", value: 50, periodSeconds: 60 }],
};

const ruleKeys = ["stabilizationWindowSeconds", "selectPolicy", "policies"] as const;
const policyKeys = ["type", "value", "periodSeconds"] as const;

function resolvePolicy(value: unknown, path: string, problems: Problems): ScalingPolicy | undefined {
    const input = checkObject(value, path, policyKeys, problems);
    if (!input) {
        return undefined;
    }
    const typeOk = checkOneOf(input.type, joinPath(path, "type"), ["Pods", "Percent"] as const, problems);
    const valueOk = checkInteger(input.value, joinPath(path, "value"), 1, 1_000_000, problems);
    const periodOk = checkInteger(input.periodSeconds, joinPath(path, "periodSeconds"), 1, 1800, problems);
    if (!typeOk || !valueOk || !periodOk) {
        return undefined;
    }
    return { type: input.type as ScalingPolicy["type"], value: input.value as number, periodSeconds: input.periodSeconds as number };
}

function resolveRules(value: unknown, path: string, problems: Problems): ScalingRules | undefined {
    const input = checkObject(value, path, ruleKeys, problems);
    if (!input) {
        return undefined;
    }
    const windowPath = joinPath(path, "stabilizationWindowSeconds");
    const windowOk = input.stabilizationWindowSeconds === undefined || checkInteger(input.stabilizationWindowSeconds, windowPath, 0, 3600, problems);
    const selectOk =
        input.selectPolicy === undefined || checkOneOf(input.selectPolicy, joinPath(path, "selectPolicy"), ["Max", "Min", "Disabled"] as const, problems);
    const policiesPath = joinPath(path, "policies");
    const policies =
        input.policies === undefined
            ? undefined
            : checkList(input.policies, policiesPath, "{type, value, periodSeconds}", (entry, at) => resolvePolicy(entry, at, problems), problems);
    if (input.policies !== undefined && policies?.length === 0) {
        problems.add(policiesPath, input.policies, "must list at least one policy (leave the key out for the default ones)");
        return undefined;
    }
    if (!windowOk || !selectOk || (input.policies !== undefined && policies === undefined)) {
        return undefined;
    }
    return {
        ...(input.stabilizationWindowSeconds === undefined ? {} : { stabilizationWindowSeconds: input.stabilizationWindowSeconds as number }),
        ...(input.selectPolicy === undefined ? {} : { selectPolicy: input.selectPolicy as ScalingRules["selectPolicy"] }),
        ...(policies === undefined ? {} : { policies }),
    };
}

/** Checks `autoscaling.behavior` at `path`; undefined when absent or bad (the problems say why). */
export function resolveAutoscalingBehavior(value: unknown, path: string, problems: Problems): AutoscalingBehavior | undefined {
    if (value === undefined) {
        return undefined;
    }
    const input = checkObject(value, path, ["scaleUp", "scaleDown"], problems);
    if (!input) {
        return undefined;
    }
    const scaleUp = input.scaleUp === undefined ? undefined : resolveRules(input.scaleUp, joinPath(path, "scaleUp"), problems);
    const scaleDown = input.scaleDown === undefined ? undefined : resolveRules(input.scaleDown, joinPath(path, "scaleDown"), problems);
    return { ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) };
}

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
