/**
 * npm run bench:engine [-- --runs N] [--compare] [--previews-only] [--check] [--no-cluster]
 *
 * The real `pulumi preview` and `pulumi up` (the sandboxed engine of scripts/engine, through the
 * Automation API), median of N runs (default 3), each on a new stack:
 *
 * - `pulumi preview` of 1, 10 and 100 services with `renderYamlToDirectory` (the local stack's
 *   settings with the services of `npm run bench`, each given an image by digest): the engine,
 *   the language host, the program and the provider, with no cluster. Wall clock, and the CPU of
 *   every process the preview ran; what one more service costs (from 1 to 10 and from 1 to 100
 *   services, so the fixed start-up cost drops out) and how that grows. Previews run as CI runs
 *   them; --compare adds each of issue 12's engine-side changes undone, interleaved in every
 *   round so that a change in the machine's load hits all alike.
 * - `pulumi up` of the same stacks, and with PULUMI_SKIP_CHECKPOINTS=true, which shows what
 *   writing the state after every step costs (the file backend rewrites the whole checkpoint).
 * - 1 service (hello, dev's settings, built and pushed to the test cluster's registry) on the
 *   test cluster: preview, up, and the time from the start of up until its Deployment is
 *   Available as the cluster reports it, then destroy. Skipped with --no-cluster or when no
 *   cluster runs (`npm run bench:engine` runs under scripts/cluster exec).
 *
 * --previews-only stops after the previews. --check (previews only, as CI runs them; `.ci/run`)
 * previews 10, 55 and 100 services and exits 1 when one more service costs more than 1.2 times as
 * much CPU from 55 to 100 services as from 10 to 55.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack, UpResult } from "@pulumi/pulumi/automation";
import {
    EngineSandbox,
    committedStackConfig,
    createStack,
    openSandbox,
    renderedStackConfig,
    renderedVersion,
    withEnvironment,
    withGivenImages,
} from "./lib/engine";
import { runChecked } from "./lib/command";
import { watchAvailability } from "./lib/deploymentWatch";
import { projectName, projectRoot } from "./lib/evaluate";
import { median, runsOption } from "./lib/stats";

const sizes = [1, 10, 100] as const;

/** The version the benchmark's image is built and deployed as. */
const version = renderedVersion;

/** The namespace of the on-cluster runs (the engine tests' namespaces start with go-services-engine too). */
const clusterNamespace = "go-services-engine-bench";

/** `up` of a new rendered stack, ms. */
interface UpSample {
    readonly resources: number;
    readonly upMs: number;
    /** `up` of the same config on another new stack with PULUMI_SKIP_CHECKPOINTS=true. */
    readonly upNoCheckpointsMs: number;
}

/** One round on the test cluster, ms. */
interface ClusterSample {
    readonly resources: number;
    readonly previewMs: number;
    readonly upMs: number;
    readonly availableMs: number;
    readonly destroyMs: number;
}

/** The resources an update touched, from its summary (every kind of change counted). */
function resourcesTouched(up: UpResult): number {
    return Object.values(up.summary.resourceChanges ?? {}).reduce((sum, value) => sum + value, 0);
}

async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
    const started = Date.now();
    const result = await action();
    return [result, Date.now() - started];
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, which Linux fixes at 100 for user space. */
const ticksPerSecond = 100;

/**
 * CPU milliseconds of this process's finished children and everything they waited for: the
 * Pulumi CLI, its language host, the program's node and the provider of every finished command.
 * On a shared machine this moves far less than the wall clock.
 */
function childrenCpuMs(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name "(...)": state is field 3, cutime and cstime fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
}

/** A way of running `pulumi preview`: the environment it adds to the sandbox's. */
interface PreviewWay {
    readonly label: string;
    readonly env: Readonly<Record<string, string>>;
}

/**
 * The way the pull-request workflow previews (.github/actions/pulumi-stack): checkpoints
 * skipped, which a preview never persists anyway, and the SDK's debug lines dropped by the
 * program (components/sdkDebugLogs.ts, the default).
 */
const ciWay: PreviewWay = { label: "as CI previews (PULUMI_SKIP_CHECKPOINTS=true, SDK debug lines dropped)", env: { PULUMI_SKIP_CHECKPOINTS: "true" } };

