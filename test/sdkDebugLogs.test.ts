/**
 * The SDK's per-resource debug lines are dropped unless GO_SERVICES_SDK_DEBUG_LOGS=true; the
 * real engine's test (test/engine) shows they reach `pulumi preview --debug` only then.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { quietSdkDebugLogs, sdkDebugLogsVariable, sdkDebugLogsWanted } from "../components/sdkDebugLogs";

/** The log module the SDK's runtime requires (runtime/resource.js: `require("../log")`). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeLog = require("@pulumi/pulumi/log") as typeof pulumi.log;

describe("the SDK's debug lines", () => {
    const sdkDebug = runtimeLog.debug;
    afterEach(() => {
        runtimeLog.debug = sdkDebug;
    });

    it("are dropped by default: the log module the SDK's runtime calls no longer sends them", async () => {
        assert.strictEqual(pulumi.log, runtimeLog, "pulumi.log is the module the runtime requires");
        const restore = quietSdkDebugLogs({});
        assert.notStrictEqual(runtimeLog.debug, sdkDebug);
        await runtimeLog.debug("Registering resource: t=kubernetes:apps/v1:Deployment, name=hello");
        restore();
        assert.strictEqual(runtimeLog.debug, sdkDebug);
    });

    it("are kept with GO_SERVICES_SDK_DEBUG_LOGS=true", () => {
        quietSdkDebugLogs({ [sdkDebugLogsVariable]: "true" });
        assert.strictEqual(runtimeLog.debug, sdkDebug);
    });

    it("reads true, false and unset, and refuses anything else naming the variable, the value and what is allowed", () => {
        assert.strictEqual(sdkDebugLogsWanted({}), false);
        assert.strictEqual(sdkDebugLogsWanted({ [sdkDebugLogsVariable]: "false" }), false);
        assert.strictEqual(sdkDebugLogsWanted({ [sdkDebugLogsVariable]: "true" }), true);
        for (const value of ["1", "yes", "TRUE"]) {
            assert.throws(
                () => quietSdkDebugLogs({ [sdkDebugLogsVariable]: value }),
                new Error(
                    `Invalid environment variable GO_SERVICES_SDK_DEBUG_LOGS="${value}": must be true (keep the Pulumi SDK's debug lines) or false (the default)`,
                ),
            );
            assert.strictEqual(runtimeLog.debug, sdkDebug, `${value} leaves the SDK as it was`);
        }
    });
});
