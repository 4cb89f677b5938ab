/**
 * npm run bench:engine [-- --runs N] [-- --no-cluster]
 *
 * Wall time of the real `pulumi preview` and `pulumi up` (the sandboxed engine of scripts/engine,
 * through the Automation API), median of N runs (default 3), each on a new stack:
 *
 * - 1, 10 and 100 services with `renderYamlToDirectory` (the local stack's settings with the
 *   services of `npm run bench`, each given an image by digest): the engine, the language host,
 *   the program and the provider, with no cluster. Each round also times `up` on another new
 *   stack with PULUMI_SKIP_CHECKPOINTS=true, which shows what writing the state after every
 *   step costs (the file backend rewrites the whole checkpoint each time). The sizes and the two
 *   ways are interleaved in every round, so that a change in the machine's load hits all alike.
 * - 1 service (hello, dev's settings, built and pushed to the test cluster's registry) on the
 *   test cluster: preview, up, and the time from the start of up until its Deployment is
 *   Available as the cluster reports it, then destroy. Skipped with --no-cluster or when no
 *   cluster runs (`npm run bench:engine` runs under scripts/cluster exec).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { EngineSandbox, committedStackConfig, createStack, openSandbox, StackFileConfig, withEnvironment, withGivenImages } from "./lib/engine";
import { benchServices } from "./lib/benchWorker";
import { runChecked } from "./lib/command";
import { watchAvailability } from "./lib/deploymentWatch";
import { projectName, projectRoot } from "./lib/evaluate";
import { median } from "./lib/stats";

const sizes = [1, 10, 100] as const;

/** The version the benchmark's image is built and deployed as. */
const version = "0.1.0-engine";

/** The namespace of the on-cluster runs (the engine tests' namespaces start with go-services-engine too). */
const clusterNamespace = "go-services-engine-bench";

/**
 * The image every rendered service names. Rendering pulls nothing, so any well-formed digest
 * reference does; this one names no real image.
 */
const renderedImage = `localhost:5001/go-services/bench@sha256:${"0".repeat(64)}`;

/** One run on one stack, ms. */
interface Sample {
    readonly resources: number;
    readonly previewMs: number;
    readonly upMs: number;
    /** `up` of the same stack on another new stack with PULUMI_SKIP_CHECKPOINTS=true. */
    readonly upNoCheckpointsMs?: number;
    readonly availableMs?: number;
    readonly destroyMs?: number;
}

async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
    const started = Date.now();
    const result = await action();
    return [result, Date.now() - started];
}

/** A rendered stack of `count` services: the local stack's settings, rendering into a folder of its own. */
function renderedStack(count: number, name: string): StackFileConfig {
    const config = committedStackConfig("local");
    config[`${projectName}:services`] = benchServices(count);
    config[`${projectName}:kubernetes`] = { renderYamlToDirectory: `rendered/${name}` };
    return withGivenImages(config, new Map(Object.keys(benchServices(count)).map((service) => [service, renderedImage])), version);
}

/** Creates a rendered stack, runs `measure` on it, and removes the stack and what it rendered. */
async function onRenderedStack<T>(sandbox: EngineSandbox, count: number, name: string, measure: (stack: Stack) => Promise<T>): Promise<T> {
    const stack = await createStack(sandbox, name, renderedStack(count, name));
    try {
        return await measure(stack);
    } finally {
        await sandbox.workspace.removeStack(name, { force: true });
        fs.rmSync(path.join(sandbox.projectDirectory, "rendered", name), { recursive: true, force: true });
    }
}

async function renderedSample(sandbox: EngineSandbox, noCheckpoints: EngineSandbox, count: number, round: number): Promise<Sample> {
    const sample = await onRenderedStack(sandbox, count, `bench-render-${count}-${round}`, async (stack) => {
        const [, previewMs] = await timed(() => stack.preview());
        const [up, upMs] = await timed(() => stack.up());
        return { resources: Object.values(up.summary.resourceChanges ?? {}).reduce((sum, value) => sum + value, 0), previewMs, upMs };
    });
    const [, upNoCheckpointsMs] = await onRenderedStack(noCheckpoints, count, `bench-render-nockpt-${count}-${round}`, (stack) => timed(() => stack.up()));
    return { ...sample, upNoCheckpointsMs };
}

/** Builds hello as the golden Dockerfile builds it and pushes it to the test cluster's registry; resolves with its digest reference. */
async function pushedHello(): Promise<string> {
    await runChecked([path.join(projectRoot, "scripts", "build-images"), "--no-checks", "--tag", version, "hello"], { cwd: projectRoot });
    const reference = (
        await runChecked([path.join(projectRoot, "scripts", "cluster"), "push", `localhost/go-services/hello:${version}`], { cwd: projectRoot })
    ).trim();
    if (!/@sha256:[0-9a-f]{64}$/.test(reference)) {
        throw new Error(`scripts/cluster push printed "${reference}"`);
    }
    return reference;
}

