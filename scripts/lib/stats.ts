/** The order statistics figures are made of: medians of runs (npm run bench, the e2e figures), latency percentiles. */

/** The value below which `fraction` of the sorted values lie (nearest rank); NaN for none. */
export function percentile(sorted: readonly number[], fraction: number): number {
    if (sorted.length === 0) {
        return Number.NaN;
    }
    const rank = Math.ceil(fraction * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** The median of some values; NaN for none. */
export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.length === 0) {
        return Number.NaN;
    }
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * The number of measured runs a benchmark takes: `--runs N` among its arguments, or
 * `defaultRuns`; anything but a positive integer is refused.
 */
export function runsOption(args: readonly string[], defaultRuns: number): number {
    const index = args.indexOf("--runs");
    const runs = index >= 0 ? Number(args[index + 1]) : defaultRuns;
    if (!Number.isInteger(runs) || runs < 1) {
        throw new Error(`--runs must be a positive integer, got ${args[index + 1]}`);
    }
    return runs;
}
