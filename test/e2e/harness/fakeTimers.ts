/**
 * A clock the harness tests move by hand, so that probe schedules measured in seconds are
 * checked in microseconds and to the millisecond.
 */
import { Cancel, Timers } from "../support/prober";

interface Entry {
    readonly at: number;
    readonly order: number;
    readonly callback: () => void;
    cancelled: boolean;
}

/** Lets pending promise callbacks (a probe's result) run. */
function settle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

/** Timers whose time only moves with {@link FakeTimers.advance}. */
export class FakeTimers implements Timers {
    private time = 0;
    private order = 0;
    private entries: Entry[] = [];

    now(): number {
        return this.time;
    }

    schedule(callback: () => void, delayMs: number): Cancel {
        const entry: Entry = { at: this.time + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
        this.entries.push(entry);
        return () => {
            entry.cancelled = true;
        };
    }

    /** Moves time forward by `ms`, running every callback that falls due, in order. */
    async advance(ms: number): Promise<void> {
        const end = this.time + ms;
        await settle();
        for (;;) {
            this.entries = this.entries.filter((entry) => !entry.cancelled);
            const due = this.entries.filter((entry) => entry.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
            if (due === undefined) {
                break;
            }
            this.entries = this.entries.filter((entry) => entry !== due);
            this.time = due.at;
            due.callback();
            await settle();
        }
        this.time = end;
        await settle();
    }
}
