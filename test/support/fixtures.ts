/**
 * Shared test helpers: settings and specs built from defaults, evaluation of a stack from
 * an in-memory config map, and lookups in what an evaluation registered.
 */
import * as assert from "assert";
import { ServiceIdentity } from "../../components/labels";
import { program } from "../../components/program";
import { ResolvedSettings, resolveServiceSettings, ServiceDirectoryCheck } from "../../components/serviceSettings";
import { InvalidInputError, Problem, Problems } from "../../components/validation";
import { WorkloadSpec } from "../../components/workload";
import { isSecretEnvelope } from "../../scripts/lib/manifests";
import {
    evaluate,
    Evaluation,
    EvaluationFailure,
    loadStackConfig,
    RegisteredResource,
    RuntimeConfig,
    StackOutputsByName,
    toRuntimeConfig,
} from "../../scripts/lib/evaluate";

/** A directory check that finds every service folder and file. */
export const everyDirectoryExists: ServiceDirectoryCheck = { missing: () => [], fileExists: () => true };

/** Resolves settings that must be valid; fails the test with the problems otherwise. */
export function resolvedSettings(raw: unknown = {}, name = "hello"): ResolvedSettings {
    const problems = new Problems();
    const settings = resolveServiceSettings(raw, `services.${name}`, { name, directories: everyDirectoryExists }, problems);
    return problems.valueOrThrow("test settings", settings);
}

/** The problems a check reports into a fresh Problems (an empty list when it reports none and gives a value). */
export function reportedProblems(check: (problems: Problems) => unknown): Problem[] {
    const problems = new Problems();
    const value = check(problems);
    try {
        problems.valueOrThrow("test", value);
        return [];
    } catch (error) {
        assert.ok(error instanceof InvalidInputError, String(error));
        return [...error.problems];
    }
}

/** The problems the settings produce (an empty list when they are valid). */
export function settingsProblems(raw: unknown, name = "hello", servicePorts?: ReadonlyMap<string, number>): Problem[] {
    return reportedProblems((problems) => resolveServiceSettings(raw, `services.${name}`, { name, directories: everyDirectoryExists, servicePorts }, problems));
}

/** The pod security context every service gets by default. */
export const restrictedPodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    fsGroup: 65532,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/** The container security context every service gets by default. */
export const hardenedContainerSecurityContext = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
} as const;

/** A service identity for pure builder tests. */
export const helloIdentity: ServiceIdentity = {
    name: "hello",
    namespace: "apps",
    stack: "dev",
    project: "go-services",
    version: "v1.2.3",
    component: "server",
};

/** A workload spec with the given settings. */
export function workloadSpec(raw: unknown = {}, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
    return {
        identity: helloIdentity,
        settings: resolvedSettings(raw),
        platform: { os: "linux", arch: "amd64" },
        image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello@sha256:" + "a".repeat(64),
        ...extra,
    };
}

/** A stack file's `config:` map for dev-like tests; callers change what they test. */
export function baseStackConfig(): Record<string, unknown> {
    return {
        "aws:region": "eu-west-1",
        "go-services:imageTag": "git-3f9c2ab",
        "go-services:namespace": "apps",
        "go-services:services": { hello: { resources: "nano" }, quotes: { resources: "nano" } },
    };
}

/** Evaluates the real program under mocks with the given stack file config. */
export function evaluateConfig(
    config: Record<string, unknown>,
    options: {
        stack?: string;
        preview?: boolean;
        secrets?: Record<string, string>;
        directories?: ServiceDirectoryCheck;
        stackOutputs?: StackOutputsByName;
    } = {},
): Promise<Evaluation> {
    return evaluate({
        stack: options.stack ?? "dev",
        config: toRuntimeConfig(config, options.secrets),
        preview: options.preview,
        program: () => program(options.directories ?? everyDirectoryExists),
        stackOutputs: options.stackOutputs,
    });
}

/** Evaluates a config that must be rejected; returns the error and what was registered. */
export async function rejectedConfig(
    config: Record<string, unknown>,
    options: { stack?: string; directories?: ServiceDirectoryCheck; stackOutputs?: StackOutputsByName } = {},
): Promise<{ error: InvalidInputError; resources: readonly RegisteredResource[] }> {
    try {
        await evaluateConfig(config, options);
    } catch (failure) {
        assert.ok(failure instanceof EvaluationFailure, `expected an EvaluationFailure, got ${String(failure)}`);
        assert.ok(failure.cause instanceof InvalidInputError, `expected an InvalidInputError, got ${String(failure.cause)}`);
        return { error: failure.cause, resources: failure.resources };
    }
    assert.fail("the configuration was accepted");
}

/** Resources of a type (e.g. kubernetes:apps/v1:Deployment). */
export function resourcesOfType(evaluation: Evaluation, type: string): RegisteredResource[] {
    return evaluation.resources.filter((resource) => resource.type === type);
}

/** The only item of a list; fails the test when there is not exactly one. */
export function only<T>(items: readonly T[], what: string): T {
    const [first, ...rest] = items;
    assert.ok(first !== undefined && rest.length === 0, `expected one ${what}, found ${items.length}`);
    return first;
}

/** The one resource of a type and name; fails when there is not exactly one. */
export function resource(evaluation: Evaluation, type: string, name: string): RegisteredResource {
    return only(
        evaluation.resources.filter((candidate) => candidate.type === type && candidate.name === name),
        `${type} named ${name}`,
    );
}

/**
 * A committed stack's runtime config with one secret variable added to a service: the
 * variable names a secret config key, which holds `plaintext`.
 */
export function withSecretVariable(stack: string, service: string, variable: string, plaintext: string): RuntimeConfig {
    const config = loadStackConfig(stack);
    const key = `${service}${variable}`;
    const services = JSON.parse(config.values["go-services:services"] ?? "{}") as Record<string, Record<string, unknown>>;
    services[service] = { ...services[service], secretEnv: { [variable]: key } };
    return {
        values: { ...config.values, "go-services:services": JSON.stringify(services), [`go-services:${key}`]: plaintext },
        secretKeys: [...config.secretKeys, `go-services:${key}`],
    };
}

/** Reads a nested value by path, e.g. at(obj, "spec", "template", "spec"). */
export function at(value: unknown, ...keys: (string | number)[]): unknown {
    return keys.reduce<unknown>((current, key) => (current as Record<string | number, unknown> | undefined)?.[key], value);
}

/**
 * True when the value at `keys` is a secret: it, or an object holding it, is wrapped in a
 * secret envelope (Pulumi marks the outermost value that contains a secret).
 */
export function isSecretAt(value: unknown, ...keys: (string | number)[]): boolean {
    let current = value;
    for (const key of keys) {
        if (isSecretEnvelope(current)) {
            return true;
        }
        current = (current as Record<string | number, unknown> | undefined)?.[key];
    }
    return isSecretEnvelope(current);
}

/**
 * Paths at which `plaintext` appears outside a secret envelope anywhere in `value`.
 * An empty list means the secret never travels in the clear.
 */
export function plaintextLeaks(value: unknown, plaintext: string, path = "$"): string[] {
    if (isSecretEnvelope(value)) {
        return [];
    }
    if (typeof value === "string") {
        return value.includes(plaintext) ? [path] : [];
    }
    if (Array.isArray(value)) {
        return value.flatMap((item, index) => plaintextLeaks(item, plaintext, `${path}[${index}]`));
    }
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([key, item]) => plaintextLeaks(item, plaintext, `${path}.${key}`));
    }
    return [];
}
