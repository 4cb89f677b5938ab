/**
 * What the test cluster gets, checked on the committed stacks without a cluster: the objects
 * differ from the synthesized ones only by the images' real registry digests, and the test
 * would notice any other change.
 */
import * as assert from "assert";
import { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { evaluateStack } from "../../../scripts/lib/evaluate";
import { KubernetesObject } from "../../../scripts/lib/manifests";
import {
    clusterChanges,
    declaredObjects,
    declaredWorkloads,
    differingPaths,
    envValue,
    expectedClusterChanges,
    forCluster,
    goDurationSeconds,
    workloadSignature,
} from "../support/deployments";

const pushed = (service: string): string => `localhost:5001/go-services/${service}@sha256:${"ab".repeat(32)}`;

describe("e2e harness: the objects the test cluster gets", function () {
    this.timeout(30000);
    const stacks = new Map<string, KubernetesObject[]>();

    before(async () => {
        for (const stack of ["dev", "prod", "local"]) {
            stacks.set(stack, declaredObjects(stack, await evaluateStack(stack, { values: "placeholders" })));
        }
    });

    it("takes every Deployment of the dev, prod and local stacks, one service container each (prod's quotes is a canary: a Rollout)", () => {
        for (const [stack, objects] of stacks) {
            assert.deepStrictEqual(
                declaredWorkloads(stack, objects).map((workload) => workload.service),
                stack === "prod" ? ["hello"] : ["hello", "quotes"],
                stack,
            );
        }
    });

    it("replaces each Deployment's and Rollout's image by the pushed digest and changes nothing else", () => {
        for (const [stack, objects] of stacks) {
            const applied = forCluster(
                objects,
                new Map([
                    ["hello", pushed("hello")],
                    ["quotes", pushed("quotes")],
                ]),
            );
            assert.deepStrictEqual(clusterChanges(objects, applied), expectedClusterChanges(objects), stack);
            assert.deepStrictEqual(
                declaredWorkloads(stack, applied).map((workload) => workload.container.image),
                declaredWorkloads(stack, objects).map((workload) => pushed(workload.service)),
            );
            const rollouts = applied.filter((object) => object.kind === "Rollout") as unknown as {
                spec: { template: { spec: { containers: { name: string; image: string }[] } } };
            }[];
            assert.deepStrictEqual(
                rollouts.map((rollout) => rollout.spec.template.spec.containers.map((container) => container.image)),
                rollouts.map((rollout) => rollout.spec.template.spec.containers.map((container) => pushed(container.name))),
                `${stack}: each Rollout runs its pushed digest too`,
            );
            assert.ok(
                declaredWorkloads(stack, objects).every((workload) => workload.container.image !== pushed(workload.service)),
                "the declared objects are left as they were",
            );
        }
    });

    it("notices any other change, and refuses a service no image was pushed for", () => {
        const objects = stacks.get("prod") ?? [];
        const applied = forCluster(
            objects,
            new Map([
                ["hello", pushed("hello")],
                ["quotes", pushed("quotes")],
            ]),
        );
        const tampered = structuredClone(applied);
        const deployment = tampered.find((object) => object.kind === "Deployment") as { spec: { replicas?: number } } | undefined;
        assert.ok(deployment);
        deployment.spec.replicas = 7;
        assert.notDeepStrictEqual(clusterChanges(objects, tampered), expectedClusterChanges(objects));
        assert.throws(() => forCluster(objects, new Map([["hello", pushed("hello")]])), /no image was pushed for the service quotes/);
    });

    it("lists the paths at which two values differ", () => {
        assert.deepStrictEqual(differingPaths({ a: 1, b: [1, { c: 2 }] }, { a: 1, b: [1, { c: 3 }], d: null }), ["$.b[1].c", "$.d"]);
        assert.deepStrictEqual(differingPaths([1, 2], { 0: 1, 1: 2 }), ["$"]);
        assert.deepStrictEqual(differingPaths({ x: [1] }, { x: [1] }), []);
    });

    it("reads the shutdown settings of the container", () => {
        const dev = declaredWorkloads("dev", stacks.get("dev") ?? [])[0];
        assert.ok(dev);
        assert.strictEqual(goDurationSeconds(envValue(dev.container, "SHUTDOWN_DRAIN")), 5);
        assert.strictEqual(goDurationSeconds("500ms"), 0.5);
        assert.strictEqual(goDurationSeconds("1m"), 60);
        assert.throws(() => goDurationSeconds("1h30m"), /not a duration the e2e tests read/);
        assert.throws(() => envValue(dev.container, "NOT_SET"), /sets no NOT_SET/);
    });

    it("gives a workload the signature of another only when the per-Deployment suite would run the same pods, Service and budget", () => {
        const signatures = new Map<string, string>();
        for (const [stack, objects] of stacks) {
            for (const workload of declaredWorkloads(stack, objects)) {
                signatures.set(`${stack}/${workload.service}`, workloadSignature(workload, objects));
            }
        }
        // local's services are dev's, but for the namespace, the image and the instance and version labels.
        assert.strictEqual(signatures.get("local/hello"), signatures.get("dev/hello"));
        assert.strictEqual(signatures.get("local/quotes"), signatures.get("dev/quotes"));
        assert.notStrictEqual(signatures.get("dev/hello"), signatures.get("dev/quotes"));
        // prod's hello: more replicas, other resources, a budget.
        assert.notStrictEqual(signatures.get("prod/hello"), signatures.get("dev/hello"));

        const dev = stacks.get("dev") ?? [];
        const [hello] = declaredWorkloads("dev", dev);
        assert.ok(hello);
        const changed = (change: (objects: KubernetesObject[]) => void): string => {
            const copy = structuredClone(dev);
            change(copy);
            const workload = declaredWorkloads("dev", copy).find((candidate) => candidate.service === hello.service);
            assert.ok(workload);
            return workloadSignature(workload, copy);
        };
        const inDeployment = (change: (deployment: IDeployment) => void) => (objects: KubernetesObject[]) => {
            change(
                objects.find((object) => object.kind === "Deployment" && object.metadata.name === hello.deployment.metadata?.name) as unknown as IDeployment,
            );
        };
        const container = (deployment: IDeployment) => deployment.spec?.template.spec?.containers[0];
        const original = workloadSignature(hello, dev);
        assert.strictEqual(
            changed(inDeployment((deployment) => Object.assign(container(deployment) ?? {}, { image: "elsewhere@sha256:00" }))),
            original,
            "the image",
        );
        for (const [what, change] of [
            ["a probe", inDeployment((deployment) => Object.assign(container(deployment)?.readinessProbe ?? {}, { periodSeconds: 1 }))],
            ["a resource", inDeployment((deployment) => Object.assign(container(deployment)?.resources?.limits ?? {}, { memory: "1Gi" }))],
            [
                "the security context",
                inDeployment((deployment) => Object.assign(container(deployment)?.securityContext ?? {}, { readOnlyRootFilesystem: false })),
            ],
            ["an env value", inDeployment((deployment) => container(deployment)?.env?.push({ name: "EXTRA", value: "1" }))],
            ["the replicas", inDeployment((deployment) => Object.assign(deployment.spec ?? {}, { replicas: 5 }))],
            [
                "the Service's port",
                (objects: KubernetesObject[]) => {
                    const service = objects.find(
                        (object) => object.kind === "Service" && object.metadata.name === hello.deployment.metadata?.name,
                    ) as unknown as {
                        spec: { ports: { port: number }[] };
                    };
                    assert.ok(service.spec.ports[0]);
                    service.spec.ports[0].port = 81;
                },
            ],
            [
                "a budget",
                (objects: KubernetesObject[]) => {
                    objects.push({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: hello.deployment.metadata?.name ?? "" } });
                },
            ],
        ] as const) {
            assert.notStrictEqual(changed(change), original, what);
        }
    });
});
