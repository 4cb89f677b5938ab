/**
 * npm run synth -- --stack <name> [--out <dir>] [--root <dir>] [--for-judges]
 * npm run synth:update            (refreshes the golden manifests of dev and prod)
 *
 * Evaluates the program offline (mocks: no cloud, no cluster, no Pulumi CLI) and writes
 * every Kubernetes object as YAML, one file per object, plus cloud.yaml summarising the
 * ECR repositories and images and the stacks images are promoted from. Values only the cloud
 * knows are written as placeholders (AWS_ACCOUNT_ID, sha256:DIGEST_KNOWN_AFTER_PUSH), also
 * for images promoted from another committed stack; secrets are never written.
 * --root names another project directory (its Pulumi.<name>.yaml and services/); default: this checkout.
 */
import { RunError } from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { evaluateStack, projectRoot } from "./lib/evaluate";
import { asJudgesReadThem, cloudSummary, kubernetesObjects, manifestFileName, schemaErrors, toYaml } from "./lib/manifests";

/** Marks a directory as synth output, so it may be replaced wholesale. */
const marker = ".synth-output";

/** The stacks with golden manifests under test/golden/. */
export const goldenStacks = ["dev", "prod"] as const;

/** Where the golden manifests of a stack live. */
export function goldenDirectory(stack: string): string {
    return path.join(projectRoot, "test", "golden", stack);
}

/**
 * The files synth writes for a stack: file name to content. `forJudges` writes each Rollout as
 * the Deployment it replaces, which kube-score and checkov can judge (asJudgesReadThem).
 */
export async function synthesize(stack: string, root = projectRoot, options: { forJudges?: boolean } = {}): Promise<Map<string, string>> {
    const evaluation = await evaluateStack(stack, { values: "placeholders", root });
    const files = new Map<string, string>();
    const invalid: string[] = [];
    const objects = kubernetesObjects(evaluation);
    for (const object of options.forJudges ? asJudgesReadThem(objects) : objects) {
        const name = manifestFileName(object);
        invalid.push(...schemaErrors(object).map((error) => `${name}: ${error}`));
        files.set(name, toYaml(object));
    }
    if (invalid.length > 0) {
        throw new Error(`objects do not match the Kubernetes schema:\n${invalid.join("\n")}`);
    }
    files.set("cloud.yaml", toYaml(cloudSummary(evaluation)));
    return files;
}

/** Replaces `directory` with the files; refuses a non-empty directory synth did not write. */
export function writeOutput(directory: string, files: Map<string, string>): void {
    if (fs.existsSync(directory) && fs.readdirSync(directory).length > 0) {
        if (!fs.existsSync(path.join(directory, marker))) {
            throw new Error(`${directory} is not empty and was not written by synth; choose another --out`);
        }
        fs.rmSync(directory, { recursive: true });
    }
    fs.mkdirSync(directory, { recursive: true });
    fs.writeFileSync(path.join(directory, marker), "Written by `npm run synth`; the directory is replaced on every run.\n");
    for (const [name, content] of files) {
        fs.writeFileSync(path.join(directory, name), content);
    }
}

function option(args: string[], name: string): string | undefined {
    const index = args.indexOf(name);
    if (index < 0) {
        return undefined;
    }
    const value = args[index + 1];
    if (value === undefined || value.startsWith("--")) {
        throw new Error(`${name} needs a value`);
    }
    return value;
}

async function main(args: string[]): Promise<void> {
    if (args.includes("--golden")) {
        for (const stack of goldenStacks) {
            writeOutput(goldenDirectory(stack), await synthesize(stack));
            console.log(`refreshed ${path.relative(projectRoot, goldenDirectory(stack))}/`);
        }
        return;
    }
    const stack = option(args, "--stack");
    if (!stack) {
        throw new Error("usage: npm run synth -- --stack <name> [--out <dir>] [--root <dir>] [--for-judges]");
    }
    const root = path.resolve(option(args, "--root") ?? projectRoot);
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new Error(`no stack file ${path.relative(process.cwd(), stackFile)}`);
    }
    const out = path.resolve(option(args, "--out") ?? path.join(root, "out", "synth", stack));
    const files = await synthesize(stack, root, { forJudges: args.includes("--for-judges") });
    writeOutput(out, files);
    console.log(`wrote ${files.size} files to ${path.relative(process.cwd(), out) || "."}/`);
}

if (require.main === module) {
    // A program error (a RunError, such as a config error) also stays rejected in the Pulumi
    // SDK's stack outputs, which nothing awaits here; main reports it once, as `pulumi preview`
    // does, so Node.js must not print it again with a stack trace.
    process.on("unhandledRejection", (reason) => {
        if (!RunError.isInstance(reason)) {
            throw reason;
        }
    });
    main(process.argv.slice(2)).catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
    });
}
