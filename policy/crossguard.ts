import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { OptionValues } from "./options";
import type { Rule } from "./rule";

/**
 * Turns a rule into the CrossGuard policy the pack serves: a resource validation policy that
 * checks only the rule's resource types, or a stack validation policy that reports each finding
 * against the resource it concerns.
 */
export function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
    const info = {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        ...(rule.configSchema === undefined ? {} : { configSchema: rule.configSchema }),
    };
    if (rule.kind === "resource") {
        return {
            ...info,
            validateResource: (args, reportViolation) => {
                if (!rule.resourceTypes.includes(args.type)) {
                    return;
                }
                const resource = { type: args.type, name: args.name, urn: args.urn, props: args.props };
                for (const message of rule.validate(resource, args.getConfig<OptionValues>())) {
                    reportViolation(message);
                }
            },
        };
    }
    return {
        ...info,
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map(({ type, name, urn, props }) => ({ type, name, urn, props }));
            for (const finding of rule.validate(resources, args.getConfig<OptionValues>())) {
                reportViolation(finding.message, finding.resource.urn);
            }
        },
    };
}
