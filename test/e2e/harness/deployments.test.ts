/**
 * What podman plays, checked on the committed stacks without podman: the copy of each
 * Deployment differs from the declared one only where the e2e tests say it does, and the
 * probes are read from the manifest, not assumed.
 */
import * as assert from "assert";
import { evaluateStack } from "../../../scripts/lib/evaluate";
import {
    declaredProbes,
    DeclaredWorkload,
    declaredWorkloads,
    differingPaths,
    e2eNamePrefix,
    envValue,
    expectedPodmanChanges,
    forPodman,
    goDurationSeconds,
    podmanChanges,
} from "../support/deployments";

describe("e2e harness: the Deployments podman plays", function () {
    this.timeout(30000);
    const workloads = new Map<string, DeclaredWorkload[]>();

    before(async () => {
        for (const stack of ["dev", "prod"]) {
            workloads.set(stack, declaredWorkloads(stack, await evaluateStack(stack, { values: "mock" })));
        }
    });

    it("takes every Deployment of the dev and prod stacks, one service container each", () => {
        for (const [stack, declared] of workloads) {
            assert.deepStrictEqual(
                declared.map((workload) => workload.service),
                ["hello", "quotes"],
                stack,
            );
        }
    });

    it("changes only the name, the replica count, the image and the published port", () => {
        for (const declared of [...workloads.values()].flat()) {
            const workload = forPodman(declared, `localhost/go-services/${declared.service}:e2e`, 18080);
            assert.deepStrictEqual(podmanChanges(workload), expectedPodmanChanges(declared), `${declared.stack}/${declared.service}`);
            const container = workload.manifest.spec?.template.spec?.containers[0];
            assert.strictEqual(container?.image, `localhost/go-services/${declared.service}:e2e`);
            assert.deepStrictEqual(container.ports, [{ containerPort: 8080, hostIP: "127.0.0.1", hostPort: 18080, name: "http", protocol: "TCP" }]);
            assert.strictEqual(workload.manifest.spec?.replicas, 1);
            assert.strictEqual(workload.podName, `${e2eNamePrefix}${declared.stack}-${declared.service}-pod-0`);
            assert.strictEqual(workload.containerName, `${workload.podName}-${declared.service}`);
            assert.match(declared.container.image ?? "", /@sha256:[0-9a-f]{64}$/, "the declared Deployment is left as it was");
        }
    });

    it("lists the paths at which two values differ", () => {
        assert.deepStrictEqual(differingPaths({ a: 1, b: [1, { c: 2 }] }, { a: 1, b: [1, { c: 3 }], d: null }), ["$.b[1].c", "$.d"]);
        assert.deepStrictEqual(differingPaths([1, 2], { 0: 1, 1: 2 }), ["$"]);
        assert.deepStrictEqual(differingPaths({ x: [1] }, { x: [1] }), []);
    });

    it("reads the probes from the manifest, resolving the named port", () => {
        const dev = workloads.get("dev")?.[0];
        assert.ok(dev);
        assert.deepStrictEqual(
            declaredProbes(dev.container).map((probe) => `${probe.kind} ${probe.path} every ${probe.periodSeconds}s x${probe.failureThreshold}`),
            ["startup /livez every 2s x30", "liveness /livez every 10s x3", "readiness /readyz every 5s x2"],
        );
        const elsewhere = structuredClone(dev.container);
        if (elsewhere.livenessProbe?.httpGet) {
            elsewhere.livenessProbe.httpGet.port = "metrics";
        }
        assert.throws(() => declaredProbes(elsewhere), /liveness probe targets port metrics, not the container's port http/);
    });

    it("reads the shutdown settings of the container", () => {
        const dev = workloads.get("dev")?.[0];
        assert.ok(dev);
        assert.strictEqual(goDurationSeconds(envValue(dev.container, "SHUTDOWN_DRAIN")), 5);
        assert.strictEqual(goDurationSeconds("500ms"), 0.5);
        assert.strictEqual(goDurationSeconds("1m"), 60);
        assert.throws(() => goDurationSeconds("1h30m"), /not a duration the e2e tests read/);
        assert.throws(() => envValue(dev.container, "NOT_SET"), /sets no NOT_SET/);
    });
});
