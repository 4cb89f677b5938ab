/**
 * Evaluates the stack program offline: Pulumi's documented mocks (pulumi.runtime.setMocks)
 * stand in for the engine and every provider, so no CLI, cloud or cluster is needed. Unit
 * tests, `npm run synth`, the benchmark and the e2e tests all evaluate through here.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { program as stackProgram } from "../../components/program";
import { serviceDirectoriesAt } from "../../components/serviceDirectory";

/** The Pulumi project name (Pulumi.yaml). */
export const projectName = "go-services";

/** The repository root: where Pulumi.yaml and the stack files live. */
export const projectRoot = path.resolve(__dirname, "..", "..");

/** The AWS account mocked ECR repositories live in. */
export const mockAccountId = "123456789012";

/** The region when the stack sets no aws:region. */
const defaultRegion = "us-east-1";

/**
 * What stands in for values only the cloud knows. "mock": realistic, deterministic values
 * (tests). "placeholders": clearly marked placeholders (`npm run synth`, for review).
 */
export type ComputedValues = "mock" | "placeholders";

/** The placeholders `npm run synth` writes. */
export const placeholders = {
    accountId: "AWS_ACCOUNT_ID",
    digest: "sha256:DIGEST_KNOWN_AFTER_PUSH",
} as const;

/** The type token of the stack's root resource. */
const stackType = "pulumi:pulumi:Stack";

/** The type token of a StackReference (a read of another stack's outputs). */
export const stackReferenceType = "pulumi:pulumi:StackReference";

/** Outputs of other stacks, by fully qualified name (`<org>/<project>/<stack>`), for StackReferences to read. */
export type StackOutputsByName = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** A resource as the engine saw it registered. */
export interface RegisteredResource {
    /** Type token, e.g. kubernetes:apps/v1:Deployment. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** Inputs as the program sent them; secrets stay wrapped in Pulumi's secret envelope. */
    readonly inputs: Record<string, unknown>;
    /** State the mock returned: inputs plus what the cloud would compute. */
    readonly state: Record<string, unknown>;
    /** True for custom resources (provider-managed), false for components. */
    readonly custom: boolean;
    /** The provider reference, `urn::id`, for custom resources with an explicit provider. */
    readonly provider?: string;
}

/** A finished evaluation. */
export interface Evaluation {
    /** Every resource registered (or read, as a StackReference is), in registration order, without the stack itself. */
    readonly resources: readonly RegisteredResource[];
    /** Stack outputs; values unknown in a preview are undefined. */
    readonly outputs: Record<string, unknown>;
    /** The provider functions the program invoked (tokens such as aws:ecr/getAuthorizationToken:getAuthorizationToken), in order. */
    readonly invokes: readonly string[];
}

/** Config as the Pulumi runtime holds it: `project:key` to string, plus which keys are secret. */
export interface RuntimeConfig {
    readonly values: Record<string, string>;
    readonly secretKeys: readonly string[];
}

/**
 * Reads Pulumi.<stack>.yaml into runtime config. `secure:` values cannot be decrypted
 * without the CLI; each is replaced by `secrets[key]` or a fixed stand-in, and marked secret.
 */
export function loadStackConfig(stack: string, secrets: Record<string, string> = {}, root = projectRoot): RuntimeConfig {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const document = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return toRuntimeConfig(document?.config ?? {}, secrets);
}

