import * as assert from "node:assert/strict";
import { COMPANION_TYPES } from "../../policy/companions";
import type { PolicyResourceView } from "../../policy/rule";
import { WORKLOAD_TYPES } from "../../policy/kubernetes";
import { companionsOf, compliantPodSpec, deployment, resource, stackViolations, UNKNOWN_VALUE, workload } from "./fixtures";

const HELLO = 'Deployment "hello" in namespace "apps" (pod labels {"app":"hello"})';

/** The compliant Deployment and its companions, with the companion of `type` replaced by `replacement`. */
function stackWith(type: string, ...replacement: PolicyResourceView[]): PolicyResourceView[] {
    return [deployment(), ...companionsOf().filter((companion) => companion.type !== type), ...replacement];
}

/** The compliant Deployment and all its companions. */
function completeStack(): PolicyResourceView[] {
    return [deployment(), ...companionsOf()];
}

function companion(type: string, spec: Record<string, unknown>, namespace = "apps"): PolicyResourceView {
    return resource(type, "companion", { metadata: { name: "companion", namespace }, spec });
}

/** An autoscaler keeping at least `minReplicas` of the Deployment `name`. */
function autoscaler(minReplicas: number, name = "hello"): PolicyResourceView {
    return companion(COMPANION_TYPES.horizontalPodAutoscalers[0], { minReplicas, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name } });
}