/** With --compare: each change alone undone, and both (how a preview ran before them). */
const comparedWays: readonly PreviewWay[] = [
    ciWay,
    { label: "checkpoints serialized after every step (a plain `pulumi preview`)", env: {} },
    { label: "SDK debug lines sent (GO_SERVICES_SDK_DEBUG_LOGS=true)", env: { PULUMI_SKIP_CHECKPOINTS: "true", GO_SERVICES_SDK_DEBUG_LOGS: "true" } },
    { label: "both (before issue 12's engine-side changes)", env: { GO_SERVICES_SDK_DEBUG_LOGS: "true" } },
];

/** Creates a rendered stack, runs `measure` on it, and removes the stack and what it rendered. */
async function onRenderedStack<T>(sandbox: EngineSandbox, count: number, name: string, measure: (stack: Stack) => Promise<T>): Promise<T> {
    const stack = await createStack(sandbox, name, renderedStackConfig(count, name));
    try {
        return await measure(stack);
    } finally {
        await sandbox.workspace.removeStack(name, { force: true });
        fs.rmSync(path.join(sandbox.projectDirectory, "rendered", name), { recursive: true, force: true });
    }
}

/** `up` of a new rendered stack, and of another with PULUMI_SKIP_CHECKPOINTS=true. */
async function upSample(sandbox: EngineSandbox, noCheckpoints: EngineSandbox, count: number, round: number): Promise<UpSample> {
    const [resources, upMs] = await onRenderedStack(sandbox, count, `bench-up-${count}-${round}`, async (stack) => {
        const [up, ms] = await timed(() => stack.up());
        return [resourcesTouched(up), ms] as const;
    });
    const [, upNoCheckpointsMs] = await onRenderedStack(noCheckpoints, count, `bench-up-nockpt-${count}-${round}`, (stack) => timed(() => stack.up()));
    return { resources, upMs, upNoCheckpointsMs };
}

/** One preview of a new rendered stack: wall clock and the CPU of every process it ran. */
interface PreviewSample {
    readonly wallMs: number;
    readonly cpuMs: number;
}

async function previewSample(stack: Stack): Promise<PreviewSample> {
    const cpuBefore = childrenCpuMs();
    const [, wallMs] = await timed(() => stack.preview());
    return { wallMs, cpuMs: childrenCpuMs() - cpuBefore };
}

/** Medians per size of one way's previews. */
type PreviewFigures = ReadonlyMap<number, PreviewSample>;

/**
 * What one more service costs a preview, from the medians: between 1 and 10 services and between
 * 1 and 100, so the fixed cost (starting the CLI, the host, node, loading the program and the
 * provider) drops out. The growth is the ratio of the two: 1 for a preview linear in the stack.
 */
interface PerService {
    readonly wallAt10: number;
    readonly wallAt100: number;
    readonly cpuAt10: number;
    readonly cpuAt100: number;
}

function perService(figures: PreviewFigures): PerService {
    const at = (size: number): PreviewSample => figures.get(size) ?? { wallMs: Number.NaN, cpuMs: Number.NaN };
    const marginal = (size: number, measure: keyof PreviewSample) => (at(size)[measure] - at(1)[measure]) / (size - 1);
    return { wallAt10: marginal(10, "wallMs"), wallAt100: marginal(100, "wallMs"), cpuAt10: marginal(10, "cpuMs"), cpuAt100: marginal(100, "cpuMs") };
}

