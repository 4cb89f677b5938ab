/**
 * The real Pulumi engine, driven through the Automation API (`@pulumi/pulumi/automation`) for
 * `npm run test:engine` and `npm run bench:engine`: the sandbox of scripts/engine (the CLI,
 * Node.js language host and Kubernetes provider built from tools/, with a Pulumi home, a file
 * backend and a passphrase of their own), a throwaway copy of the project that holds the stack
 * files the CLI writes, and the stack configurations the tests and the benchmark deploy.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, LocalWorkspace, OpType, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { runChecked } from "./command";
import { benchServices } from "./benchWorker";
import { projectName, projectRoot } from "./evaluate";
import { projectCopyLinks } from "./localStack";

/** The organization of every stack on a self-managed (file) backend: `organization/<project>/<stack>`. */
export const fileBackendOrganization = "organization";

/** The fully qualified name of a stack of this project on the sandbox's file backend, as promotion.fromStack names it. */
export function qualifiedStackName(stack: string): string {
    return `${fileBackendOrganization}/${projectName}/${stack}`;
}

/** A sandboxed engine and the project copy its stacks live in. */
export interface EngineSandbox {
    /** The sandbox folder: the Pulumi home, the file backend's state and the project copy. */
    readonly directory: string;
    /** The project copy: the stack files the CLI writes, and what renderYamlToDirectory writes (relative paths). */
    readonly projectDirectory: string;
    /** What scripts/engine exports (PATH, PULUMI_HOME, PULUMI_BACKEND_URL, ...), given to every Pulumi command with KUBECONFIG=/dev/null. */
    readonly env: Readonly<Record<string, string>>;
    readonly workspace: LocalWorkspace;
}

/**
 * The exports of `scripts/engine env DIRECTORY`, which installs the built Kubernetes provider
 * into DIRECTORY/home: the variables it sets or changes (PATH and PULUMI_*).
 */
