/** Renders a field's value in a message: "not set" for an absent value, JSON otherwise. */
export function describeValue(value: unknown): string {
    return value == null ? "not set" : JSON.stringify(value);
}

/**
 * A violation message naming where the problem is, the field and its value, and what is allowed:
 * `container "app" (spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.`
 */
export function fieldViolation(where: string, field: string, value: unknown, allowed: string): string {
    return `${where}: ${field} is ${describeValue(value)}; ${allowed}.`;
}

/** Quotes each item and joins them: `"a", "b"`. */
export function quoteList(items: readonly unknown[]): string {
    return items.map((item) => JSON.stringify(item)).join(", ");
}

/** Quotes the alternatives and joins them: `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
export function oneOf(items: readonly unknown[]): string {
    const quoted = items.map((item) => JSON.stringify(item));
    return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}