async function clusterSample(sandbox: EngineSandbox, image: string, kubeconfig: string, round: number): Promise<Sample> {
    const name = `bench-cluster-${round}`;
    const config = committedStackConfig("dev");
    const hello = (config[`${projectName}:services`] as Record<string, unknown>).hello;
    config[`${projectName}:services`] = { hello };
    config[`${projectName}:namespace`] = clusterNamespace;
    config[`${projectName}:kubernetes`] = { kubeconfig: "benchKubeconfig" };
    const stack = await createStack(sandbox, name, withGivenImages(config, new Map([["hello", image]]), version), { benchKubeconfig: kubeconfig });
    const [, previewMs] = await timed(() => stack.preview());
    const watch = watchAvailability(clusterNamespace, ["hello"]);
    const started = Date.now();
    let up;
    try {
        up = await stack.up();
    } finally {
        watch.stop();
    }
    const upMs = Date.now() - started;
    const availableMs = Math.min(watch.availableAt() ?? Number.POSITIVE_INFINITY, started + upMs) - started;
    const resources = Object.values(up.summary.resourceChanges ?? {}).reduce((sum, value) => sum + value, 0);
    const [, destroyMs] = await timed(() => stack.destroy());
    await sandbox.workspace.removeStack(name);
    return { resources, previewMs, upMs, availableMs, destroyMs };
}

const secondsText = (ms: number): string => (ms / 1000).toFixed(1).padStart(8);

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runsIndex = args.indexOf("--runs");
    const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 3;
    if (!Number.isInteger(runs) || runs < 1) {
        throw new Error(`--runs must be a positive integer, got ${args[runsIndex + 1]}`);
    }
    const kubeconfig = process.env.KUBECONFIG;
    const onCluster = !args.includes("--no-cluster") && kubeconfig !== undefined && fs.existsSync(kubeconfig);

    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-bench-"));
    try {
        const sandbox = await openSandbox(directory);
        const noCheckpoints = await withEnvironment(sandbox, { PULUMI_SKIP_CHECKPOINTS: "true" });
        const rendered = new Map<number, Sample[]>(sizes.map((size) => [size, []]));
        for (let round = 1; round <= runs; round++) {
            for (const size of sizes) {
                rendered.get(size)?.push(await renderedSample(sandbox, noCheckpoints, size, round));
            }
            console.error(`rendered: round ${round}/${runs} done`);
        }
        console.log(`Real pulumi preview and up (Automation API, the sandbox of scripts/engine), median of ${runs} runs, each on a new stack`);
        console.log(`renderYamlToDirectory, the local stack's settings, the services of npm run bench, images given by digest:`);
        console.log(`services  resources  preview s      up s  preview ms/service  up ms/service  up s, PULUMI_SKIP_CHECKPOINTS=true`);
        const medians = new Map<number, { previewMs: number; upMs: number }>();
        for (const [size, samples] of rendered) {
            const previewMs = median(samples.map((sample) => sample.previewMs));
            const upMs = median(samples.map((sample) => sample.upMs));
            const upNoCheckpointsMs = median(samples.map((sample) => sample.upNoCheckpointsMs ?? Number.NaN));
            medians.set(size, { previewMs, upMs });
            console.log(
                `${String(size).padStart(8)}  ${String(samples[0]?.resources ?? 0).padStart(9)}  ${secondsText(previewMs)}  ${secondsText(upMs)}  ${(previewMs / size).toFixed(0).padStart(18)}  ${(upMs / size).toFixed(0).padStart(13)}  ${secondsText(upNoCheckpointsMs)}`,
            );
        }
        const at = (size: number) => medians.get(size) ?? { previewMs: Number.NaN, upMs: Number.NaN };
        const marginal = (measure: "previewMs" | "upMs") => (at(100)[measure] - at(10)[measure]) / 90;
        console.log(
            `each service beyond 10 (100 vs 10 services): preview ${marginal("previewMs").toFixed(0)} ms, up ${marginal("upMs").toFixed(0)} ms; ` +
                `fixed cost (1 service): preview ${secondsText(at(1).previewMs).trim()} s, up ${secondsText(at(1).upMs).trim()} s`,
        );

        if (!onCluster) {
            console.log("on the test cluster: skipped (--no-cluster, or no cluster: run under scripts/cluster exec)");
            return;
        }
        // A namespace left by an interrupted run would make up fail on an object that exists.
        await runChecked(["kubectl", "delete", "namespace", clusterNamespace, "--ignore-not-found", "--wait=true", "--timeout=10m"], { cwd: projectRoot });
        const image = await pushedHello();
        const kubeconfigText = fs.readFileSync(kubeconfig, "utf8");
        const samples: Sample[] = [];
        for (let round = 1; round <= runs; round++) {
            samples.push(await clusterSample(sandbox, image, kubeconfigText, round));
            console.error(`cluster: round ${round}/${runs} done`);
        }
        const figure = (measure: keyof Sample) => secondsText(median(samples.map((sample) => sample[measure] ?? Number.NaN))).trim();
        console.log(`on the test cluster, 1 service (hello, dev's settings, ${samples[0]?.resources ?? 0} resources), median of ${runs}:`);
        console.log(
            `  preview ${figure("previewMs")} s, up ${figure("upMs")} s, up start to the Deployment Available ${figure("availableMs")} s, destroy ${figure("destroyMs")} s`,
        );
    } finally {
        fs.rmSync(directory, { recursive: true, force: true });
        console.error(
            `load average at the end: ${os
                .loadavg()
                .map((load) => load.toFixed(1))
                .join(" ")} (${os.cpus().length} cores)`,
        );
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