async function engineEnvironment(directory: string): Promise<Record<string, string>> {
    const script = path.join(projectRoot, "scripts", "engine");
    const stdout = await runChecked(["bash", "-c", 'eval "$("$0" env "$1")" && env -0', script, directory]).catch((error: unknown) => {
        throw new Error(`scripts/engine env ${directory}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const env: Record<string, string> = {};
    for (const entry of stdout.split("\0")) {
        const separator = entry.indexOf("=");
        const key = entry.slice(0, separator);
        const value = entry.slice(separator + 1);
        if (separator > 0 && (key === "PATH" || key.startsWith("PULUMI_")) && process.env[key] !== value) {
            env[key] = value;
        }
    }
    for (const key of ["PULUMI_HOME", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) {
        if (env[key] === undefined) {
            throw new Error(`scripts/engine env did not set ${key}`);
        }
    }
    return env;
}

/** The CLI scripts/engine put first on PATH, as the Automation API runs it (`<root>/bin/pulumi`). */
async function sandboxCommand(env: Readonly<Record<string, string>>): Promise<PulumiCommand> {
    const bin = (env.PATH ?? "").split(path.delimiter).find((entry) => fs.existsSync(path.join(entry, "pulumi")));
    if (bin === undefined || path.basename(bin) !== "bin") {
        throw new Error(`no pulumi in a bin/ folder on the PATH scripts/engine exports (${env.PATH ?? ""})`);
    }
    return PulumiCommand.get({ root: path.dirname(bin) });
}

/** Makes the project copy in `directory`. */
function copyProject(directory: string): void {
    fs.mkdirSync(directory, { recursive: true });
    fs.copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(directory, "Pulumi.yaml"));
    for (const entry of projectCopyLinks) {
        fs.symlinkSync(path.join(projectRoot, entry), path.join(directory, entry));
    }
}

/**
 * Opens a sandbox in `directory` (an empty folder of the caller's, e.g. from fs.mkdtempSync):
 * the engine's home and state, and a project copy. Needs the engine built (scripts/build-tools
 * pulumi and pulumi-kubernetes; scripts/engine builds them when they are not, tens of minutes cold).
 */
export async function openSandbox(directory: string): Promise<EngineSandbox> {
    const env = await engineEnvironment(directory);
    const projectDirectory = path.join(directory, "project");
    copyProject(projectDirectory);
    // A stack names its cluster in its config (kubernetes.kubeconfig); the ambient kubeconfig, which
    // may be a developer's real cluster, is hidden from the engine.
    const envVars = { ...env, KUBECONFIG: os.devNull };
    const workspace = await LocalWorkspace.create({ workDir: projectDirectory, pulumiCommand: await sandboxCommand(env), envVars });
    return { directory, projectDirectory, env, workspace };
}

/** The sandbox with more environment variables for every Pulumi command: another workspace on the same project copy, home and state. */
export async function withEnvironment(sandbox: EngineSandbox, extra: Readonly<Record<string, string>>): Promise<EngineSandbox> {
    const workspace = await LocalWorkspace.create({
        workDir: sandbox.projectDirectory,
        pulumiCommand: sandbox.workspace.pulumiCommand,
        envVars: { ...sandbox.workspace.envVars, ...extra },
    });
    return { ...sandbox, workspace };
}

/** A stack file's `config:` map, as the CLI reads it: `<namespace>:<key>` to a string, a map or a list. */
export type StackFileConfig = Record<string, unknown>;

/** The `config:` map of a committed stack file (Pulumi.<stack>.yaml). */
export function committedStackConfig(stack: string, root: string = projectRoot): StackFileConfig {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const document = parse(fs.readFileSync(file, "utf8")) as { config?: StackFileConfig } | null;
    return structuredClone(document?.config ?? {});
}

/** True for a value the CLI encrypted (`{secure: ...}`). */
function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value;
}

/**
 * Writes a stack's plain configuration through the workspace (the stack file of the project
 * copy), replacing every plain value and keeping the encryption salt and the secrets set with
 * {@link setSecret}.
 */
export async function writeStackConfig(stack: Stack, config: StackFileConfig): Promise<void> {
    const workspace = stack.workspace;
    const settings = await workspace.stackSettings(stack.name);
    const secrets = Object.fromEntries(Object.entries(settings.config ?? {}).filter(([, value]) => isSecure(value)));
    await workspace.saveStackSettings(stack.name, { ...settings, config: { ...structuredClone(config), ...secrets } });
}

/** Sets a secret config key of the project (`go-services:<key>`), encrypted by the CLI. */
export async function setSecret(stack: Stack, key: string, value: string): Promise<void> {
    await stack.setConfig(`${projectName}:${key}`, { value, secret: true });
}

/** Creates a stack in the sandbox with a configuration and secrets (`go-services:<key>` to value). */
export async function createStack(
    sandbox: EngineSandbox,
    name: string,
    config: StackFileConfig,
    secrets: Readonly<Record<string, string>> = {},
): Promise<Stack> {
    const stack = await Stack.create(name, sandbox.workspace);
    await writeStackConfig(stack, config);
    for (const [key, value] of Object.entries(secrets)) {
        await setSecret(stack, key, value);
    }
    return stack;
}

/** The services of a stack file configuration (`go-services:services`), to change in place. */
export function servicesOf(config: StackFileConfig): Record<string, Record<string, unknown>> {
    const services = config[`${projectName}:services`];
    if (typeof services !== "object" || services === null || Array.isArray(services)) {
        throw new Error(`the configuration has no ${projectName}:services map`);
    }
    return services as Record<string, Record<string, unknown>>;
}

/**
 * The configuration with every service deploying a given image (`services.<name>.image`,
 * by digest) built as `version` (the stack's `imageTag`): nothing to build, no registry.
 */
export function withGivenImages(config: StackFileConfig, images: ReadonlyMap<string, string>, version: string): StackFileConfig {
    const result = structuredClone(config);
    result[`${projectName}:imageTag`] = version;
    const services = servicesOf(result);
    for (const name of Object.keys(services)) {
        const image = images.get(name);
        if (image === undefined) {
            throw new Error(`no image for the service ${name}`);
        }
        services[name] = { ...services[name], image };
    }
    return result;
}

/** One resource operation the engine reported (a step, before it ran). */
export interface ResourceStep {
    readonly op: OpType;
    readonly type: string;
    readonly urn: string;
}

/** The steps of an operation from its engine events (the `onEvent` stream of up, preview, destroy). */
export function resourceSteps(events: readonly EngineEvent[]): ResourceStep[] {
    return events.flatMap((event) => {
        const metadata = event.resourcePreEvent?.metadata;
        return metadata ? [{ op: metadata.op, type: metadata.type, urn: metadata.urn }] : [];
    });
}

/** The steps that change something: every step but `same` (and reads, which change nothing). */
export function changingSteps(events: readonly EngineEvent[]): ResourceStep[] {
    return resourceSteps(events).filter((step) => step.op !== "same" && step.op !== "read");
}

/** A resource of a stack's state (`pulumi stack export`): what it is, what it was given and what it is. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
}

/** The resources of a stack's state, in order; none for a stack never deployed or destroyed. */
export async function stateResources(stack: Stack): Promise<StateResource[]> {
    const exported = (await stack.exportStack()) as { deployment?: { resources?: StateResource[] } };
    return (exported.deployment?.resources ?? []).map(({ urn, type, inputs, outputs }) => ({ urn, type, inputs, outputs }));
}

/**
 * The image every rendered service names. Rendering pulls nothing, so any well-formed digest
 * reference does; this one names no real image.
 */
export const renderedImage = `localhost:5001/go-services/bench@sha256:${"0".repeat(64)}`;

/** The version the rendered stacks' images are labelled with (`imageTag`). */
export const renderedVersion = "0.1.0-engine";

/**
 * A stack of `count` services that renders YAML and touches no cluster: the local stack's
 * settings with `npm run bench`'s services, each given {@link renderedImage} by digest, rendering
 * into `rendered/<name>` of the project copy.
 */
export function renderedStackConfig(count: number, name: string): StackFileConfig {
    const config = committedStackConfig("local");
    const services = benchServices(count);
    config[`${projectName}:services`] = services;
    config[`${projectName}:kubernetes`] = { renderYamlToDirectory: `rendered/${name}` };
    return withGivenImages(config, new Map(Object.keys(services).map((service) => [service, renderedImage])), renderedVersion);
}
