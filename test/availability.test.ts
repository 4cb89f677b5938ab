import * as assert from "assert";
import { buildHorizontalPodAutoscaler, buildPodDisruptionBudget } from "../components/availability";
import { buildNamespace } from "../components/namespace";
import { at, helloIdentity, resolvedSettings } from "./support/fixtures";

describe("PodDisruptionBudget, HorizontalPodAutoscaler and Namespace builders", () => {
    it("creates no PodDisruptionBudget for a single replica", () => {
        assert.strictEqual(buildPodDisruptionBudget(helloIdentity, resolvedSettings({ replicas: 1 })), undefined);
        assert.strictEqual(buildPodDisruptionBudget(helloIdentity, resolvedSettings({ autoscaling: { minReplicas: 1, maxReplicas: 3 } })), undefined);
    });

    it("creates a PodDisruptionBudget that lets drains evict unhealthy pods", () => {
        const pdb = buildPodDisruptionBudget(helloIdentity, resolvedSettings({ replicas: 3 }));
        assert.deepStrictEqual(pdb?.spec, {
            maxUnavailable: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello-dev" } },
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        });
    });

    it("never lets the budget allow every replica down", () => {
        assert.strictEqual(at(buildPodDisruptionBudget(helloIdentity, resolvedSettings({ replicas: 2, maxUnavailable: 5 })), "spec", "maxUnavailable"), 1);
    });

    it("builds an autoscaling/v2 HPA on CPU, and memory when asked", () => {
        assert.strictEqual(buildHorizontalPodAutoscaler(helloIdentity, resolvedSettings()), undefined);
        const hpa = buildHorizontalPodAutoscaler(
            helloIdentity,
            resolvedSettings({ autoscaling: { minReplicas: 2, maxReplicas: 8, targetMemoryUtilization: 80 } }),
        );
        assert.strictEqual(hpa?.apiVersion, "autoscaling/v2");
        assert.deepStrictEqual(at(hpa, "spec", "scaleTargetRef"), { apiVersion: "apps/v1", kind: "Deployment", name: "hello" });
        assert.deepStrictEqual(at(hpa, "spec", "metrics"), [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
            { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
        ]);
        assert.strictEqual(at(hpa, "spec", "minReplicas"), 2);
        assert.strictEqual(at(hpa, "spec", "maxReplicas"), 8);
    });

    it("scales down slowly by default, and takes the stack's autoscaling.behavior field by field", () => {
        const scaled = (behavior?: unknown) =>
            at(
                buildHorizontalPodAutoscaler(helloIdentity, resolvedSettings({ autoscaling: { minReplicas: 2, maxReplicas: 8, behavior } })),
                "spec",
                "behavior",
            );
        assert.deepStrictEqual(scaled(), { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] } });
        assert.deepStrictEqual(scaled({ scaleDown: { stabilizationWindowSeconds: 15 } }), {
            scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] },
        });
        const scaleUp = { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }] };
        assert.deepStrictEqual(scaled({ scaleUp, scaleDown: { selectPolicy: "Disabled" } }), {
            scaleUp,
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }], selectPolicy: "Disabled" },
        });
    });

    it("labels the namespace so the API server enforces Pod Security 'restricted'", () => {
        const labels = at(buildNamespace("apps", "go-services"), "metadata", "labels") as Record<string, string>;
        assert.strictEqual(labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.strictEqual(labels["pod-security.kubernetes.io/warn"], "restricted");
        assert.strictEqual(labels["pod-security.kubernetes.io/audit"], "restricted");
    });
});