describe("policy/companions", () => {
    it("passes a Deployment with its Service, NetworkPolicy and PodDisruptionBudget", () => {
        for (const rule of ["deployment-has-service", "deployment-has-network-policy", "deployment-has-pdb"]) {
            assert.deepEqual(stackViolations(rule, completeStack()), [], rule);
        }
    });

    describe("deployment-has-service", () => {
        it("fails without a Service selecting the pods", () => {
            assert.deepEqual(stackViolations("deployment-has-service", stackWith(COMPANION_TYPES.service)), [
                `${HELLO}: no Service in namespace "apps" selects its pods; add one whose spec.selector matches the pod labels (disable this policy for workers that serve no traffic).`,
            ]);
        });

        it("does not count a Service in another namespace, with other labels, or without a selector", () => {
            for (const service of [
                companion(COMPANION_TYPES.service, { selector: { app: "hello" } }, "other"),
                companion(COMPANION_TYPES.service, { selector: { app: "hello", tier: "web" } }),
                companion(COMPANION_TYPES.service, {}),
            ]) {
                assert.equal(stackViolations("deployment-has-service", stackWith(COMPANION_TYPES.service, service)).length, 1);
            }
        });

        it("matches namespaces by defaulting an unset one to default", () => {
            const inDefault = deployment(compliantPodSpec(), { metadata: { name: "hello" } });
            const service = resource(COMPANION_TYPES.service, "s", { metadata: { name: "s" }, spec: { selector: { app: "hello" } } });
            assert.deepEqual(stackViolations("deployment-has-service", [inDefault, service]), []);
        });

        it("does not fail while a Service's selector is unknown", () => {
            const unknown = companion(COMPANION_TYPES.service, { selector: UNKNOWN_VALUE });
            assert.deepEqual(stackViolations("deployment-has-service", stackWith(COMPANION_TYPES.service, unknown)), []);
        });
    });

    describe("deployment-has-network-policy", () => {
        it("fails without a NetworkPolicy selecting the pods", () => {
            const other = companion(COMPANION_TYPES.networkPolicy, { podSelector: { matchLabels: { app: "other" } } });
            assert.deepEqual(stackViolations("deployment-has-network-policy", stackWith(COMPANION_TYPES.networkPolicy, other)), [
                `${HELLO}: no NetworkPolicy in namespace "apps" selects its pods; add one whose spec.podSelector matches the pod labels (a default-deny policy with podSelector {} covers every pod).`,
            ]);
        });

        it("counts an empty or absent podSelector, and expressions, as selecting the pods", () => {
            for (const spec of [{ podSelector: {} }, {}, { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["hello"] }] } }]) {
                const policy = companion(COMPANION_TYPES.networkPolicy, spec);
                assert.deepEqual(stackViolations("deployment-has-network-policy", stackWith(COMPANION_TYPES.networkPolicy, policy)), []);
            }
        });
    });

    describe("deployment-has-pdb", () => {
        it("fails a Deployment of several replicas without a PodDisruptionBudget", () => {
            assert.deepEqual(stackViolations("deployment-has-pdb", stackWith(COMPANION_TYPES.podDisruptionBudget)), [
                `${HELLO}: it runs 2 replicas but no PodDisruptionBudget (policy/v1) in namespace "apps" selects its pods; add one whose spec.selector matches the pod labels.`,
            ]);
        });

        it("does not require one for a single replica, unless an autoscaler keeps more", () => {
            const single = [deployment(compliantPodSpec(), { replicas: 1 }), ...companionsOf().filter((c) => c.type !== COMPANION_TYPES.podDisruptionBudget)];
            assert.deepEqual(stackViolations("deployment-has-pdb", single), []);
            assert.match(stackViolations("deployment-has-pdb", [...single, autoscaler(3)])[0] ?? "", /it runs 3 replicas/);
            assert.deepEqual(stackViolations("deployment-has-pdb", [...single, autoscaler(3, "other")]), []);
            assert.deepEqual(stackViolations("deployment-has-pdb", [...single, autoscaler(1)]), []);
        });

        it("treats an empty policy/v1 selector as selecting every pod and an absent one as selecting none", () => {
            const empty = companion(COMPANION_TYPES.podDisruptionBudget, { selector: {}, maxUnavailable: 1 });
            assert.deepEqual(stackViolations("deployment-has-pdb", stackWith(COMPANION_TYPES.podDisruptionBudget, empty)), []);
            const absent = companion(COMPANION_TYPES.podDisruptionBudget, { maxUnavailable: 1 });
            assert.equal(stackViolations("deployment-has-pdb", stackWith(COMPANION_TYPES.podDisruptionBudget, absent)).length, 1);
        });

        it("takes the replica threshold from config", () => {
            assert.deepEqual(stackViolations("deployment-has-pdb", stackWith(COMPANION_TYPES.podDisruptionBudget), { minimumReplicas: 3 }), []);
        });

        it("does not fail while the replica count is unknown, unless an autoscaler makes it sure", () => {
            const unknownReplicas = deployment(compliantPodSpec(), { replicas: UNKNOWN_VALUE as unknown as number });
            assert.deepEqual(stackViolations("deployment-has-pdb", [unknownReplicas]), []);
            assert.match(stackViolations("deployment-has-pdb", [unknownReplicas, autoscaler(3)])[0] ?? "", /it runs 3 replicas/);
        });
    });

    it("leaves out a Deployment whose pod labels are unknown, and still checks the others", () => {
        const unknownLabels = deployment(compliantPodSpec(), { metadata: { name: "ghost", namespace: "apps" } });
        const props = unknownLabels.props as { spec: { template: Record<string, unknown> } };
        const ghost = { ...unknownLabels, props: { ...props, spec: { ...props.spec, template: { ...props.spec.template, metadata: UNKNOWN_VALUE } } } };
        const messages = stackViolations("deployment-has-service", [ghost, deployment()]);
        assert.equal(messages.length, 1);
        assert.match(messages[0] ?? "", /^Deployment "hello"/);
    });

    describe("an Argo Rollouts Rollout (a canary service's workload)", () => {
        const rollout = () => workload(WORKLOAD_TYPES.rollout, compliantPodSpec());
        const rolloutAutoscaler = (minReplicas: number) =>
            companion(COMPANION_TYPES.horizontalPodAutoscalers[0], {
                minReplicas,
                scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "hello" },
            });

        it("needs the same companions as a Deployment, and passes with them", () => {
            const complete = [rollout(), rolloutAutoscaler(2), ...companionsOf()];
            for (const rule of ["deployment-has-service", "deployment-has-network-policy", "deployment-has-pdb"]) {
                assert.deepEqual(stackViolations(rule, complete), [], rule);
            }
            const withoutService = [rollout(), ...companionsOf().filter((companion) => companion.type !== COMPANION_TYPES.service)];
            assert.deepEqual(stackViolations("deployment-has-service", withoutService), [
                'Rollout "hello" in namespace "apps" (pod labels {"app":"hello"}): no Service in namespace "apps" selects its pods; add one whose spec.selector matches the pod labels (disable this policy for workers that serve no traffic).',
            ]);
        });

        it("counts the replicas of an autoscaler targeting the Rollout, not one targeting a Deployment of the same name", () => {
            const withoutBudget = [rollout(), ...companionsOf().filter((companion) => companion.type !== COMPANION_TYPES.podDisruptionBudget)];
            assert.match(stackViolations("deployment-has-pdb", [...withoutBudget, rolloutAutoscaler(3)])[0] ?? "", /^Rollout "hello".*it runs 3 replicas/);
            assert.deepEqual(stackViolations("deployment-has-pdb", [...withoutBudget, autoscaler(3)]), []);
        });
    });
});
