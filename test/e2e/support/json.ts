/**
 * Typed reads from JSON that another program wrote (podman inspect, the build report): a
 * missing or mistyped field is an error naming the field and the source, not an `undefined`
 * that surfaces three assertions later.
 */

/** The value at `keys` inside `value`, or undefined. */
export function valueAt(value: unknown, keys: readonly (string | number)[]): unknown {
    let current = value;
    for (const key of keys) {
        if (typeof current !== "object" || current === null) {
            return undefined;
        }
        current = (current as Record<string | number, unknown>)[key];
    }
    return current;
}

function describe(source: string, keys: readonly (string | number)[]): string {
    return `${source}: ${keys.join(".")}`;
}

/** The number at `keys`; throws when it is not a number. */
export function numberAt(value: unknown, source: string, ...keys: (string | number)[]): number {
    const found = valueAt(value, keys);
    if (typeof found !== "number" || !Number.isFinite(found)) {
        throw new Error(`${describe(source, keys)} is ${JSON.stringify(found)}, expected a number`);
    }
    return found;
}

/** The string at `keys`; throws when it is not a string. */
export function stringAt(value: unknown, source: string, ...keys: (string | number)[]): string {
    const found = valueAt(value, keys);
    if (typeof found !== "string") {
        throw new Error(`${describe(source, keys)} is ${JSON.stringify(found)}, expected a string`);
    }
    return found;
}

/** The boolean at `keys`; throws when it is not a boolean. */
export function booleanAt(value: unknown, source: string, ...keys: (string | number)[]): boolean {
    const found = valueAt(value, keys);
    if (typeof found !== "boolean") {
        throw new Error(`${describe(source, keys)} is ${JSON.stringify(found)}, expected true or false`);
    }
    return found;
}

/** The array at `keys` (an absent or null array is empty); throws when it is something else. */
export function arrayAt(value: unknown, source: string, ...keys: (string | number)[]): unknown[] {
    const found = valueAt(value, keys);
    if (found === undefined || found === null) {
        return [];
    }
    if (!Array.isArray(found)) {
        throw new Error(`${describe(source, keys)} is ${JSON.stringify(found)}, expected a list`);
    }
    return found as unknown[];
}
