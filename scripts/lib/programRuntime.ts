/**
 * How the Pulumi CLI starts the program: the Node.js options of Pulumi.yaml
 * (`runtime.options.typescript` and `runtime.options.nodeargs`). The benchmark and the tests
 * that depend on them start the program the same way, so they measure and check what
 * `pulumi preview` runs rather than a copy of its settings.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** The Node.js runtime options of a Pulumi project file. */
export interface ProgramRuntime {
    /** `runtime.options.typescript` (Pulumi's default: true): the CLI registers ts-node, which type-checks. */
    readonly typescript: boolean;
    /** `runtime.options.nodeargs`, split on whitespace as the language host splits it. */
    readonly nodeArgs: readonly string[];
    /** `runtime.options` as written (none: empty), for what must see each option as it stands. */
    readonly options: Readonly<Record<string, unknown>>;
}

/** Reads `runtime.options` from `<root>/Pulumi.yaml`. */
export function readProgramRuntime(root: string): ProgramRuntime {
    const file = path.join(root, "Pulumi.yaml");
    const project = parse(fs.readFileSync(file, "utf8")) as { runtime?: unknown } | null;
    const runtime = project?.runtime;
    const options = typeof runtime === "object" && runtime !== null && "options" in runtime ? (runtime.options as Record<string, unknown> | null) : null;
    const typescript = options?.typescript ?? true;
    const nodeargs = options?.nodeargs ?? "";
    if (typeof typescript !== "boolean" || typeof nodeargs !== "string") {
        throw new Error(`${file}: runtime.options.typescript must be a boolean and runtime.options.nodeargs a string`);
    }
    return { typescript, nodeArgs: nodeargs.split(/\s+/).filter((arg) => arg !== ""), options: options ?? {} };
}

/**
 * The `node` arguments that load the program as the CLI does: the project's nodeargs, and
 * with `typescript: true` the type-checking ts-node registration the CLI performs itself.
 */
export function programNodeArguments(runtime: ProgramRuntime): string[] {
    return [...runtime.nodeArgs, ...(runtime.typescript ? ["--require", "ts-node/register"] : [])];
}
