import type { PolicyConfigSchema } from "@pulumi/policy";

/** The JSON schema of one option (the SDK does not export this type by name). */
export type OptionSchema = PolicyConfigSchema["properties"][string];

/** A rule option: its default and the JSON schema the Pulumi engine validates user config against. */
export interface Option<T> {
    readonly default: T;
    readonly schema: OptionSchema;
    /** Whether a configured value has the option's type (the engine checks the same via the schema). */
    accepts(value: unknown): value is T;
}

/** The typed option values of a rule, keyed by option name. */
export type OptionValues = Readonly<Record<string, unknown>>;

/** The options of a rule whose config has type `C`. */
export type Options<C extends OptionValues> = { readonly [K in keyof C]: Option<C[K]> };

/** An integer option, e.g. a minimum UID. */
export function integerOption(defaultValue: number, description: string, minimum: number): Option<number> {
    return {
        default: defaultValue,
        schema: { type: "integer", minimum, default: defaultValue, description },
        accepts: (value): value is number => typeof value === "number" && Number.isInteger(value) && value >= minimum,
    };
}

/** A boolean option, e.g. whether a digest is required. */
export function booleanOption(defaultValue: boolean, description: string): Option<boolean> {
    return {
        default: defaultValue,
        schema: { type: "boolean", default: defaultValue, description },
        accepts: (value): value is boolean => typeof value === "boolean",
    };
}

/** A list of strings matching `pattern`, e.g. Linux capability names. */
export function stringListOption(defaultValue: readonly string[], description: string, pattern: string): Option<readonly string[]> {
    const itemPattern = new RegExp(pattern);
    return {
        default: defaultValue,
        schema: { type: "array", items: { type: "string", pattern }, default: [...defaultValue], description },
        accepts: (value): value is readonly string[] => Array.isArray(value) && value.every((item) => typeof item === "string" && itemPattern.test(item)),
    };
}

/** A list of integers within `[minimum, maximum]`, e.g. port numbers. */
export function integerListOption(defaultValue: readonly number[], description: string, minimum: number, maximum: number): Option<readonly number[]> {
    return {
        default: defaultValue,
        schema: { type: "array", items: { type: "integer", minimum, maximum }, default: [...defaultValue], description },
        accepts: (value): value is readonly number[] =>
            Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= minimum && item <= maximum),
    };
}

/** A string matching `pattern`, or empty for "not set", e.g. a stack name. */
export function stringOption(description: string, pattern: string): Option<string> {
    const valuePattern = new RegExp(pattern);
    const schemaPattern = `^$|${pattern}`;
    return {
        default: "",
        schema: { type: "string", pattern: schemaPattern, default: "", description },
        accepts: (value): value is string => typeof value === "string" && (value === "" || valuePattern.test(value)),
    };
}

/** A map of name to a string matching `pattern`, e.g. service name to image reference; empty by default. */
export function stringMapOption(description: string, pattern: string): Option<Readonly<Record<string, string>>> {
    const valuePattern = new RegExp(pattern);
    return {
        default: {},
        schema: { type: "object", additionalProperties: { type: "string", pattern }, default: {}, description },
        accepts: (value): value is Readonly<Record<string, string>> =>
            typeof value === "object" &&
            value !== null &&
            !Array.isArray(value) &&
            Object.values(value).every((item) => typeof item === "string" && valuePattern.test(item)),
    };
}

/** The `configSchema` CrossGuard publishes for a rule's options; defaults live in the schema. */
export function configSchemaOf(options: Options<OptionValues>): PolicyConfigSchema {
    return { properties: Object.fromEntries(Object.entries(options).map(([key, option]) => [key, option.schema])) };
}

/**
 * Resolves a rule's options from the config CrossGuard passes (already merged with the schema
 * defaults by the engine): each option takes the configured value, or its default when unset.
 * Throws, naming the option, the value and what is allowed, on a value of the wrong type.
 */
export function resolveOptions<C extends OptionValues>(ruleName: string, options: Options<C>, configured: OptionValues): C {
    const entries = Object.entries(options as Options<OptionValues>).map(([key, option]) => {
        const value = configured[key];
        if (value === undefined) {
            return [key, option.default];
        }
        if (!option.accepts(value)) {
            throw new Error(`policy "${ruleName}": option "${key}" is ${JSON.stringify(value)}; expected ${JSON.stringify(option.schema)}`);
        }
        return [key, value];
    });
    return Object.fromEntries(entries) as C;
}
