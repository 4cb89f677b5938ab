// Runs every rule of the pack over a list of resources, as CrossGuard would during a preview, so
// a test can assert that a stack (e.g. one built under Pulumi mocks) passes the pack.

import type { OptionValues } from "./options";
import type { PolicyResourceView, Rule } from "./rule";
import { rules } from "./rules";
import { proxyUnknowns } from "./unknowns";

/** An enforcement level, as in a `--policy-pack-config` file. */
export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** One policy's entry in a `--policy-pack-config` file: a level, or a level and options. */
export type PolicyConfigEntry = EnforcementLevel | (Readonly<Record<string, unknown>> & { readonly enforcementLevel?: EnforcementLevel });

/**
 * The contents of a `--policy-pack-config` file: entries keyed by policy name, plus "all", whose
 * enforcement level applies to every policy before the per-policy entries.
 */
export type PolicyPackConfig = Readonly<Record<string, PolicyConfigEntry>>;

/** A violation found by {@link evaluatePolicies}. */
export interface PolicyViolation {
    readonly policyName: string;
    /** "remediate" reports as "mandatory", as the policy SDK does for a policy without remediation. */
    readonly enforcementLevel: "advisory" | "mandatory";
    readonly resourceType: string;
    readonly resourceName: string;
    readonly urn?: string;
    readonly message: string;
}

interface PolicySettings {
    readonly enforcementLevel: EnforcementLevel;
    readonly options: OptionValues;
}

/**
 * Resolves a policy's enforcement level and options as the Pulumi engine does: the policy's
 * default, then "all", then the policy's own entry; options override the schema defaults one by one.
 */
function settingsOf(rule: Rule, config: PolicyPackConfig): PolicySettings {
    const levelOf = (entry: PolicyConfigEntry | undefined): EnforcementLevel | undefined => (typeof entry === "string" ? entry : entry?.enforcementLevel);
    const entry = config[rule.name];
    const { enforcementLevel, ...options } = typeof entry === "object" ? entry : {};
    const declared = Object.keys(rule.configSchema?.properties ?? {});
    const undeclared = Object.keys(options).filter((key) => !declared.includes(key));
    if (undeclared.length > 0) {
        throw new Error(
            `policy pack config: policy "${rule.name}" has no option ${undeclared.map((key) => JSON.stringify(key)).join(", ")}; ` +
                `its options are: ${declared.join(", ") || "none"}`,
        );
    }
    rule.checkConfig(options);
    return {
        enforcementLevel: levelOf(entry) ?? levelOf(config.all) ?? rule.enforcementLevel,
        options,
    };
}

/**
 * Evaluates every rule of the pack over `resources` (each with its Pulumi type token, name,
 * optional URN and props) under `config`, the contents of a `--policy-pack-config` file, and
 * returns the violations of every policy that is not disabled, in rule order.
 *
 * Resource rules see each resource's props and stack rules all of them, as CrossGuard shows
 * inputs and outputs respectively (for the types checked here the fields read are the same).
 * Props may hold the engine's unknown sentinels (`unknownValue` of `@pulumi/pulumi/runtime/rpc`);
 * they are read exactly as under CrossGuard. Unlike the engine, which ignores them, a config
 * entry for a policy that does not exist or an option a policy does not have is an error.
 */
export function evaluatePolicies(resources: readonly PolicyResourceView[], config: PolicyPackConfig = {}): PolicyViolation[] {
    const names = rules.map((rule) => rule.name);
    const unknownPolicies = Object.keys(config).filter((key) => key !== "all" && !names.includes(key));
    if (unknownPolicies.length > 0) {
        throw new Error(
            `policy pack config: no policy named ${unknownPolicies.map((key) => JSON.stringify(key)).join(", ")}; policies are: ${names.join(", ")}`,
        );
    }
    const seen = resources.map((resource) => ({ ...resource, props: proxyUnknowns(resource.props) }));
    return rules.flatMap((rule): PolicyViolation[] => {
        const { enforcementLevel, options } = settingsOf(rule, config);
        if (enforcementLevel === "disabled") {
            return [];
        }
        const violation = (resource: PolicyResourceView, message: string): PolicyViolation => ({
            policyName: rule.name,
            enforcementLevel: enforcementLevel === "advisory" ? "advisory" : "mandatory",
            resourceType: resource.type,
            resourceName: resource.name,
            ...(resource.urn === undefined ? {} : { urn: resource.urn }),
            message,
        });
        if (rule.kind === "stack") {
            return rule.validate(seen, options).map((finding) => violation(finding.resource, finding.message));
        }
        return seen
            .filter((resource) => rule.resourceTypes.includes(resource.type))
            .flatMap((resource) => rule.validate(resource, options).map((message) => violation(resource, message)));
    });
}
