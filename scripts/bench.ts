/**
 * npm run bench [-- --runs N] [-- --check]
 *
 * Evaluates the program under mocks for 1, 10 and 100 services and prints, per size, the
 * resources registered and the milliseconds per service (median of N runs, after a warm-up).
 * With --check it exits 1 when the cost per service at 100 services exceeds 1.5 times the
 * cost at 10: the program must scale linearly with the number of services.
 */
import { program } from "../components/program";
import { ServiceDirectoryCheck } from "../components/serviceSettings";
import { evaluate, toRuntimeConfig } from "./lib/evaluate";
import { median } from "./lib/stats";

const sizes = [1, 10, 100] as const;
const allowedGrowth = 1.5;

/** Every synthetic service folder "exists": the benchmark measures the program, not the disk. */
const syntheticDirectories: ServiceDirectoryCheck = { missing: () => [], fileExists: () => true };

function stackWith(count: number): Record<string, unknown> {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
        // A prod-like mix: every third service autoscales, the rest run two replicas.
        services[`svc-${String(i).padStart(3, "0")}`] =
            i % 3 === 0 ? { resources: "small", autoscaling: { minReplicas: 2, maxReplicas: 6 } } : { resources: "micro", replicas: 2 };
    }
    return { "aws:region": "eu-west-1", "go-services:imageTag": "v1.0.0", "go-services:services": services };
}

async function timeOnce(count: number): Promise<{ ms: number; resources: number }> {
    const started = process.hrtime.bigint();
    const evaluation = await evaluate({ stack: "bench", config: toRuntimeConfig(stackWith(count)), program: () => program(syntheticDirectories) });
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, resources: evaluation.resources.length };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runsIndex = args.indexOf("--runs");
    const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 5;
    if (!Number.isInteger(runs) || runs < 1) {
        throw new Error(`--runs must be a positive integer, got ${args[runsIndex + 1]}`);
    }
    await timeOnce(10);
    const perService = new Map<number, number>();
    console.log(`services  resources  median ms  ms/service  (median of ${runs} runs)`);
    for (const count of sizes) {
        const samples: number[] = [];
        let resources = 0;
        for (let run = 0; run < runs; run++) {
            const result = await timeOnce(count);
            samples.push(result.ms);
            resources = result.resources;
        }
        const ms = median(samples);
        perService.set(count, ms / count);
        console.log(`${String(count).padStart(8)}  ${String(resources).padStart(9)}  ${ms.toFixed(1).padStart(9)}  ${(ms / count).toFixed(2).padStart(10)}`);
    }
    const growth = (perService.get(100) ?? Number.NaN) / (perService.get(10) ?? Number.NaN);
    console.log(`cost per service at 100 / at 10: ${growth.toFixed(2)} (limit ${allowedGrowth})`);
    if (args.includes("--check") && growth > allowedGrowth) {
        console.error(`FAIL: the cost per service grows with the number of services (${growth.toFixed(2)} > ${allowedGrowth})`);
        process.exitCode = 1;
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
