/**
 * npm run bench [-- --runs N] [-- --check] [-- --compare]
 *
 * Evaluates the program under mocks for 1, 10 and 100 services and prints, per size, the
 * resources registered and the milliseconds per service, wall clock and CPU (median of N
 * runs, default 5, after a warm-up). The program runs in a child `node` started as the
 * Pulumi CLI starts it, with Pulumi.yaml's `runtime.options` (scripts/lib/programRuntime.ts),
 * so the figures are those of `pulumi preview` minus the engine and the providers.
 *
 * --check   exits 1 when the CPU cost per service at 100 services exceeds 1.2 times the cost
 *           at 10: the program must scale linearly with the number of services. CPU time, not
 *           the wall clock, because a shared machine's other work slows the wall clock unevenly.
 *           A ratio over the limit is measured again (up to 3 times) and fails only if it stays over.
 * --compare measures the ways of running the program side by side (type-checking ts-node,
 *           transpile-only ts-node with TypeScript's compiler or swc, compiled JavaScript,
 *           stack-trace limits), one process per
 *           way and run, interleaved so that a change in the machine's load hits all alike.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import type { BenchSample, WorkerReport } from "./lib/benchWorker";
import { runChecked } from "./lib/command";
import { programNodeArguments, readProgramRuntime } from "./lib/programRuntime";
import { median, runsOption } from "./lib/stats";

const allowedGrowth = 1.2;

/** The repository root (not imported from ./lib/evaluate, which would load the program into this launcher). */
const projectRoot = path.resolve(__dirname, "..");

/** Where --compare compiles the program to JavaScript (git-ignored). */
const compiledRoot = path.join(projectRoot, "out", "bench");

/** A way of starting the program. */
interface Variant {
    readonly label: string;
    readonly nodeArgs: readonly string[];
    /** The worker as TypeScript (loaded through ts-node) or as compiled JavaScript. */
    readonly entry: "ts" | "js";
    /** ts-node transpiles with swc as tsconfig.json says (default), or with TypeScript's own compiler. */
    readonly transpiler?: "swc" | "typescript";
}

/** A tsconfig for ts-node that is tsconfig.json without its `"ts-node": {"swc": true}`: TypeScript compiles, and type-checks unless told not to. */
const typescriptCompilerConfig = path.join(compiledRoot, "tsconfig.typescript-compiler.json");

const tsWorker = path.join(projectRoot, "scripts", "lib", "benchWorker.ts");
const jsWorker = path.join(compiledRoot, "scripts", "lib", "benchWorker.js");

