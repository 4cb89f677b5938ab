/**
 * Kubernetes resource quantities ("250m", "1.5Gi", "1e3"), parsed the way the API server
 * does and kept exact, so limits compare with requests without floating-point rounding.
 * One parser for the stack config checks, the builders and the policy pack.
 */

/**
 * An exact Kubernetes resource quantity, kept as the fraction `numerator / denominator` so that
 * "0.1", "100m" and "1e-1" compare equal without floating-point rounding.
 */
export interface Quantity {
    /** The signed numerator. */
    readonly numerator: bigint;
    /** The positive denominator (a power of ten). */
    readonly denominator: bigint;
}

// The grammar of k8s.io/apimachinery/pkg/api/resource: a signed decimal number followed by a
// binary-SI suffix, a decimal exponent, or a decimal-SI suffix (the empty suffix included; the
// parser also takes n and u, which the API server writes for small cpu values).
// A lone "E" is the exa suffix; "E" or "e" followed by digits is an exponent.
/** The text of a quantity: what {@link parseQuantity} reads (the stack files' JSON Schema uses it too). */
export const quantityPattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

const BINARY_SI_POWERS: Readonly<Partial<Record<string, bigint>>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_SI_EXPONENTS: Readonly<Partial<Record<string, number>>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// Kubernetes caps quantities far below this; the cap keeps a hostile "1e999999999" from
// making the parser build a billion-digit number.
const MAX_EXPONENT = 100;

/**
 * Parses a Kubernetes quantity ("250m", "1.5Gi", "1e3", "2k", "500u", or a plain number) into an exact
 * {@link Quantity}, or returns `undefined` when the value is not a valid quantity (or not a
 * string or number at all: props are JSON, whatever their declared type).
 */
export function parseQuantity(value: unknown): Quantity | undefined {
    // String(1e21) is "1e+21", which the grammar reads as an exponent. Like the API server,
    // the parser takes no surrounding whitespace.
    const text = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value : "";
    const match = quantityPattern.exec(text);
    if (match === null) {
        return undefined;
    }
    const [, sign, digits = "", binarySuffix, exponentText, decimalSuffix] = match;
    const [whole, fraction = ""] = digits.split(".");
    let numerator = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
    let exponent = -fraction.length;
    if (binarySuffix !== undefined) {
        numerator <<= BINARY_SI_POWERS[binarySuffix] ?? 0n;
    } else if (exponentText !== undefined) {
        const parsedExponent = Number(exponentText);
        if (Math.abs(parsedExponent) > MAX_EXPONENT) {
            return undefined;
        }
        exponent += parsedExponent;
    } else {
        exponent += DECIMAL_SI_EXPONENTS[decimalSuffix ?? ""] ?? 0;
    }
    return exponent >= 0 ? { numerator: numerator * 10n ** BigInt(exponent), denominator: 1n } : { numerator, denominator: 10n ** BigInt(-exponent) };
}

/** Compares two quantities: negative when `a < b`, zero when equal, positive when `a > b`. */
export function compareQuantities(a: Quantity, b: Quantity): number {
    const difference = a.numerator * b.denominator - b.numerator * a.denominator;
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

/** The whole number of units (bytes, cores) a fraction of a quantity amounts to, rounded down. */
export function wholeUnits(quantity: Quantity, share: { numerator: bigint; denominator: bigint } = { numerator: 1n, denominator: 1n }): bigint {
    return (quantity.numerator * share.numerator) / (quantity.denominator * share.denominator);
}