/** Converts a stack file's `config:` map to runtime config, the way the Pulumi CLI hands it to a program. */
export function toRuntimeConfig(config: Record<string, unknown>, secrets: Record<string, string> = {}): RuntimeConfig {
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        if (isSecure(value)) {
            values[key] = secrets[key] ?? `mock-secret-for-${key}`;
            secretKeys.push(key);
        } else {
            values[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { values, secretKeys };
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value && Object.keys(value).length === 1;
}

function shortHash(text: string): string {
    return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** The digest a mocked push yields: stable for the same image name, so golden files stay stable. */
export function mockDigest(imageName: string): string {
    return `sha256:${createHash("sha256").update(imageName).digest("hex")}`;
}

type State = Record<string, unknown>;

/** How the mocked cloud answers. */
interface CloudAnswers {
    readonly preview: boolean;
    readonly values: ComputedValues;
    readonly region: string;
}

/** Outputs the cloud computes, per resource type. In a preview they are unknown (left out). */
function computedState(type: string, name: string, inputs: State, cloud: CloudAnswers): State {
    if (type.startsWith("kubernetes:")) {
        return kubernetesState(name, inputs);
    }
    if (cloud.preview) {
        return {};
    }
    const accountId = cloud.values === "mock" ? mockAccountId : placeholders.accountId;
    switch (type) {
        case "aws:ecr/repository:Repository": {
            const repositoryName = typeof inputs.name === "string" ? inputs.name : name;
            return {
                arn: `arn:aws:ecr:${cloud.region}:${accountId}:repository/${repositoryName}`,
                registryId: accountId,
                repositoryUrl: `${accountId}.dkr.ecr.${cloud.region}.amazonaws.com/${repositoryName}`,
            };
        }
        case "docker:index/image:Image": {
            const imageName = String(inputs.imageName);
            const digest = cloud.values === "mock" ? mockDigest(imageName) : placeholders.digest;
            const repository = imageName.slice(0, imageName.lastIndexOf(":"));
            return inputs.skipPush ? { repoDigest: digest } : { repoDigest: `${repository}@${digest}` };
        }
        default:
            return {};
    }
}

/** The Kubernetes provider names objects that set no name: `<resource name>-<suffix>`. */
function kubernetesState(name: string, inputs: State): State {
    const metadata = (inputs.metadata ?? {}) as State;
    if (metadata.name !== undefined || !("metadata" in inputs)) {
        return {};
    }
    return { metadata: { ...metadata, name: `${name}-${shortHash(name)}` } };
}

/** Records every registration and answers like the providers would. */
class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RegisteredResource[] = [];
    readonly invokes: string[] = [];

    constructor(
        private readonly cloud: CloudAnswers,
        private readonly stacks: StackOutputsByName,
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } {
        const inputs = (args.inputs ?? {}) as State;
        const state = { ...inputs, ...computedState(args.type, args.name, inputs, this.cloud), ...this.stackReferenceState(args.type, inputs) };
        if (args.type !== stackType) {
            this.resources.push({ type: args.type, name: args.name, inputs, state, custom: args.custom ?? false, provider: args.provider });
        }
        const id = this.cloud.preview && args.custom ? undefined : `${args.name}-id`;
        return { id, state };
    }

    /** What the engine reads for a StackReference: the named stack's outputs; an unknown stack fails the read. */
    private stackReferenceState(type: string, inputs: State): State {
        if (type !== stackReferenceType) {
            return {};
        }
        const name = String(inputs.name);
        const outputs = this.stacks[name];
        if (outputs === undefined) {
            throw new Error(`reading StackReference: unknown stack "${name}"`);
        }
        return { name, outputs, secretOutputNames: [] };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        this.invokes.push(args.token);
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
            return {
                userName: "AWS",
                password: "mock-ecr-password",
                authorizationToken: "bW9jaw==",
                proxyEndpoint: `https://${mockAccountId}.dkr.ecr.${this.cloud.region}.amazonaws.com`,
                expiresAt: "2026-01-01T00:00:00Z",
                id: this.cloud.region,
                region: this.cloud.region,
            };
        }
        throw new Error(`no mock for function ${args.token}`);
    }
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
    /** Stack name, e.g. dev. */
    readonly stack: string;
    /** The stack's config. */
    readonly config: RuntimeConfig;
    /** Evaluate as `pulumi preview` does: values only the cloud knows are unknown. */
    readonly preview?: boolean;
    /** What stands in for values only the cloud knows (when not a preview). Default "mock". */
    readonly values?: ComputedValues;
    /** The program; default: the real stack program (components/program.ts) checking service folders under `root`. */
    readonly program?: () => unknown;
    /** The project directory for the default program. Default: this repository. */
    readonly root?: string;
    /** Outputs of the stacks StackReferences may read. Default: none (a StackReference fails). */
    readonly stackOutputs?: StackOutputsByName;
}

/** The program failed; `resources` is what it had registered before it did. */
export class EvaluationFailure extends Error {
    constructor(
        readonly cause: unknown,
        readonly resources: readonly RegisteredResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "EvaluationFailure";
    }
}

/**
 * Runs a program under mocks and waits for every registration. Resolves with what was
 * registered; rejects with an {@link EvaluationFailure} carrying the program's error (for
 * example a config error) and whatever had been registered.
 */
export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
    const mocks = new RecordingMocks(
        {
            preview: options.preview ?? false,
            values: options.values ?? "mock",
            region: options.config.values["aws:region"] ?? defaultRegion,
        },
        options.stackOutputs ?? {},
    );
    pulumi.runtime.setAllConfig(options.config.values, [...options.config.secretKeys]);
    await pulumi.runtime.setMocks(mocks, projectName, options.stack, options.preview ?? false);
    const program = options.program ?? (() => stackProgram(serviceDirectoriesAt(options.root ?? projectRoot)));
    // @pulumi/kubernetes fills a provider's unset kubeconfig from $KUBECONFIG: an evaluation
    // (the tests, synth and its golden files) must not depend on the shell it runs in.
    const ambientKubeconfig = process.env.KUBECONFIG;
    delete process.env.KUBECONFIG;
    try {
        const outputs = await pulumi.runtime.runInPulumiStack(() => Promise.resolve(program()));
        await pulumi.runtime.disconnect();
        return { resources: mocks.resources, outputs: outputs ?? {}, invokes: mocks.invokes };
    } catch (error) {
        await pulumi.runtime.disconnect();
        throw new EvaluationFailure(error, mocks.resources);
    } finally {
        pulumi.runtime.setAllConfig({}, []);
        if (ambientKubeconfig !== undefined) {
            process.env.KUBECONFIG = ambientKubeconfig;
        }
    }
}

