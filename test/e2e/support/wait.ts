/**
 * Waiting, the two ways the e2e tests need: until a condition holds (polled, with a deadline
 * and a message saying what was awaited), or until a chosen moment (to start an action at a
 * point of a probe schedule, which no condition can tell).
 */

/** Resolves after `ms` (at once for `ms` <= 0). */
export function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Resolves at the wall-clock time `at` (ms since the epoch). */
export function until(at: number): Promise<void> {
    return delay(at - Date.now());
}

/**
 * Polls `attempt` every `intervalMs` until it returns a value other than undefined, and
 * resolves with that value; rejects after `timeoutMs` naming `description` and the last
 * thing `attempt` saw (what it threw, or `lastSeen`).
 */
export async function pollUntil<T>(
    description: string,
    attempt: () => T | undefined | Promise<T | undefined>,
    options: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    let lastError = "";
    for (;;) {
        try {
            const value = await attempt();
            if (value !== undefined) {
                return value;
            }
        } catch (error) {
            lastError = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() >= deadline) {
            const seen = options.lastSeen?.() ?? lastError;
            throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${description}${seen ? `; last seen: ${seen}` : ""}`);
        }
        await delay(options.intervalMs ?? 50);
    }
}
