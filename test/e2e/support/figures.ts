/**
 * The figures an e2e run measures on the real cluster, printed as one table at the end of the
 * run (and written as JSON to $E2E_FIGURES when set), so that a run's numbers can be quoted
 * together with the command that produced them.
 */
import * as fs from "fs";
import { median } from "../../../scripts/lib/stats";

/** Requests sent at a fixed rate during one disruption, and how they fared. */
export interface LoadFigures {
    readonly ratePerSecond: number;
    readonly requests: number;
    readonly failed: number;
    readonly p99Ms: number;
}

/** What was measured for one stack. */
export interface StackFigures {
    /** First server-side apply to every Deployment Available, ms. */
    applyToAvailableMs: number;
    /** Per pod: the container's start to the pod's Ready condition, s (the API's timestamps are whole seconds). */
    podStartToReadySeconds: number[];
    /** Per service: a rolling update to a new digest, start to the rollout's end, ms. */
    rollouts: Record<string, { durationMs: number; load: LoadFigures }>;
    /** Per service: a pod deleted under load. */
    drains: Record<string, { readyz503AfterMs: number; exitCode: number; exitAfterMs: number; load: LoadFigures }>;
    /** Per service: SIGKILL to ready again after the kubelet restarted the container, ms. */
    killToReadyMs: Record<string, number>;
    /** Per service: its NetworkPolicy applied (server-side apply returned) to a pod it refuses refused, ms. */
    policyEnforcementMs: Record<string, number>;
    /** Per autoscaled service: load start to a pod added by the HPA ready, load stop to the minimum again. */
    autoscaling: Record<
        string,
        { adjustments: string; scaleOutMs: number; scaleInMs: number; peakReplicas: number; peakUtilization: number; load: LoadFigures }
    >;
}

/** The figures of a run. */
export class Figures {
    private readonly startedAt = Date.now();
    private readonly stacks = new Map<string, Partial<StackFigures>>();
    private readonly notes = new Map<string, string>();

    /** Records a run-wide figure, e.g. the image build or the control plane's start. */
    note(name: string, value: string): void {
        this.notes.set(name, value);
    }

    /** Merges figures of a stack. */
    record(stack: string, figures: Partial<StackFigures>): void {
        const current = this.stacks.get(stack) ?? {};
        this.stacks.set(stack, {
            ...current,
            ...figures,
            rollouts: { ...current.rollouts, ...figures.rollouts },
            drains: { ...current.drains, ...figures.drains },
            killToReadyMs: { ...current.killToReadyMs, ...figures.killToReadyMs },
            policyEnforcementMs: { ...current.policyEnforcementMs, ...figures.policyEnforcementMs },
            autoscaling: { ...current.autoscaling, ...figures.autoscaling },
        });
    }

    /** Everything measured, as plain data. */
    toJSON(): unknown {
        return { totalMs: Date.now() - this.startedAt, notes: Object.fromEntries(this.notes), stacks: Object.fromEntries(this.stacks) };
    }

    /** The figures as text. */
    table(): string {
        const ms = (value?: number): string => (value === undefined || Number.isNaN(value) ? "?" : `${Math.round(value)} ms`);
        const load = (figures?: LoadFigures): string => (figures ? `${figures.failed}/${figures.requests} failed, p99 ${ms(figures.p99Ms)}` : "?");
        const lines: string[] = [];
        for (const [stack, figures] of this.stacks) {
            const starts = figures.podStartToReadySeconds ?? [];
            lines.push(
                `${stack}: apply to all Available ${ms(figures.applyToAvailableMs)}; pod start to Ready median ${median(starts)} s over ${starts.length} pods`,
            );
            for (const [service, rollout] of Object.entries(figures.rollouts ?? {})) {
                lines.push(`  ${service}: rolling update to a new digest ${ms(rollout.durationMs)}, ${load(rollout.load)}`);
            }
            for (const [service, drain] of Object.entries(figures.drains ?? {})) {
                lines.push(
                    `  ${service}: pod deleted under load: /readyz 503 ${ms(drain.readyz503AfterMs)} after deletion, exit ${drain.exitCode} after ${ms(drain.exitAfterMs)}, ${load(drain.load)}`,
                );
            }
            for (const [service, killToReady] of Object.entries(figures.killToReadyMs ?? {})) {
                lines.push(`  ${service}: SIGKILL to ready again (restarted by the kubelet) ${ms(killToReady)}`);
            }
            for (const [service, enforcement] of Object.entries(figures.policyEnforcementMs ?? {})) {
                lines.push(`  ${service}: NetworkPolicy applied to enforced (kube-router) ${ms(enforcement)}`);
            }
            for (const [service, scaling] of Object.entries(figures.autoscaling ?? {})) {
                lines.push(
                    `  ${service}: HPA (${scaling.adjustments}) scale-out ${ms(scaling.scaleOutMs)} after the load started, scale-in ${ms(scaling.scaleInMs)} after it stopped; peak ${scaling.peakReplicas} replicas at ${scaling.peakUtilization} % CPU; during scale-out ${load(scaling.load)}`,
                );
            }
        }
        for (const [name, value] of this.notes) {
            lines.push(`${name}: ${value}`);
        }
        lines.push(`Whole e2e run: ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s.`);
        return lines.join("\n");
    }

    /** Prints the figures, and writes the JSON to $E2E_FIGURES when it is set. */
    report(): void {
        process.stdout.write(`\n${this.table()}\n`);
        const file = process.env.E2E_FIGURES;
        if (file) {
            fs.writeFileSync(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
            process.stdout.write(`Figures written to ${file}\n`);
        }
    }
}
