import * as assert from "assert";
import type { types } from "@pulumi/kubernetes";
import { buildDeployment, buildEnv, buildPodSpec, buildTopologySpread } from "../components/workload";
import { at, only, workloadSpec, hardenedContainerSecurityContext, restrictedPodSecurityContext } from "./support/fixtures";

type Container = types.input.core.v1.Container;

function container(raw: unknown = {}): Container {
    return only(buildPodSpec(workloadSpec(raw)).containers as Container[], "container");
}

describe("Deployment builder", () => {
    it("runs as the distroless nonroot user with the restricted pod security context", () => {
        const pod = buildPodSpec(workloadSpec());
        assert.deepStrictEqual(pod.securityContext, restrictedPodSecurityContext);
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(pod.enableServiceLinks, false);
        assert.strictEqual(pod.serviceAccountName, "hello");
    });

    it("hardens the container: no escalation, read-only root, no capabilities", () => {
        assert.deepStrictEqual(container().securityContext, hardenedContainerSecurityContext);
    });

    it("gives /tmp a size-limited emptyDir, the only writable path", () => {
        const pod = buildPodSpec(workloadSpec({ tmpSizeLimit: "16Mi" }));
        assert.deepStrictEqual(pod.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }]);
        assert.deepStrictEqual(container().volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    });

    it("declares requests and limits for cpu, memory and ephemeral-storage from the preset", () => {
        assert.deepStrictEqual(container({ resources: "micro" }).resources, {
            requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "250m", memory: "128Mi", "ephemeral-storage": "256Mi" },
        });
    });

    it("probes startup and liveness on /livez and readiness on /readyz, by port name", () => {
        const c = container();
        assert.strictEqual(at(c, "startupProbe", "httpGet", "path"), "/livez");
        assert.strictEqual(at(c, "livenessProbe", "httpGet", "path"), "/livez");
        assert.strictEqual(at(c, "readinessProbe", "httpGet", "path"), "/readyz");
        assert.strictEqual(at(c, "readinessProbe", "httpGet", "port"), "http");
        assert.notDeepStrictEqual(c.livenessProbe, c.readinessProbe);
        assert.strictEqual(at(c, "startupProbe", "failureThreshold"), 30);
    });

    it("applies probe overrides", () => {
        assert.strictEqual(at(container({ probes: { readiness: { periodSeconds: 3 } } }), "readinessProbe", "periodSeconds"), 3);
    });

    it("sets the shutdown contract so the grace period outlasts drain plus timeout", () => {
        const spec = workloadSpec({ shutdown: { drainSeconds: 7, timeoutSeconds: 25 } });
        const env = buildEnv(spec);
        assert.deepStrictEqual(env.slice(0, 4), [
            { name: "PORT", value: "8080" },
            { name: "METRICS_PORT", value: "9090" },
            { name: "SHUTDOWN_DRAIN", value: "7s" },
            { name: "SHUTDOWN_TIMEOUT", value: "25s" },
        ]);
        assert.ok((buildPodSpec(spec).terminationGracePeriodSeconds as number) > 7 + 25);
    });

    it("sizes GOMEMLIMIT at 90% of the memory limit", () => {
        const env = buildEnv(workloadSpec({ resources: "nano" }));
        assert.deepStrictEqual(
            env.find((v) => v.name === "GOMEMLIMIT"),
            { name: "GOMEMLIMIT", value: String(Math.floor(64 * 2 ** 20 * 0.9)) },
        );
    });

    it("references secret variables through secretKeyRef, never as values", () => {
        const env = buildEnv(
            workloadSpec({ env: { B: "2", A: "1" }, secretEnv: { TOKEN: "x" } }, { secretEnv: { secretName: "hello-env-abc", names: ["TOKEN"] } }),
        );
        assert.deepStrictEqual(
            env.slice(-3).map((v) => v.name),
            ["A", "B", "TOKEN"],
        );
        assert.deepStrictEqual(env[env.length - 1], { name: "TOKEN", valueFrom: { secretKeyRef: { name: "hello-env-abc", key: "TOKEN", optional: false } } });
    });

    it("rolls out without ever going below the desired count", () => {
        const deployment = buildDeployment(workloadSpec());
        assert.deepStrictEqual(at(deployment, "spec", "strategy"), { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        assert.strictEqual(at(deployment, "spec", "minReadySeconds"), 5);
        assert.strictEqual(at(deployment, "spec", "progressDeadlineSeconds"), 300);
        assert.strictEqual(at(deployment, "spec", "revisionHistoryLimit"), 5);
    });

    it("pulls by digest only when absent and reports logs on failure", () => {
        const c = container();
        assert.strictEqual(c.imagePullPolicy, "IfNotPresent");
        assert.match(c.image as string, /@sha256:[0-9a-f]{64}$/);
        assert.strictEqual(c.terminationMessagePolicy, "FallbackToLogsOnError");
    });

    it("pulls at every start when the service asks for Always", () => {
        assert.strictEqual(container({ imagePullPolicy: "Always" }).imagePullPolicy, "Always");
    });

    it("selects pods by name and instance only, and labels everything with the recommended labels", () => {
        const deployment = buildDeployment(workloadSpec());
        assert.deepStrictEqual(at(deployment, "spec", "selector", "matchLabels"), {
            "app.kubernetes.io/name": "hello",
            "app.kubernetes.io/instance": "hello-dev",
        });
        assert.deepStrictEqual(at(deployment, "spec", "template", "metadata", "labels"), {
            "app.kubernetes.io/name": "hello",
            "app.kubernetes.io/instance": "hello-dev",
            "app.kubernetes.io/version": "v1.2.3",
            "app.kubernetes.io/component": "server",
            "app.kubernetes.io/part-of": "go-services",
            "app.kubernetes.io/managed-by": "pulumi",
        });
    });

    it("leaves replicas to the HorizontalPodAutoscaler when autoscaling", () => {
        assert.strictEqual(at(buildDeployment(workloadSpec({ replicas: 3 })), "spec", "replicas"), 3);
        assert.strictEqual(at(buildDeployment(workloadSpec({ autoscaling: { minReplicas: 2, maxReplicas: 5 } })), "spec", "replicas"), undefined);
    });

    it("spreads over zones and nodes only when more than one replica runs", () => {
        assert.deepStrictEqual(buildTopologySpread(workloadSpec({ replicas: 1 })), []);
        const spread = buildTopologySpread(workloadSpec({ replicas: 3 }));
        assert.deepStrictEqual(
            spread.map((c) => c.topologyKey),
            ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
        );
        assert.ok(spread.every((c) => c.whenUnsatisfiable === "ScheduleAnyway" && c.maxSkew === 1));
        assert.deepStrictEqual(buildTopologySpread(workloadSpec({ replicas: 3, topologySpread: "none" })), []);
        assert.strictEqual(buildPodSpec(workloadSpec({ replicas: 1 })).topologySpreadConstraints, undefined);
    });

    it("pins pods to the platform the image was built for", () => {
        assert.deepStrictEqual(buildPodSpec(workloadSpec({}, { platform: { os: "linux", arch: "arm64" } })).nodeSelector, {
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "arm64",
        });
    });

    it("applies security overrides", () => {
        const pod = buildPodSpec(workloadSpec({ security: { runAsUser: 10001, readOnlyRootFilesystem: false, automountServiceAccountToken: true } }));
        assert.strictEqual(at(pod, "securityContext", "runAsUser"), 10001);
        assert.strictEqual(at(pod, "containers", 0, "securityContext", "readOnlyRootFilesystem"), false);
        assert.strictEqual(pod.automountServiceAccountToken, true);
    });
});
