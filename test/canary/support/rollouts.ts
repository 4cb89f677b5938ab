/**
 * Argo Rollouts' objects as the cluster reports them: a Rollout's status (its phase, step, the
 * stable and the latest pod-template hash, whether it was aborted), its AnalysisRuns with their
 * measurements, and a timeline of the Rollout's status.
 */
import { runChecked } from "../../../scripts/lib/command";
import { getObject, listObjects, PodState } from "../../e2e/support/cluster";
import { pollUntil } from "../../e2e/support/wait";

/** What the tests read of an argoproj.io/v1alpha1 Rollout. */
export interface RolloutState {
    readonly metadata: { readonly name: string; readonly generation: number; readonly uid: string };
    readonly spec: { readonly replicas?: number; readonly template: { readonly spec: { readonly containers: readonly { readonly image: string }[] } } };
    readonly status?: {
        readonly phase?: string;
        readonly message?: string;
        readonly abort?: boolean;
        readonly abortedAt?: string;
        readonly currentStepIndex?: number;
        readonly stableRS?: string;
        readonly currentPodHash?: string;
        /** A string in Argo's status, unlike a Deployment's. */
        readonly observedGeneration?: string;
        readonly replicas?: number;
        readonly updatedReplicas?: number;
        readonly readyReplicas?: number;
        readonly availableReplicas?: number;
        readonly pauseConditions?: readonly { readonly reason: string }[];
    };
}

export function readRollout(namespace: string, name: string): Promise<RolloutState> {
    return getObject<RolloutState>(["rollout.argoproj.io", name, "--namespace", namespace]);
}

/** The image of a Rollout's pod template. */
export function rolloutImage(rollout: RolloutState): string {
    return rollout.spec.template.spec.containers[0]?.image ?? "";
}

/**
 * Why a Rollout is not fully promoted, or undefined when it is: the controller has seen the
 * latest spec, the latest pod template is the stable one, the phase is Healthy, nothing is
 * aborted and every replica is updated and available.
 */
export function notPromoted(rollout: RolloutState): string | undefined {
    const status = rollout.status ?? {};
    const wanted = rollout.spec.replicas ?? 1;
    const seen = JSON.stringify({ generation: rollout.metadata.generation, wanted, ...status });
    if (status.observedGeneration !== String(rollout.metadata.generation)) {
        return `the controller has not observed generation ${rollout.metadata.generation}: ${seen}`;
    }
    if (status.abort === true || status.phase !== "Healthy" || status.stableRS === undefined || status.stableRS !== status.currentPodHash) {
        return `not Healthy with the latest pod template stable: ${seen}`;
    }
    if (status.updatedReplicas !== wanted || status.availableReplicas !== wanted || status.replicas !== wanted) {
        return `not every replica is updated and available: ${seen}`;
    }
    return undefined;
}

/** What the tests read of an AnalysisRun. */
export interface AnalysisRunState {
    readonly metadata: { readonly name: string; readonly creationTimestamp: string; readonly labels?: Record<string, string> };
    readonly status?: {
        readonly phase?: string;
        readonly message?: string;
        readonly metricResults?: readonly {
            readonly name: string;
            readonly phase: string;
            readonly message?: string;
            readonly measurements?: readonly { readonly phase: string; readonly value?: string; readonly message?: string; readonly finishedAt?: string }[];
        }[];
    };
}

/** The AnalysisRuns of a namespace, oldest first. */
export async function analysisRuns(namespace: string): Promise<AnalysisRunState[]> {
    const runs = await listObjects<AnalysisRunState>(["analysisruns.argoproj.io", "--namespace", namespace]);
    return runs.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
}

/** One status of a Rollout as a poll saw it, and when. */
export interface RolloutEvent {
    readonly at: number;
    readonly phase: string;
    readonly abort: boolean;
    readonly step: string;
    readonly stableRS: string;
    readonly currentPodHash: string;
    readonly message: string;
}

/** The statuses of one Rollout, noted as they change. */
export interface RolloutTimeline {
    readonly events: () => readonly RolloutEvent[];
    /** The first event at or after `since` that `matches`, if any. */
    readonly first: (since: number, matches: (event: RolloutEvent) => boolean) => RolloutEvent | undefined;
    readonly stop: () => void;
}

/** How often {@link watchRollout} reads the Rollout: the resolution of the times it notes. */
const pollIntervalMs = 250;

/**
 * Reads a Rollout (which may not exist yet) every {@link pollIntervalMs} and notes each status
 * that differs from the one before. Polls, not `kubectl get --watch`: a watch of a custom
 * resource with a jsonpath template printed empty lines here. The states awaited (promoted,
 * aborted) last, so a poll cannot miss them.
 */
export function watchRollout(namespace: string, name: string): RolloutTimeline {
    const events: RolloutEvent[] = [];
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async (): Promise<void> => {
        const rollout = await readRollout(namespace, name).catch(() => undefined);
        const status = rollout?.status;
        if (status !== undefined) {
            const event: RolloutEvent = {
                at: Date.now(),
                phase: status.phase ?? "",
                abort: status.abort === true,
                step: status.currentStepIndex === undefined ? "" : String(status.currentStepIndex),
                stableRS: status.stableRS ?? "",
                currentPodHash: status.currentPodHash ?? "",
                message: status.message ?? "",
            };
            const last = events[events.length - 1];
            if (last === undefined || JSON.stringify({ ...last, at: 0 }) !== JSON.stringify({ ...event, at: 0 })) {
                events.push(event);
            }
        }
        if (!stopped) {
            timer = setTimeout(() => void poll(), pollIntervalMs);
        }
    };
    void poll();
    return {
        events: () => events,
        first: (since, matches) => events.find((event) => event.at >= since && matches(event)),
        stop: () => {
            stopped = true;
            clearTimeout(timer);
        },
    };
}

/** The pod IPs kube-proxy's rules send a Service's requests to: its DNAT rules in the nat table (iptables mode). */
async function proxiedEndpoints(namespace: string, service: string): Promise<string[]> {
    const rules = await runChecked(["iptables", "-w", "-t", "nat", "-S"]);
    const comment = `--comment "${namespace}/${service}:`;
    return rules
        .split("\n")
        .filter((rule) => rule.includes(comment) && rule.includes("-j DNAT"))
        .flatMap((rule) => /--to-destination ([0-9.]+):\d+/.exec(rule)?.[1] ?? []);
}

/**
 * Waits until a Service sends requests to the stable pods alone: kube-proxy's rules for it lead
 * to pods of the stable pod template (`<rollout>-<stableRS>-<5 characters>`) only, on this
 * node (the test cluster's one). Resolves with when that was seen.
 */
export async function waitStableOnly(namespace: string, service: string, rollout: string, stableRS: string, timeoutMs: number): Promise<number> {
    const stablePod = new RegExp(`^${rollout}-${stableRS}-[a-z0-9]{5}$`);
    let seen = "";
    return pollUntil(
        `kube-proxy to send ${namespace}/${service}'s requests to stable pods (${rollout}-${stableRS}-*) alone`,
        async () => {
            const [targets, pods] = await Promise.all([proxiedEndpoints(namespace, service), listObjects<PodState>(["pods", "--namespace", namespace])]);
            const podOf = (ip: string): string => pods.find((pod) => pod.status.podIP === ip)?.metadata.name ?? `(no pod) ${ip}`;
            const names = targets.map(podOf);
            seen = names.join(", ");
            return names.length > 0 && names.every((name) => stablePod.test(name)) ? Date.now() : undefined;
        },
        { timeoutMs, intervalMs: 250, lastSeen: () => seen },
    );
}
