/**
 * The Node.js SDK's own debug lines ("Registering resource: ...", "RegisterResource RPC
 * prepared: ..." with the inputs as JSON, "RegisterResource RPC finished: ...") go to the engine
 * as one `Log` RPC each, three or more per resource, serialised one after another, and the CLI
 * writes every one of them to its log file under ~/.pulumi/logs whether or not anybody asked for
 * them. In a real `pulumi preview` of 100 services they were a quarter of the time (README "How
 * Pulumi runs the program" has the figures). The program drops them unless
 * GO_SERVICES_SDK_DEBUG_LOGS=true, which brings them back for `pulumi preview --debug` or
 * `-v=9 --logflow` when the SDK itself is what needs debugging. Warnings, errors and the
 * program's own messages are untouched: only `pulumi.log.debug` is silenced.
 */
import * as pulumi from "@pulumi/pulumi";

/** The environment variable that keeps the SDK's debug lines: `true` or `false` (the default). */
export const sdkDebugLogsVariable = "GO_SERVICES_SDK_DEBUG_LOGS";

/** Whether the SDK's debug lines are wanted; a value other than true/false is refused, naming the variable and what is allowed. */
export function sdkDebugLogsWanted(env: Readonly<Record<string, string | undefined>>): boolean {
    const value = env[sdkDebugLogsVariable];
    if (value === undefined || value === "" || value === "false") {
        return false;
    }
    if (value === "true") {
        return true;
    }
    throw new Error(`Invalid environment variable ${sdkDebugLogsVariable}="${value}": must be true (keep the Pulumi SDK's debug lines) or false (the default)`);
}

/**
 * The SDK's log module as its runtime calls it (`log.debug(...)` on the module object, looked up
 * at each call), so a replacement reaches every caller.
 */
type SdkLog = { debug: typeof pulumi.log.debug };

/** Resolves at once: what `pulumi.log.debug` returns when nothing is sent. */
const dropped: typeof pulumi.log.debug = () => Promise.resolve();

/**
 * Silences `pulumi.log.debug` unless {@link sdkDebugLogsVariable} is true. Returns what restores
 * the SDK's own function (for tests). Call it before any resource is registered.
 */
export function quietSdkDebugLogs(env: Readonly<Record<string, string | undefined>> = process.env): () => void {
    const log = pulumi.log as SdkLog;
    const original = log.debug;
    if (!sdkDebugLogsWanted(env)) {
        log.debug = dropped;
    }
    return () => {
        log.debug = original;
    };
}
