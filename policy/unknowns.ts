// During a preview the engine sends values only the cloud will know (an image digest before the
// image is built) as "unknown" sentinel strings, and CrossGuard hands a policy its props wrapped
// in a proxy that throws `UnknownValueError` when one is read. Left alone, that error aborts the
// whole policy for the resource and the SDK reports "can't run policy during preview"; caught per
// check instead, it lets every other check of the rule still run.

import { UnknownValueError as sdkUnknownValueError, unknownCheckingProxy } from "@pulumi/policy";

// @pulumi/policy 1.21.0 exports both at run time, but its proxy.d.ts is stripped of them, so
// TypeScript types them `any`; they get their real shapes here, once.
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- typed here because the SDK's declarations omit it
const UnknownValueError: abstract new (...args: never[]) => Error = sdkUnknownValueError;

/**
 * Wraps props the way CrossGuard does before a policy sees them: reading a value the engine sent
 * as unknown (one of its sentinel strings, e.g. `unknownValue` of `@pulumi/pulumi/runtime/rpc`) throws.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- typed here because the SDK's declarations omit it
export const proxyUnknowns: <T extends object>(props: T) => T = unknownCheckingProxy;

/** Stands for a value that cannot be known yet, during `pulumi preview`. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** The result of {@link known}: the value read, or {@link UNKNOWN}. */
export type Known<T> = T | typeof UNKNOWN;

/**
 * Runs `read` and returns its result, or {@link UNKNOWN} when it touched a value that is unknown
 * during preview. Any other error propagates.
 */
export function known<T>(read: () => T): Known<T> {
    try {
        return read();
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return UNKNOWN;
        }
        throw error;
    }
}

/**
 * Runs one check and returns its findings, or none when the check depends on a value
 * that is unknown during preview: a rule must skip, never fail, on what it cannot see yet.
 */
export function unlessUnknown<T>(check: () => readonly T[]): readonly T[] {
    const result = known(check);
    return result === UNKNOWN ? [] : result;
}

/**
 * Whether some candidate passes `test`: true as soon as one does, false when every candidate
 * could be read and none does, and {@link UNKNOWN} when none does but some could not be read
 * (absence cannot be proven during preview then).
 */
export function someCandidate<T>(candidates: readonly T[], test: (candidate: T) => boolean): Known<boolean> {
    let sawUnknown = false;
    for (const candidate of candidates) {
        const result = known(() => test(candidate));
        if (result === true) {
            return true;
        }
        sawUnknown ||= result === UNKNOWN;
    }
    return sawUnknown ? UNKNOWN : false;
}