/** Options of {@link evaluateStack}. */
export interface EvaluateStackOptions {
    readonly preview?: boolean;
    readonly values?: ComputedValues;
    readonly secrets?: Record<string, string>;
    readonly root?: string;
    /** Changes to the stack file's config before the evaluation (e.g. a test's shorter scale-down window); not applied to a stack it promotes from. */
    readonly adjustConfig?: (config: RuntimeConfig) => RuntimeConfig;
}

/**
 * Evaluates a committed stack (Pulumi.<stack>.yaml). A stack that promotes from another
 * committed stack of this project (`go-services:promotion.fromStack: <org>/go-services/<stack>`)
 * reads that stack's outputs, evaluated first under the same mocks: so the prod stack shows
 * the images dev pushes. With placeholders, the promoted references read as placeholders too.
 */
export async function evaluateStack(stack: string, options: EvaluateStackOptions = {}, promoting: readonly string[] = []): Promise<Evaluation> {
    const root = options.root ?? projectRoot;
    const stackConfig = loadStackConfig(stack, options.secrets, root);
    const config = options.adjustConfig ? options.adjustConfig(stackConfig) : stackConfig;
    const source = committedPromotionSource(config, root);
    if (source === undefined) {
        return evaluate({ stack, config, preview: options.preview, values: options.values, root });
    }
    if (promoting.includes(source.stack)) {
        throw new Error(`promotion cycle: ${[...promoting, stack, source.stack].join(" -> ")}`);
    }
    const chain = [...promoting, stack];
    // Promotion reads what the source has deployed: its digests are known, even when this stack is only previewed.
    const sourceOutputs = (await evaluateStack(source.stack, { secrets: options.secrets, root, values: "mock" }, chain)).outputs;
    const evaluation = await evaluate({
        stack,
        config,
        preview: options.preview,
        values: options.values,
        root,
        stackOutputs: { [source.name]: sourceOutputs },
    });
    if (options.values !== "placeholders") {
        return evaluation;
    }
    const shown = (await evaluateStack(source.stack, { secrets: options.secrets, root, values: "placeholders" }, chain)).outputs;
    return replaceStrings(evaluation, promotedReferences(sourceOutputs, shown));
}

/** The source stack a committed stack promotes from, when that is a committed stack of this project. */
function committedPromotionSource(config: RuntimeConfig, root: string): { name: string; stack: string } | undefined {
    const text = config.values[`${projectName}:promotion`];
    const fromStack = text === undefined ? undefined : (JSON.parse(text) as { fromStack?: unknown }).fromStack;
    const [, project, stack] = typeof fromStack === "string" ? fromStack.split("/") : [];
    if (typeof fromStack !== "string" || project !== projectName || stack === undefined || !fs.existsSync(path.join(root, `Pulumi.${stack}.yaml`))) {
        return undefined;
    }
    return { name: fromStack, stack };
}

/** Image references in the mocked source outputs, mapped to the same references as `npm run synth` shows them. */
function promotedReferences(mocked: Record<string, unknown>, shown: Record<string, unknown>): ReadonlyMap<string, string> {
    const images = (outputs: Record<string, unknown>, name: string): unknown =>
        (outputs.services as Record<string, { image?: unknown }> | undefined)?.[name]?.image;
    const references = new Map<string, string>();
    for (const name of Object.keys((mocked.services as Record<string, unknown> | undefined) ?? {})) {
        const from = images(mocked, name);
        const to = images(shown, name);
        if (typeof from === "string" && typeof to === "string") {
            references.set(from, to);
        }
    }
    return references;
}

/** The evaluation with every string that is a key of `replacements` replaced by its value. */
function replaceStrings<T>(value: T, replacements: ReadonlyMap<string, string>): T {
    const replace = (item: unknown): unknown => {
        if (typeof item === "string") {
            return replacements.get(item) ?? item;
        }
        if (Array.isArray(item)) {
            return item.map(replace);
        }
        if (typeof item === "object" && item !== null) {
            return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, replace(entry)]));
        }
        return item;
    };
    return replace(value) as T;
}
