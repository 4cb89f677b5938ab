/**
 * The program under the real Pulumi engine (issue 14): the CLI, its Node.js language host and
 * the Kubernetes provider built from tools/ (scripts/engine), driven through the Automation API
 * against the test cluster of scripts/cluster, with images built from the golden Dockerfile,
 * pushed to the cluster's registry and deployed by digest (`services.<name>.image`), so that no
 * docker or aws provider is needed. Every stack lives in a sandbox (its own Pulumi home, file
 * backend and passphrase) and a throwaway copy of the project: the repository's stack files
 * are never written.
 *
 * The tests run in order, on one stack shaped like dev (two services, in go-services-engine):
 * up, a preview with no changes, updates under load, a refused config, a stack promoted from it,
 * and destroy. Then a stack with the local stack's settings renders YAML, compared with what
 * the mocked `npm run synth` declares for the same config.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import {
    changingSteps,
    committedStackConfig,
    createStack,
    EngineSandbox,
    openSandbox,
    qualifiedStackName,
    servicesOf,
    StackFileConfig,
    stateResources,
    withGivenImages,
    writeStackConfig,
} from "../../scripts/lib/engine";
import { evaluate, projectName, projectRoot, toRuntimeConfig } from "../../scripts/lib/evaluate";
import { KubernetesObject, kubernetesObjects, sortKeys } from "../../scripts/lib/manifests";
import { clusterEnvironment, getObject, kubectlResult, pushImages, removeNamespace } from "../e2e/support/cluster";
import { httpGet } from "../e2e/support/http";
import { buildServiceImages, deriveImage } from "../e2e/support/images";
import { LoadSummary } from "../e2e/support/loadGenerator";
import { watchAvailability } from "../../scripts/lib/deploymentWatch";
import { DeploymentState, readDeployment, readyPodsOf, rolloutIncomplete } from "./support/deployments";
import { loadRate, serviceTarget, underLoad } from "./support/load";
import { renderedObjects } from "./support/rendered";

/** The services of the dev-shaped stacks. */
const services = ["hello", "quotes"] as const;

/** The version the images are built as (stamped in the binaries, answered by /version) and deployed as (`imageTag`). */
const version = "0.1.0-engine";

const stackName = "engine-dev";
const namespace = "go-services-engine";
const promotedStackName = "engine-promoted";
const promotedNamespace = "go-services-engine-promoted";
const renderStackName = "engine-render";

/** The secret config key holding the test cluster's kubeconfig, which `kubernetes.kubeconfig` names. */
const kubeconfigKey = "testClusterKubeconfig";

/** Longest Pulumi waits for a Deployment: the program's default `rollout.timeout`, which it gives the await logic as customTimeouts. */
const rolloutTimeoutMs = 10 * 60_000;

/** What an engine operation takes besides the rollouts it awaits: the CLI, language host, program and provider starting on a busy machine. */
const engineStartMs = 5 * 60_000;

/** The deadline of an operation that awaits rollouts (Pulumi awaits the Deployments of a stack in parallel). */
const operationDeadlineMs = rolloutTimeoutMs + engineStartMs;

/** A cold build of the service images from the golden Dockerfile on a busy 2-core machine. */
const imageBuildDeadlineMs = 30 * 60_000;

/** The images of the run: the first build, and a second digest of each for the updates. */
interface Images {
    readonly first: ReadonlyMap<string, string>;
    readonly second: ReadonlyMap<string, string>;
}

/** A stack like dev: dev's settings, the images given by digest, a namespace of the tests, and the test cluster through a kubeconfig secret. */
function devShaped(images: ReadonlyMap<string, string>): StackFileConfig {
    const config = withGivenImages(committedStackConfig("dev"), images, version);
    config[`${projectName}:namespace`] = namespace;
    config[`${projectName}:kubernetes`] = { kubeconfig: kubeconfigKey };
    return config;
}

/** A dev-shaped stack that deploys what `fromStack` exports (promotion.fromStack): no images, no imageTag of its own. */
function promotedFrom(fromStack: string): StackFileConfig {
    // A promoted service carries the version its source exports: an imageTag would be refused as unused.
    const config = Object.fromEntries(Object.entries(committedStackConfig("dev")).filter(([key]) => key !== `${projectName}:imageTag`));
    config[`${projectName}:namespace`] = promotedNamespace;
    config[`${projectName}:kubernetes`] = { kubeconfig: kubeconfigKey };
    config[`${projectName}:promotion`] = { fromStack };
    return config;
}

/** What a go-services stack exports for one service. */
interface ServiceOutput {
    readonly image: string;
    readonly version: string;
    readonly repositoryUrl: string;
    readonly dnsName: string;
    readonly port: number;
}