async function runWorker(variant: Variant, runs: number): Promise<WorkerReport> {
    const entry = variant.entry === "ts" ? tsWorker : jsWorker;
    const env = variant.transpiler === "typescript" ? { TS_NODE_PROJECT: typescriptCompilerConfig } : undefined;
    const stdout = await runChecked([process.execPath, ...variant.nodeArgs, entry, "--runs", String(runs)], { cwd: projectRoot, env }).catch(
        (error: unknown) => {
            throw new Error(`${variant.label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        },
    );
    return JSON.parse(stdout.trim().split("\n").pop() ?? "") as WorkerReport;
}

/** Compiles the worker and everything it imports with the project's compiler options, as a build step would. */
function compileWorker(): void {
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(projectRoot, "tsconfig.json"),
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (parsed === undefined) {
        throw new Error("cannot read tsconfig.json");
    }
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: false, outDir: compiledRoot, rootDir: projectRoot, sourceMap: true };
    const result = ts.createProgram([tsWorker], options).emit();
    if (result.emitSkipped) {
        throw new Error("compiling the benchmark worker failed");
    }
    fs.writeFileSync(typescriptCompilerConfig, `${JSON.stringify({ extends: path.join(projectRoot, "tsconfig.json"), "ts-node": { swc: false } }, null, 2)}\n`);
}

interface SizeFigures {
    readonly services: number;
    readonly resources: number;
    readonly wallMs: number;
    readonly cpuMs: number;
}

/** Median wall and CPU milliseconds per size over the samples. */
function figures(samples: readonly BenchSample[]): SizeFigures[] {
    const sizes = [...new Set(samples.map((sample) => sample.services))].sort((a, b) => a - b);
    return sizes.map((services) => {
        const ofSize = samples.filter((sample) => sample.services === services);
        return {
            services,
            resources: ofSize[0]?.resources ?? 0,
            wallMs: median(ofSize.map((sample) => sample.wallMs)),
            cpuMs: median(ofSize.map((sample) => sample.cpuMs)),
        };
    });
}

/** Cost per service at 100 services over the cost at 10, in wall-clock or CPU milliseconds. */
function growth(table: readonly SizeFigures[], measure: "wallMs" | "cpuMs" = "wallMs"): number {
    const at = (services: number): number => {
        const row = table.find((figure) => figure.services === services);
        return row === undefined ? Number.NaN : row[measure] / services;
    };
    return at(100) / at(10);
}

const fixed = (value: number, width: number, digits = 1): string => value.toFixed(digits).padStart(width);

/**
 * A regression is confirmed before --check fails: the per-service cost at 10 services is a
 * small sample (about 150 ms of CPU) that one badly placed garbage collection can move by a
 * third, so a ratio over the limit is measured again, in new processes, and fails the check
 * only when every measurement is over the limit. Each measurement is printed.
 */
const checkMeasurements = 3;

async function measureProgram(runs: number, check: boolean): Promise<void> {
    const nodeArgs = programNodeArguments(readProgramRuntime(projectRoot));
    const ratios: number[] = [];
    for (let measurement = 1; measurement <= (check ? checkMeasurements : 1); measurement++) {
        const report = await runWorker({ label: "Pulumi.yaml", nodeArgs, entry: "ts" }, runs);
        const table = figures(report.samples);
        console.log(`node ${nodeArgs.join(" ")} (Pulumi.yaml runtime.options); program loaded in ${report.loadMs.toFixed(0)} ms`);
        console.log(`services  resources  median ms  ms/service  cpu ms/service  (median of ${runs} runs)`);
        for (const row of table) {
            console.log(
                `${String(row.services).padStart(8)}  ${String(row.resources).padStart(9)}  ${fixed(row.wallMs, 9)}  ${fixed(row.wallMs / row.services, 10, 2)}  ${fixed(row.cpuMs / row.services, 14, 2)}`,
            );
        }
        // Checked on CPU time: on a shared machine the wall clock also counts the other processes' work.
        const ratio = growth(table, "cpuMs");
        ratios.push(ratio);
        console.log(`cost per service at 100 / at 10: ${growth(table).toFixed(2)} wall clock, ${ratio.toFixed(2)} cpu (limit ${allowedGrowth}, on cpu)`);
        if (ratio <= allowedGrowth) {
            return;
        }
        if (check && measurement < checkMeasurements) {
            console.log(`over the limit: measuring again (${measurement + 1} of at most ${checkMeasurements}) to tell a regression from noise`);
        }
    }
    if (check) {
        console.error(
            `FAIL: the cpu cost per service grows with the number of services in all ${ratios.length} measurements (${ratios.map((ratio) => ratio.toFixed(2)).join(", ")} > ${allowedGrowth})`,
        );
        process.exitCode = 1;
    }
}

async function compare(runs: number): Promise<void> {
    const project = programNodeArguments(readProgramRuntime(projectRoot));
    const transpileOnly = ["--require", "ts-node/register/transpile-only"];
    const variants: Variant[] = [
        {
            label: "ts-node, type-checked (Pulumi's default, typescript: true)",
            nodeArgs: ["--require", "ts-node/register"],
            entry: "ts",
            transpiler: "typescript",
        },
        { label: "ts-node, transpile-only (TypeScript)", nodeArgs: transpileOnly, entry: "ts", transpiler: "typescript" },
        { label: "ts-node, transpile-only (swc)", nodeArgs: transpileOnly, entry: "ts" },
        { label: "ts-node, transpile-only (swc), --stack-trace-limit=1", nodeArgs: [...transpileOnly, "--stack-trace-limit=1"], entry: "ts" },
        { label: "ts-node, transpile-only (swc), --stack-trace-limit=0", nodeArgs: [...transpileOnly, "--stack-trace-limit=0"], entry: "ts" },
        { label: "compiled JS (tsc), no source maps", nodeArgs: [], entry: "js" },
        { label: "compiled JS (tsc), --enable-source-maps", nodeArgs: ["--enable-source-maps"], entry: "js" },
        { label: "compiled JS (tsc), --stack-trace-limit=0", nodeArgs: ["--stack-trace-limit=0"], entry: "js" },
    ];
    if (!variants.some((variant) => variant.entry === "ts" && variant.transpiler === undefined && variant.nodeArgs.join(" ") === project.join(" "))) {
        variants.push({ label: "Pulumi.yaml", nodeArgs: project, entry: "ts" });
    }
    const compileStarted = Date.now();
    compileWorker();
    console.log(
        `compiled the program to ${path.relative(projectRoot, compiledRoot)}/ in ${Date.now() - compileStarted} ms (a build step the JS variants need before every run)`,
    );
    const reports = new Map<Variant, WorkerReport[]>(variants.map((variant) => [variant, []]));
    for (let round = 1; round <= runs; round++) {
        for (const variant of variants) {
            reports.get(variant)?.push(await runWorker(variant, 1));
        }
        console.error(`round ${round}/${runs} done`);
    }
    console.log(`\nmedian of ${runs} runs, one process per variant and run, interleaved; ms/service wall clock (cpu)`);
    console.log(`${"variant".padEnd(62)}  load ms  ${"1 service".padStart(15)}  ${"10 services".padStart(15)}  ${"100 services".padStart(15)}  growth`);
    for (const variant of variants) {
        const variantReports = reports.get(variant) ?? [];
        const table = figures(variantReports.flatMap((report) => report.samples));
        const cells = table.map((row) => `${fixed(row.wallMs / row.services, 6)} (${fixed(row.cpuMs / row.services, 6)})`.padStart(15));
        const mark = variant.entry === "ts" && variant.transpiler === undefined && variant.nodeArgs.join(" ") === project.join(" ") ? " *" : "";
        const loadMs = median(variantReports.map((report) => report.loadMs));
        console.log(`${(variant.label + mark).padEnd(62)}  ${fixed(loadMs, 7, 0)}  ${cells.join("  ")}  ${fixed(growth(table), 6, 2)}`);
    }
    console.log(`* Pulumi.yaml: node ${project.join(" ")}`);
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runs = runsOption(args, 5);
    if (args.includes("--compare")) {
        await compare(runs);
    } else {
        await measureProgram(runs, args.includes("--check"));
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
