import type { PolicyConfigSchema } from "@pulumi/policy";
import { podOf, type PodView, WORKLOAD_TYPES } from "./kubernetes";
import { configSchemaOf, type Options, type OptionValues, resolveOptions } from "./options";
import { unlessUnknown } from "./unknowns";

/** The enforcement a rule has unless the pack's config overrides it; an opt-in rule is "disabled". */
export type DefaultEnforcement = "advisory" | "mandatory" | "disabled";

/** A resource as CrossGuard shows it to a policy: type token, name, URN and props. */
export interface PolicyResourceView {
    readonly type: string;
    readonly name: string;
    readonly urn?: string;
    /** Inputs for resource policies, outputs for stack policies (the same fields for the types checked here). */
    readonly props: Readonly<Record<string, unknown>>;
}

interface RuleInfo {
    /** The policy name, unique in the pack; the key of its entry in the pack's config file. */
    readonly name: string;
    /** What the rule requires and why. */
    readonly description: string;
    readonly enforcementLevel: DefaultEnforcement;
    /** The options a user can set in the pack's config file, with their defaults. */
    readonly configSchema?: PolicyConfigSchema;
    /** Throws, naming the option, when `config` sets one of the rule's options to a value of the wrong type. */
    checkConfig(config: OptionValues): void;
}

/** A rule checked on each resource of the listed types (a CrossGuard resource validation policy). */
export interface ResourceRule extends RuleInfo {
    readonly kind: "resource";
    readonly resourceTypes: readonly string[];
    /** Returns one message per violation; `config` is the policy's config as CrossGuard passes it. */
    validate(resource: PolicyResourceView, config: OptionValues): readonly string[];
}

/** A violation a stack rule found, and the resource it belongs to. */
export interface StackFinding {
    readonly resource: PolicyResourceView;
    readonly message: string;
}

/** A rule checked on all resources of the stack together (a CrossGuard stack validation policy). */
export interface StackRule extends RuleInfo {
    readonly kind: "stack";
    validate(resources: readonly PolicyResourceView[], config: OptionValues): readonly StackFinding[];
}

/** Any rule of the pack. */
export type Rule = ResourceRule | StackRule;

interface RuleSpec<C extends OptionValues> {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: DefaultEnforcement;
    readonly options?: Options<C>;
}

function infoAndOptions<C extends OptionValues>(spec: RuleSpec<C>): [RuleInfo, (config: OptionValues) => C] {
    const options = spec.options ?? ({} as Options<C>);
    const resolve = (config: OptionValues): C => resolveOptions(spec.name, options, config);
    const info: RuleInfo = {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        ...(Object.keys(options).length > 0 ? { configSchema: configSchemaOf(options) } : {}),
        checkConfig: (config) => {
            resolve(config);
        },
    };
    return [info, resolve];
}

/**
 * Defines a rule over single resources of the listed types. `check` receives the resource and the
 * rule's typed options; a check that reads a value unknown during preview reports nothing.
 */
export function resourceRule<C extends OptionValues>(
    spec: RuleSpec<C> & {
        readonly resourceTypes: readonly string[];
        check(resource: PolicyResourceView, config: C): readonly string[];
    },
): ResourceRule {
    const [info, resolve] = infoAndOptions(spec);
    return {
        ...info,
        kind: "resource",
        resourceTypes: spec.resourceTypes,
        validate: (resource, config) => {
            const options = resolve(config);
            return unlessUnknown(() => spec.check(resource, options));
        },
    };
}

/**
 * Defines a rule over the pod of every workload kind (Deployment, StatefulSet, DaemonSet, Job,
 * CronJob, Pod): `check` receives the pod spec, found once by {@link podOf}.
 */
export function podRule<C extends OptionValues>(spec: RuleSpec<C> & { check(pod: PodView, config: C): readonly string[] }): ResourceRule {
    return resourceRule({
        ...spec,
        resourceTypes: Object.values(WORKLOAD_TYPES),
        check: (resource, config) => {
            const pod = podOf(resource.type, resource.props);
            return pod === undefined ? [] : spec.check(pod, config);
        },
    });
}

/**
 * Defines a rule over the whole stack, e.g. "every Deployment has a Service". `check` must guard
 * its own per-resource reads with `known`/`unlessUnknown`; an unknown that escapes it drops all of
 * the rule's findings rather than fail.
 */
export function stackRule<C extends OptionValues>(
    spec: RuleSpec<C> & { check(resources: readonly PolicyResourceView[], config: C): readonly StackFinding[] },
): StackRule {
    const [info, resolve] = infoAndOptions(spec);
    return {
        ...info,
        kind: "stack",
        validate: (resources, config) => {
            const options = resolve(config);
            return unlessUnknown(() => spec.check(resources, options));
        },
    };
}