async function serviceOutputs(stack: Stack): Promise<Record<string, ServiceOutput>> {
    const outputs = await stack.outputs();
    return outputs.services?.value as Record<string, ServiceOutput>;
}

/** The one container of a Deployment's pods. */
function containerOf(deployment: DeploymentState): DeploymentState["spec"]["template"]["spec"]["containers"][number] {
    const [container, ...others] = deployment.spec.template.spec.containers;
    assert.ok(container && others.length === 0, `${deployment.metadata.name}: not exactly one container`);
    return container;
}

/** Asserts that a Deployment's rollout is complete and every ready pod runs `image` (the kubelet's imageID). */
async function assertRunning(namespaceName: string, service: string, image: string): Promise<DeploymentState> {
    const deployment = await readDeployment(namespaceName, service);
    assert.strictEqual(rolloutIncomplete(deployment), undefined, `${namespaceName}/${service}`);
    assert.strictEqual(containerOf(deployment).image, image, `${namespaceName}/${service}: the Deployment's image`);
    const pods = await readyPodsOf(namespaceName, deployment);
    assert.strictEqual(pods.length, deployment.spec.replicas ?? 1, `${namespaceName}/${service}: ready pods`);
    for (const pod of pods) {
        assert.strictEqual(pod.status.containerStatuses?.[0]?.imageID, image, `${pod.metadata.name}: the image the kubelet runs`);
    }
    return deployment;
}

