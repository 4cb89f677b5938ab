import * as assert from "node:assert/strict";
import { containersOf, isWindowsPod, namespaceOf, podOf, selectorMatches, WORKLOAD_TYPES } from "../../policy/kubernetes";
import { compliantContainer, compliantPodSpec, workload } from "./fixtures";

describe("policy/kubernetes", () => {
    describe("podOf", () => {
        const expectedSpecPaths: Readonly<Record<string, string>> = {
            [WORKLOAD_TYPES.deployment]: "spec.template.spec",
            [WORKLOAD_TYPES.statefulSet]: "spec.template.spec",
            [WORKLOAD_TYPES.daemonSet]: "spec.template.spec",
            [WORKLOAD_TYPES.job]: "spec.template.spec",
            [WORKLOAD_TYPES.cronJob]: "spec.jobTemplate.spec.template.spec",
            [WORKLOAD_TYPES.pod]: "spec",
        };
        for (const [type, specPath] of Object.entries(expectedSpecPaths)) {
            it(`finds the pod spec of a ${type} at ${specPath}`, () => {
                const spec = compliantPodSpec();
                const view = workload(type, spec);
                const pod = podOf(type, view.props);
                assert.ok(pod !== undefined);
                assert.equal(pod.spec, spec);
                assert.equal(pod.specPath, specPath);
                assert.equal(pod.metadataPath, specPath.replace(/spec$/, "metadata"));
                assert.deepEqual(pod.metadata?.labels, { app: "hello" });
            });
        }

        it("finds nothing in other types or in a workload without a pod spec", () => {
            assert.equal(podOf("kubernetes:core/v1:Service", { spec: {} }), undefined);
            assert.equal(podOf(WORKLOAD_TYPES.deployment, { spec: { replicas: 1 } }), undefined);
            assert.equal(podOf(WORKLOAD_TYPES.cronJob, {}), undefined);
        });
    });

    describe("containersOf", () => {
        const spec = compliantPodSpec({
            initContainers: [compliantContainer("migrate")],
            containers: [compliantContainer("app"), compliantContainer("proxy")],
            ephemeralContainers: [compliantContainer("debug")],
        });
        const pod = podOf(WORKLOAD_TYPES.deployment, workload(WORKLOAD_TYPES.deployment, spec).props);
        assert.ok(pod !== undefined);

        it("lists init, regular and ephemeral containers with their paths", () => {
            assert.deepEqual(
                containersOf(pod, "all").map((view) => view.label),
                [
                    'container "migrate" (spec.template.spec.initContainers[0])',
                    'container "app" (spec.template.spec.containers[0])',
                    'container "proxy" (spec.template.spec.containers[1])',
                    'container "debug" (spec.template.spec.ephemeralContainers[0])',
                ],
            );
        });

        it("narrows to what the rule covers", () => {
            assert.deepEqual(
                containersOf(pod, "initAndRegular").map((view) => view.container.name),
                ["migrate", "app", "proxy"],
            );
            assert.deepEqual(
                containersOf(pod, "regular").map((view) => view.container.name),
                ["app", "proxy"],
            );
        });
    });

    it("tells Windows pods from Linux pods by spec.os.name", () => {
        const isWindows = (os?: string) => {
            const spec = compliantPodSpec(os === undefined ? {} : { os: { name: os } });
            const pod = podOf(WORKLOAD_TYPES.pod, workload(WORKLOAD_TYPES.pod, spec).props);
            assert.ok(pod !== undefined);
            return isWindowsPod(pod);
        };
        assert.equal(isWindows("windows"), true);
        assert.equal(isWindows("linux"), false);
        assert.equal(isWindows(), false);
    });

    it("puts objects without a namespace in default", () => {
        assert.equal(namespaceOf(undefined), "default");
        assert.equal(namespaceOf({ name: "x" }), "default");
        assert.equal(namespaceOf({ namespace: "apps" }), "apps");
    });

    describe("selectorMatches", () => {
        const labels = { app: "hello", tier: "web" };

        it("selects nothing without a selector and everything with an empty one", () => {
            assert.equal(selectorMatches(undefined, labels), false);
            assert.equal(selectorMatches({}, labels), true);
            assert.equal(selectorMatches({ matchLabels: {}, matchExpressions: [] }, {}), true);
        });

        it("requires every matchLabels pair", () => {
            assert.equal(selectorMatches({ matchLabels: { app: "hello" } }, labels), true);
            assert.equal(selectorMatches({ matchLabels: { app: "hello", tier: "db" } }, labels), false);
            assert.equal(selectorMatches({ matchLabels: { missing: "x" } }, labels), false);
        });

        it("evaluates In, NotIn, Exists and DoesNotExist expressions", () => {
            const matches = (operator: string, key: string, values?: string[]) =>
                selectorMatches({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }, labels);
            assert.equal(matches("In", "tier", ["web", "api"]), true);
            assert.equal(matches("In", "tier", ["db"]), false);
            assert.equal(matches("In", "missing", ["x"]), false);
            assert.equal(matches("NotIn", "tier", ["db"]), true);
            assert.equal(matches("NotIn", "tier", ["web"]), false);
            assert.equal(matches("NotIn", "missing", ["x"]), true);
            assert.equal(matches("Exists", "app"), true);
            assert.equal(matches("Exists", "missing"), false);
            assert.equal(matches("DoesNotExist", "missing"), true);
            assert.equal(matches("DoesNotExist", "app"), false);
            assert.equal(matches("Bogus", "app"), false);
        });
    });
});
