/**
 * The SDK's per-resource debug lines under the real engine (components/sdkDebugLogs.ts): a
 * `pulumi preview --debug` shows none of them by default, all of them with
 * GO_SERVICES_SDK_DEBUG_LOGS=true, and a bad value stops the program with its error. The stacks
 * render YAML (no cluster is touched) in a sandbox of their own.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { createStack, EngineSandbox, openSandbox, renderedStackConfig, withEnvironment } from "../../scripts/lib/engine";

/** The line the SDK logs for every resource it registers (@pulumi/pulumi runtime/resource.js). */
const registering = /Registering resource: t=([^,]+), name=([^,]+),/g;

/**
 * The resources of the program that an output names in the SDK's "Registering resource" debug
 * lines. The stack resource (pulumi:pulumi:Stack) is left out: the SDK registers it before it
 * calls the program, so its lines come before the program can drop them.
 */
function registeredInDebugLines(output: string): string[] {
    return [...output.matchAll(registering)]
        .map((match) => `${match[1] ?? ""}::${match[2] ?? ""}`)
        .filter((resource) => !resource.startsWith("pulumi:pulumi:Stack::"));
}

describe("the SDK's debug lines under the real engine (GO_SERVICES_SDK_DEBUG_LOGS)", function () {
    let directory: string;
    let sandbox: EngineSandbox;

    before(async function () {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-sdk-debug-"));
        sandbox = await openSandbox(directory);
    });

    after(() => {
        if (directory) {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    /** A preview with --debug of a new one-service rendered stack, in the sandbox with `env` added; the stack is removed after. */
    async function debugPreview(name: string, env: Readonly<Record<string, string>>): Promise<{ output: string; error?: Error }> {
        const withEnv = await withEnvironment(sandbox, env);
        const stack: Stack = await createStack(withEnv, name, renderedStackConfig(1, name));
        let output = "";
        try {
            await stack.preview({ debug: true, onOutput: (text) => (output += text) });
            return { output };
        } catch (error) {
            return { output, error: error instanceof Error ? error : new Error(String(error)) };
        } finally {
            await withEnv.workspace.removeStack(name, { force: true });
        }
    }

    it("leaves them out of `pulumi preview --debug` by default, and shows one for every resource with GO_SERVICES_SDK_DEBUG_LOGS=true", async function () {
        const quiet = await debugPreview("sdk-debug-default", {});
        assert.strictEqual(quiet.error, undefined, quiet.error?.message);
        assert.deepStrictEqual(registeredInDebugLines(quiet.output), []);
        // The preview did run: the resources are in its plan.
        assert.match(quiet.output, /kubernetes:apps\/v1:Deployment/);

        const kept = await debugPreview("sdk-debug-kept", { GO_SERVICES_SDK_DEBUG_LOGS: "true" });
        assert.strictEqual(kept.error, undefined, kept.error?.message);
        const registered = registeredInDebugLines(kept.output);
        for (const resource of ["kubernetes:apps/v1:Deployment::svc-000", "kubernetes:core/v1:Service::svc-000", "go-services:index:GoService::svc-000"]) {
            assert.ok(registered.includes(resource), `a debug line for ${resource} among ${registered.join(", ")}`);
        }
    });

    it("stops the program before anything is registered when GO_SERVICES_SDK_DEBUG_LOGS is neither true nor false", async function () {
        const refused = await debugPreview("sdk-debug-refused", { GO_SERVICES_SDK_DEBUG_LOGS: "yes" });
        assert.ok(refused.error, "the preview fails");
        assert.match(
            `${refused.error.message}\n${refused.output}`,
            /Invalid environment variable GO_SERVICES_SDK_DEBUG_LOGS="yes": must be true \(keep the Pulumi SDK's debug lines\) or false \(the default\)/,
        );
        assert.doesNotMatch(refused.output, /kubernetes:apps\/v1:Deployment/);
    });
});
