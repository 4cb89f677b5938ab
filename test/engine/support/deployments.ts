/**
 * Deployments as the cluster reports them: whether a rollout is complete (what `kubectl rollout
 * status` checks) and which pods run it.
 */
import { getObject, podReady, podsOf, PodState, selectorOf } from "../../e2e/support/cluster";

/** What the tests read of a Deployment. */
export interface DeploymentState {
    readonly metadata: { readonly name: string; readonly uid: string; readonly generation: number; readonly labels?: Record<string, string> };
    readonly spec: {
        readonly replicas?: number;
        readonly selector: { readonly matchLabels?: Record<string, string> };
        readonly template: {
            readonly metadata?: { readonly labels?: Record<string, string> };
            readonly spec: {
                readonly containers: readonly { readonly name: string; readonly image: string; readonly env?: readonly { name: string; value?: string }[] }[];
            };
        };
    };
    readonly status?: {
        readonly observedGeneration?: number;
        readonly replicas?: number;
        readonly updatedReplicas?: number;
        readonly readyReplicas?: number;
        readonly availableReplicas?: number;
        readonly unavailableReplicas?: number;
        readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string }[];
    };
}

export function readDeployment(namespace: string, name: string): Promise<DeploymentState> {
    return getObject<DeploymentState>(["deployment", name, "--namespace", namespace]);
}

/**
 * Why a Deployment's rollout is not complete, or undefined when it is: the controller has seen
 * the latest spec, every replica runs it and is available, no old replica is left, and the
 * Deployment reports Available and its new ReplicaSet available (what `kubectl rollout status`
 * and Pulumi's await logic wait for).
 */
export function rolloutIncomplete(deployment: DeploymentState): string | undefined {
    const status = deployment.status ?? {};
    const wanted = deployment.spec.replicas ?? 1;
    const condition = (type: string) => status.conditions?.find((entry) => entry.type === type);
    const seen = JSON.stringify({ generation: deployment.metadata.generation, wanted, ...status });
    if ((status.observedGeneration ?? 0) < deployment.metadata.generation) {
        return `the controller has not observed generation ${deployment.metadata.generation}: ${seen}`;
    }
    if (status.updatedReplicas !== wanted || status.replicas !== wanted || status.availableReplicas !== wanted || (status.unavailableReplicas ?? 0) > 0) {
        return `not every replica is updated and available: ${seen}`;
    }
    if (condition("Available")?.status !== "True" || condition("Progressing")?.reason !== "NewReplicaSetAvailable") {
        return `not Available with its new ReplicaSet available: ${seen}`;
    }
    return undefined;
}

/** The ready pods of a Deployment, not being deleted. */
export async function readyPodsOf(namespace: string, deployment: DeploymentState): Promise<PodState[]> {
    const pods = await podsOf(namespace, selectorOf(deployment.spec.selector.matchLabels ?? {}));
    return pods.filter((pod) => podReady(pod) && pod.metadata.deletionTimestamp === undefined);
}