/** Previews every size in every way, `runs` rounds, interleaved (a change in the machine's load hits all alike); medians per way and size. */
async function measurePreviews(
    sandbox: EngineSandbox,
    ways: readonly PreviewWay[],
    runs: number,
    attempt: number,
    measuredSizes: readonly number[] = sizes,
): Promise<PreviewFigures[]> {
    const sandboxes = await Promise.all(ways.map((way) => withEnvironment(sandbox, way.env)));
    // One stack per size, never deployed, so every preview is that of a new stack; each way
    // previews it through its own workspace (its environment), on the same project copy and state.
    const names = measuredSizes.map((size) => `bench-preview-${attempt}-${size}`);
    for (const [index, size] of measuredSizes.entries()) {
        await createStack(sandbox, names[index] ?? "", renderedStackConfig(size, names[index] ?? ""));
    }
    try {
        const stacks = await Promise.all(sandboxes.map((waySandbox) => Promise.all(names.map((name) => Stack.select(name, waySandbox.workspace)))));
        const samples = ways.map(() => new Map<number, PreviewSample[]>(measuredSizes.map((size) => [size, []])));
        for (let round = 1; round <= runs; round++) {
            for (const [sizeIndex, size] of measuredSizes.entries()) {
                for (const [wayIndex, wayStacks] of stacks.entries()) {
                    const stack = wayStacks[sizeIndex];
                    if (stack) {
                        samples[wayIndex]?.get(size)?.push(await previewSample(stack));
                    }
                }
            }
            console.error(`previews: round ${round}/${runs} done`);
        }
        return samples.map(
            (bySize) =>
                new Map(
                    [...bySize].map(([size, values]) => [
                        size,
                        { wallMs: median(values.map((value) => value.wallMs)), cpuMs: median(values.map((value) => value.cpuMs)) },
                    ]),
                ),
        );
    } finally {
        for (const name of names) {
            await sandbox.workspace.removeStack(name, { force: true });
            fs.rmSync(path.join(sandbox.projectDirectory, "rendered", name), { recursive: true, force: true });
        }
    }
}

function printPreviews(ways: readonly PreviewWay[], figures: readonly PreviewFigures[], runs: number): void {
    console.log(
        `Real pulumi preview of a never-deployed stack (renderYamlToDirectory, the local stack's settings, npm run bench's services, images by digest), median of ${runs}:`,
    );
    console.log(`  wall s (CPU s of every process) at 1 / 10 / 100 services; per service beyond 1, ms wall (CPU) at 10 and at 100; growth at 100 / at 10`);
    for (const [index, way] of ways.entries()) {
        const byWay = figures[index] ?? new Map<number, PreviewSample>();
        const cells = sizes.map((size) => {
            const sample = byWay.get(size);
            return sample ? `${(sample.wallMs / 1000).toFixed(2)} (${(sample.cpuMs / 1000).toFixed(2)})` : "-";
        });
        const cost = perService(byWay);
        console.log(
            `  ${cells.join(" / ")};  ${cost.wallAt10.toFixed(1)} (${cost.cpuAt10.toFixed(1)}) / ${cost.wallAt100.toFixed(1)} (${cost.cpuAt100.toFixed(1)}) ms;  ` +
                `growth ${(cost.wallAt100 / cost.wallAt10).toFixed(2)} wall, ${(cost.cpuAt100 / cost.cpuAt10).toFixed(2)} CPU  ${way.label}`,
        );
    }
}

/** --check: how much more one more service may cost the CI preview's CPU between 55 and 100 services than between 10 and 55. */
const allowedGrowth = 1.2;

/**
 * --check's sizes. The cost of one more service is compared over two spans of 45 services each,
 * both past the start-up and the JIT's warm-up (which make the first ten services dearer): a
 * span from 1 to 10 services is half a second of CPU, which the machine's noise moves by half.
 */
const checkSizes = [10, 55, 100] as const;

/**
 * --check: the CI way's CPU per service from 55 to 100 services over that from 10 to 55 must stay
 * at or under {@link allowedGrowth}: a preview that grows faster than the stack (like the
 * checkpoints serialized after every step) fails. CPU, not the wall clock, because a shared
 * machine's other work slows the wall clock unevenly; a ratio over the limit is measured again,
 * up to 3 times, and fails only if it stays over.
 */
async function checkGrowth(sandbox: EngineSandbox, runs: number): Promise<boolean> {
    const [small, middle, large] = checkSizes;
    const growths: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
        const [figures = new Map<number, PreviewSample>()] = await measurePreviews(sandbox, [ciWay], runs, attempt, checkSizes);
        const cpu = (size: number): number => figures.get(size)?.cpuMs ?? Number.NaN;
        const first = (cpu(middle) - cpu(small)) / (middle - small);
        const second = (cpu(large) - cpu(middle)) / (large - middle);
        const growth = second / first;
        growths.push(growth);
        console.log(
            `CPU of a real preview (${ciWay.label}), median of ${runs}: ${checkSizes.map((size) => `${size} services ${(cpu(size) / 1000).toFixed(2)} s`).join(", ")}; ` +
                `per service ${first.toFixed(1)} ms from ${small} to ${middle}, ${second.toFixed(1)} ms from ${middle} to ${large}: growth ${growth.toFixed(2)} (limit ${allowedGrowth})`,
        );
        if (growth <= allowedGrowth) {
            return true;
        }
        console.log(attempt < 3 ? "over the limit: measuring again" : "");
    }
    console.log(
        `FAIL: a real preview's CPU per service grows with the stack in all ${growths.length} measurements (${growths.map((growth) => growth.toFixed(2)).join(", ")} > ${allowedGrowth})`,
    );
    return false;
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