/** The load summary as a figure. */
function describeLoad(load: LoadSummary): string {
    return `${load.failed}/${load.requests} requests failed at ${loadRate}/s, p99 ${Math.round(load.p99Ms)} ms`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe("the real Pulumi engine on the test cluster (npm run test:engine)", function () {
    this.timeout(operationDeadlineMs);
    const figures: string[] = [];
    let sandboxDirectory = "";
    let sandbox: EngineSandbox | undefined;
    const engine = (): EngineSandbox => {
        assert.ok(sandbox, "the engine sandbox did not open");
        return sandbox;
    };
    let images: Images;
    /** The dev-shaped stack, and the configuration it was last deployed with. */
    let stack: Stack;
    let deployed: StackFileConfig;

    /** Runs `up` with the configuration, collecting the engine's events. */
    async function upWith(target: Stack, config: StackFileConfig): Promise<{ events: EngineEvent[]; durationMs: number }> {
        await writeStackConfig(target, config);
        const events: EngineEvent[] = [];
        const started = Date.now();
        await target.up({ onEvent: (event) => events.push(event) });
        return { events, durationMs: Date.now() - started };
    }

    before(async function () {
        this.timeout(imageBuildDeadlineMs + operationDeadlineMs);
        clusterEnvironment();
        await Promise.all([namespace, promotedNamespace].map((name) => removeNamespace(name, rolloutTimeoutMs)));
        sandboxDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-"));
        sandbox = await openSandbox(sandboxDirectory);
        const build = await buildServiceImages(services, version);
        figures.push(`Images: ${build.command} took ${seconds(build.durationMs)}`);
        const built = services.map((service) => build.images.get(service)?.image ?? "");
        const first = await pushImages(built);
        const second = await pushImages(await Promise.all(built.map((image) => deriveImage(image, "io.go-services.engine.update", "2"))));
        images = {
            first: new Map(services.map((service, index) => [service, first[index] ?? ""])),
            second: new Map(services.map((service, index) => [service, second[index] ?? ""])),
        };
    });

    after(async function () {
        // A failed test leaves its stacks: destroy them, so the next run starts from an empty cluster.
        for (const name of [promotedStackName, stackName]) {
            const left = sandbox ? await Stack.select(name, sandbox.workspace).catch(() => undefined) : undefined;
            if (left && (await stateResources(left)).length > 0) {
                await left.destroy().catch((error: unknown) => figures.push(`cleanup: destroying ${name} failed: ${String(error)}`));
            }
        }
        await Promise.all([namespace, promotedNamespace].map((name) => removeNamespace(name, rolloutTimeoutMs)));
        if (sandboxDirectory !== "") {
            fs.rmSync(sandboxDirectory, { recursive: true, force: true });
        }
        process.stdout.write(`\nFigures of the engine run:\n${figures.map((line) => `  ${line}`).join("\n")}\n`);
    });

    it("1. up creates the dev-shaped stack and returns once every Deployment has rolled out; the outputs match the cluster's objects", async function () {
        deployed = devShaped(images.first);
        stack = await createStack(engine(), stackName, deployed, { [kubeconfigKey]: fs.readFileSync(clusterEnvironment().kubeconfig, "utf8") });
        assert.ok(!fs.existsSync(path.join(projectRoot, `Pulumi.${stackName}.yaml`)), "the stack file is written in the project copy, not the repository");
        const watch = watchAvailability(namespace, services);
        const started = Date.now();
        let result;
        try {
            result = await stack.up();
        } finally {
            watch.stop();
        }
        const returnedAt = Date.now();
        // Read at once, without waiting: up has returned, so the rollouts must be complete.
        for (const service of services) {
            await assertRunning(namespace, service, images.first.get(service) ?? "");
        }
        const availableAt = Math.min(watch.availableAt() ?? returnedAt, returnedAt);
        figures.push(
            `${stackName}: up ${seconds(returnedAt - started)} (${JSON.stringify(result.summary.resourceChanges)}); up start to every Deployment Available ${seconds(availableAt - started)}`,
        );

        assert.strictEqual(result.outputs.namespace?.value, namespace);
        const outputs = await serviceOutputs(stack);
        assert.deepStrictEqual(Object.keys(outputs).sort(), [...services]);
        for (const service of services) {
            const output = outputs[service];
            assert.ok(output);
            const deployment = await readDeployment(namespace, service);
            const svc = await getObject<{ metadata: { name: string; namespace: string }; spec: { ports: { port: number }[] } }>([
                "service",
                service,
                "--namespace",
                namespace,
            ]);
            assert.strictEqual(output.image, images.first.get(service), `${service}: the image output is the pushed digest`);
            assert.strictEqual(output.image, containerOf(deployment).image, `${service}: the image output is what the Deployment runs`);
            assert.strictEqual(output.repositoryUrl, output.image.slice(0, output.image.indexOf("@")));
            assert.strictEqual(output.version, version);
            assert.strictEqual(deployment.metadata.labels?.["app.kubernetes.io/version"], output.version, `${service}: version label`);
            assert.strictEqual(output.dnsName, `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`);
            assert.strictEqual(output.port, svc.spec.ports[0]?.port, `${service}: the Service's port`);
            const answer = await httpGet(await serviceTarget(namespace, service), "/version", 5000);
            assert.ok(answer.kind === "response" && answer.status === 200, `${service} /version through its Service: ${JSON.stringify(answer)}`);
            assert.strictEqual(
                (JSON.parse(answer.body) as { version?: unknown }).version,
                output.version,
                `${service} answers the version it is labelled with`,
            );
        }
    });

    it("2. a preview right after up expects no changes (no perpetual diff)", async function () {
        const events: EngineEvent[] = [];
        const started = Date.now();
        const preview = await stack.preview({ expectNoChanges: true, onEvent: (event) => events.push(event) });
        figures.push(`${stackName}: preview with no changes ${seconds(Date.now() - started)}`);
        assert.deepStrictEqual(changingSteps(events), []);
        assert.deepStrictEqual(Object.keys(preview.changeSummary), ["same"], JSON.stringify(preview.changeSummary));
    });

    for (const change of ["a new image digest", "an env value"] as const) {
        it(`3. ${change} for hello updates its Deployment in place, with no failed request under ${loadRate} requests/s through the Service`, async function () {
            const before = await readDeployment(namespace, "hello");
            const next = structuredClone(deployed);
            const hello = servicesOf(next).hello;
            assert.ok(hello);
            if (change === "a new image digest") {
                hello.image = images.second.get("hello");
            } else {
                hello.env = { ...(hello.env as Record<string, string>), LOG_LEVEL: "info" };
            }
            const { result, load } = await underLoad(namespace, "hello", version, () => upWith(stack, next));
            deployed = next;
            figures.push(`${stackName}: up with ${change} ${seconds(result.durationMs)}, ${describeLoad(load)}`);

            const steps = changingSteps(result.events);
            assert.deepStrictEqual(
                steps.map((step) => `${step.op} ${step.type}`),
                ["update kubernetes:apps/v1:Deployment"],
                "one in-place update, nothing created, replaced or deleted",
            );
            const after = await assertRunning(namespace, "hello", String(hello.image));
            assert.strictEqual(after.metadata.uid, before.metadata.uid, "the same Deployment object");
            assert.strictEqual(after.metadata.generation, before.metadata.generation + 1);
            const env = containerOf(after).env ?? [];
            assert.strictEqual(env.find((variable) => variable.name === "LOG_LEVEL")?.value, change === "an env value" ? "info" : "debug");
            await assertRunning(namespace, "quotes", images.first.get("quotes") ?? "");
            assert.strictEqual(load.failed, 0, `${load.failed} of ${load.requests} requests failed: ${load.failures.join("; ")}`);
        });
    }

    it("4. a bad config fails up with the project's config error, before any resource is touched", async function () {
        const stateBefore = await stateResources(stack);
        const deploymentsBefore = await Promise.all(services.map((service) => readDeployment(namespace, service)));
        const bad = structuredClone(deployed);
        const tagged = `${images.first.get("hello")?.split("@")[0] ?? ""}:${version}`;
        const hello = servicesOf(bad).hello;
        assert.ok(hello);
        hello.image = tagged;
        const events: EngineEvent[] = [];
        await writeStackConfig(stack, bad);
        try {
            await assert.rejects(stack.up({ onEvent: (event) => events.push(event) }), (error: Error) => {
                assert.match(error.message, new RegExp(`Invalid configuration in Pulumi\\.${stackName}\\.yaml`));
                assert.ok(error.message.includes(`${projectName}:services.hello.image = "${tagged}": must be an image pinned by digest`), error.message);
                return true;
            });
        } finally {
            await writeStackConfig(stack, deployed);
        }
        assert.deepStrictEqual(changingSteps(events), [], "no resource step");
        assert.deepStrictEqual(await stateResources(stack), stateBefore, "the stack's state");
        for (const before of deploymentsBefore) {
            const after = await readDeployment(namespace, before.metadata.name);
            assert.deepStrictEqual([after.metadata.uid, after.metadata.generation], [before.metadata.uid, before.metadata.generation], before.metadata.name);
        }
    });

    it("issue 10: a stack promoted from this one (promotion.fromStack) runs the same digests, read from the cluster's Deployments", async function () {
        this.timeout(operationDeadlineMs * 2);
        const source = await serviceOutputs(stack);
        const fromStack = qualifiedStackName(stackName);
        const promoted = await createStack(engine(), promotedStackName, promotedFrom(fromStack), {
            [kubeconfigKey]: fs.readFileSync(clusterEnvironment().kubeconfig, "utf8"),
        });
        const started = Date.now();
        await promoted.up();
        figures.push(`${promotedStackName}: up promoted from ${fromStack} ${seconds(Date.now() - started)}`);
        const outputs = await serviceOutputs(promoted);
        for (const service of services) {
            const sourceDeployment = await readDeployment(namespace, service);
            const image = containerOf(sourceDeployment).image;
            assert.strictEqual(image, source[service]?.image, `${service}: the source stack exports what it runs`);
            const deployment = await assertRunning(promotedNamespace, service, image);
            assert.strictEqual(deployment.metadata.labels?.["app.kubernetes.io/version"], sourceDeployment.metadata.labels?.["app.kubernetes.io/version"]);
            assert.deepStrictEqual([outputs[service]?.image, outputs[service]?.version], [source[service]?.image, source[service]?.version]);
        }
        const types = new Set((await stateResources(promoted)).map((resource) => resource.type.split(":")[0]));
        assert.deepStrictEqual([...types].sort(), ["go-services", "kubernetes", "pulumi"], "nothing built or pushed: no docker or aws resource");
        await promoted.destroy();
        assert.notStrictEqual((await kubectlResult(["get", "namespace", promotedNamespace])).code, 0, `namespace ${promotedNamespace} after destroy`);
        await engine().workspace.removeStack(promotedStackName);
    });

    it("5. destroy leaves nothing of the stack's namespace, and the stack's state is empty", async function () {
        const started = Date.now();
        await stack.destroy();
        figures.push(`${stackName}: destroy ${seconds(Date.now() - started)}`);
        const lookup = await kubectlResult(["get", "namespace", namespace]);
        assert.notStrictEqual(lookup.code, 0, `namespace ${namespace} is still there: ${lookup.stdout}`);
        assert.match(lookup.stderr, /NotFound/);
        assert.deepStrictEqual(await stateResources(stack), []);
        assert.deepStrictEqual(await stack.outputs(), {});
        await engine().workspace.removeStack(stackName);
    });

    it("6. up with renderYamlToDirectory (the local stack's settings, images by digest) writes the objects the mocked synth declares", async function () {
        const config = withGivenImages(committedStackConfig("local"), images.first, version);
        const render = await createStack(engine(), renderStackName, config);
        const started = Date.now();
        await render.up();
        figures.push(`${renderStackName}: up with renderYamlToDirectory ${seconds(Date.now() - started)}`);
        const connection = config[`${projectName}:kubernetes`] as { renderYamlToDirectory: string };
        const rendered = renderedObjects(path.join(engine().projectDirectory, connection.renderYamlToDirectory));
        const declared = kubernetesObjects(await evaluate({ stack: renderStackName, config: toRuntimeConfig(config) }));

        const key = (object: KubernetesObject): string =>
            `${object.apiVersion} ${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
        assert.deepStrictEqual(rendered.map(key).sort(), declared.map(key).sort(), "the same objects");
        assert.deepStrictEqual(
            declared.filter((object) => object.kind === "Deployment").map((object) => object.metadata.name),
            [...services],
            "a Deployment per service",
        );
        for (const object of declared) {
            const actual = rendered.find((candidate) => key(candidate) === key(object));
            assert.deepStrictEqual(sortKeys(actual), sortKeys(object), key(object));
        }
        await render.destroy();
        await engine().workspace.removeStack(renderStackName);
    });
});
