/**
 * One process of `npm run bench`, started with the node arguments under test: evaluates the
 * program under mocks for 1, 10 and 100 services, `--runs N` times each after a warm-up, and
 * prints one JSON line ({@link WorkerReport}) on stdout.
 */
import { performance } from "perf_hooks";
import { program } from "../../components/program";
import { ServiceDirectoryCheck } from "../../components/serviceSettings";
import { evaluate, toRuntimeConfig } from "./evaluate";
import { runsOption } from "./stats";

/** The stack sizes measured, in services. */
export const benchSizes = [1, 10, 100] as const;

/** One evaluation of a stack. */
export interface BenchSample {
    /** Services in the stack. */
    readonly services: number;
    /** Resources it registered. */
    readonly resources: number;
    /** Wall-clock milliseconds. */
    readonly wallMs: number;
    /** CPU milliseconds (user + system, every thread of the process): what the evaluation cost, whatever else the machine ran. */
    readonly cpuMs: number;
}

/** What a worker prints. */
export interface WorkerReport {
    /** Milliseconds from the process start until the program's modules were loaded (ts-node compiling and type-checking included). */
    readonly loadMs: number;
    readonly samples: readonly BenchSample[];
}

/** Every synthetic service folder "exists": the benchmark measures the program, not the disk. */
const syntheticDirectories: ServiceDirectoryCheck = { missing: () => [], fileExists: () => true };

/** The services of a benchmark stack (also `npm run bench:engine`'s): a prod-like mix, every third service autoscales, the rest run two replicas. */
export function benchServices(count: number): Record<string, Record<string, unknown>> {
    const services: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < count; i++) {
        services[`svc-${String(i).padStart(3, "0")}`] =
            i % 3 === 0 ? { resources: "small", autoscaling: { minReplicas: 2, maxReplicas: 6 } } : { resources: "micro", replicas: 2 };
    }
    return services;
}

function stackWith(count: number): Record<string, unknown> {
    return { "aws:region": "eu-west-1", "go-services:imageTag": "v1.0.0", "go-services:services": benchServices(count) };
}

async function timeOnce(services: number): Promise<BenchSample> {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const evaluation = await evaluate({ stack: "bench", config: toRuntimeConfig(stackWith(services)), program: () => program(syntheticDirectories) });
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { services, resources: evaluation.resources.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
    const loadMs = performance.now();
    const runs = runsOption(process.argv, 1);
    await timeOnce(10);
    const samples: BenchSample[] = [];
    // Round by round, every size in each, so that a change in the machine's load weighs on every size alike.
    for (let run = 0; run < runs; run++) {
        for (const services of benchSizes) {
            samples.push(await timeOnce(services));
        }
    }
    const report: WorkerReport = { loadMs, samples };
    process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
    });
}
