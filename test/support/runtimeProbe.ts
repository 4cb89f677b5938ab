/**
 * Run as a child process with the node arguments of Pulumi.yaml (test/programRuntime.test.ts):
 * evaluates the dev stack twice under mocks, once with a bad config value and once with a
 * registration the engine refuses, and prints on stdout, as one JSON line ({@link ProbeReport}),
 * what a user is shown: the error messages, and the source position the engine records for the
 * refused resource. The node arguments (stack-trace limit, transpile-only ts-node) must not
 * take these places away.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { evaluate, EvaluationFailure, loadStackConfig, projectRoot } from "../../scripts/lib/evaluate";
import { program } from "../../components/program";
import { serviceDirectoriesAt } from "../../components/serviceDirectory";

/** The registration the probe's engine refuses. */
export const refused = { type: "kubernetes:apps/v1:Deployment", name: "hello", reason: "admission webhook denied the request" } as const;

/** What the probe prints. */
export interface ProbeReport {
    /** The message of the error a bad `go-services:imageTag` raises. */
    readonly configError: string;
    /** The message of the error the refused registration raises. */
    readonly failedResource: string;
    /** Where the engine is told the refused resource was declared: `<file relative to the project>:<line>:<column>`. */
    readonly failedResourcePosition: string;
}

/** The callback shape of the resource monitor's RegisterResource RPC, which the mocks implement. */
type RegisterResource = (request: RegisterResourceRequest, callback: (error: Error | null, response?: unknown) => void) => void;

/**
 * Wraps the mock monitor's RegisterResource (set up by evaluate before the program runs): records
 * the source position of the refused resource's registration, then refuses it as an engine would.
 */
function refuseRegistration(positions: string[]): void {
    // The monitor's RPC methods are typed as the gRPC client's overloads; only the callback form is used here.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: RegisterResource };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
        if (request.getType() !== refused.type || request.getName() !== refused.name) {
            register(request, callback);
            return;
        }
        const position = request.getSourceposition();
        if (position !== undefined) {
            positions.push(`${path.relative(projectRoot, new URL(position.getUri()).pathname)}:${position.getLine()}:${position.getColumn()}`);
        }
        callback(new Error(refused.reason));
    };
}

/** What the CLI's program runner (@pulumi/pulumi/cmd/run) prints for an error: its stack, which starts with the message. */
function shown(error: unknown): string {
    return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Runs an evaluation and returns what it failed with: the program's error, or else the errors
 * left unhandled, which the CLI's program runner reports (as it does a refused registration).
 */
async function failureOf(run: () => Promise<unknown>): Promise<string> {
    // One error rejects every promise that depends on it; the runner reports each error once.
    const unhandled = new Set<unknown>();
    const record = (reason: unknown): void => void unhandled.add(reason);
    process.on("unhandledRejection", record);
    try {
        await run();
    } catch (error) {
        return error instanceof EvaluationFailure ? error.message : shown(error);
    } finally {
        // Unhandled rejections are reported once the microtasks of the current task have run.
        await new Promise((resolve) => setImmediate(resolve));
        process.off("unhandledRejection", record);
    }
    return unhandled.size === 0 ? "no error" : [...unhandled].map(shown).join("\n");
}

async function main(): Promise<void> {
    const dev = loadStackConfig("dev");
    const configError = await failureOf(() =>
        evaluate({ stack: "dev", config: { ...dev, values: { ...dev.values, "go-services:imageTag": "latest" } }, preview: true }),
    );
    const positions: string[] = [];
    const failedResource = await failureOf(() =>
        evaluate({
            stack: "dev",
            config: dev,
            preview: true,
            program: () => {
                refuseRegistration(positions);
                return program(serviceDirectoriesAt(projectRoot));
            },
        }),
    );
    const report: ProbeReport = { configError, failedResource, failedResourcePosition: positions.join(", ") };
    process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
    });
}