async function clusterSample(sandbox: EngineSandbox, image: string, kubeconfig: string, round: number): Promise<ClusterSample> {
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
    const resources = resourcesTouched(up);
    const [, destroyMs] = await timed(() => stack.destroy());
    await sandbox.workspace.removeStack(name);
    return { resources, previewMs, upMs, availableMs, destroyMs };
}

const secondsText = (ms: number): string => (ms / 1000).toFixed(1).padStart(8);

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runs = runsOption(args, 3);
    const known = new Set(["--runs", "--no-cluster", "--previews-only", "--compare", "--check"]);
    const unknown = args.filter((arg, index) => arg.startsWith("--") && !known.has(arg) && args[index - 1] !== "--runs");
    if (unknown.length > 0) {
        throw new Error(`unknown option ${unknown.join(" ")} (options: ${[...known].join(" ")})`);
    }
    const check = args.includes("--check");
    const previewsOnly = check || args.includes("--previews-only");
    const kubeconfig = process.env.KUBECONFIG;
    const onCluster = !previewsOnly && !args.includes("--no-cluster") && kubeconfig !== undefined && fs.existsSync(kubeconfig);

    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-bench-"));
    try {
        const sandbox = await openSandbox(directory);
        if (check) {
            if (!(await checkGrowth(sandbox, runs))) {
                process.exitCode = 1;
            }
            return;
        }
        const ways = args.includes("--compare") ? comparedWays : [ciWay];
        printPreviews(ways, await measurePreviews(sandbox, ways, runs, 0), runs);
        if (previewsOnly) {
            return;
        }

        const noCheckpoints = await withEnvironment(sandbox, { PULUMI_SKIP_CHECKPOINTS: "true" });
        const ups = new Map<number, UpSample[]>(sizes.map((size) => [size, []]));
        for (let round = 1; round <= runs; round++) {
            for (const size of sizes) {
                ups.get(size)?.push(await upSample(sandbox, noCheckpoints, size, round));
            }
            console.error(`up: round ${round}/${runs} done`);
        }
        console.log(`Real pulumi up of a new stack (the same stacks), median of ${runs}:`);
        console.log(`services  resources      up s  up s, PULUMI_SKIP_CHECKPOINTS=true`);
        for (const [size, samples] of ups) {
            const upMs = median(samples.map((sample) => sample.upMs));
            const upNoCheckpointsMs = median(samples.map((sample) => sample.upNoCheckpointsMs));
            console.log(
                `${String(size).padStart(8)}  ${String(samples[0]?.resources ?? 0).padStart(9)}  ${secondsText(upMs)}  ${secondsText(upNoCheckpointsMs)}`,
            );
        }

        if (!onCluster) {
            console.log("on the test cluster: skipped (--no-cluster, or no cluster: run under scripts/cluster exec)");
            return;
        }
        // A namespace left by an interrupted run would make up fail on an object that exists.
        await runChecked(["kubectl", "delete", "namespace", clusterNamespace, "--ignore-not-found", "--wait=true", "--timeout=10m"], { cwd: projectRoot });
        const image = await pushedHello();
        const kubeconfigText = fs.readFileSync(kubeconfig, "utf8");
        const samples: ClusterSample[] = [];
        for (let round = 1; round <= runs; round++) {
            samples.push(await clusterSample(sandbox, image, kubeconfigText, round));
            console.error(`cluster: round ${round}/${runs} done`);
        }
        const figure = (measure: keyof ClusterSample) => secondsText(median(samples.map((sample) => sample[measure]))).trim();
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
