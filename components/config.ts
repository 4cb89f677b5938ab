/**
 * Reads a stack's configuration (Pulumi.<stack>.yaml) and checks all of it before any
 * resource is registered. Every error names the stack file key as `pulumi config set
 * --path` spells it, the value found, and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkKubernetesConnection, checkNamespace, KubernetesConnection, kubernetesConnectionSchema, namespaceSchema } from "./environmentSettings";
import { resolveCanaryRelease } from "./rolloutStrategy";
import { Promotion, promotionSchema, resolvePromotion } from "./promotion";
import {
    checkServiceName,
    defaultPort,
    maxServiceNameLength,
    resolveServiceSettings,
    ServiceDirectoryCheck,
    ServiceSettings,
    serviceSettingsSchema,
} from "./serviceSettings";
import { RegistryChoice, ResolvedStackSettings, resolveStackSettings, StackSettings, stackSettingsSchema } from "./stackSettings";
import { dnsLabel, hiddenSecret, isPlainObject, joinPath, PlainObject, Problems, unknownKeyMessage } from "./validation";

/** Config values of the project, by key without the "<project>:" prefix, as Pulumi hands them over (strings). */
export type ConfigValues = Readonly<Record<string, string>>;

/** The namespace when none is configured. */
export const defaultNamespace = "go-services";

/**
 * Every key of a stack file's `go-services:` namespace: the settings all services share, the
 * cluster and namespace, promotion, and the services. The stack files' JSON Schema and the
 * README's key tables are generated from it (scripts/schema.ts).
 */
export const stackConfigSchema = stackSettingsSchema.extend({
    namespace: namespaceSchema
        .default(defaultNamespace)
        .meta({ description: "The namespace every service of the stack runs in: not `default` or a `kube-*` namespace." }),
    kubernetes: kubernetesConnectionSchema
        .prefault({})
        .meta({ description: "How to reach the cluster; at most one key. Default: the current context of the ambient kubeconfig." }),
    promotion: promotionSchema.optional().meta({ description: "Deploy the images another stack exports instead of building any." }),
    services: z
        .record(dnsLabel(maxServiceNameLength), serviceSettingsSchema.nullable())
        .meta({ description: "The services: name (a DNS-1123 label of at most 40 characters) to settings ([Service keys](#service-keys))." }),
});

/** The top-level keys of a stack file, without the project namespace. */
export const stackConfigKeys: readonly string[] = Object.keys(stackConfigSchema.shape);

/** Whether a key's value is a map or a list, which Pulumi hands over as JSON text. */
function structureOf(schema: z.core.$ZodType): "map" | "list" | undefined {
    const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType; options?: z.core.$ZodType[] };
    switch (def.type) {
        case "object":
        case "record":
            return "map";
        case "array":
            return "list";
        case "union":
            return def.options?.[0] && structureOf(def.options[0]);
        case "pipe":
            return def.in && structureOf(def.in);
        default:
            return def.innerType && structureOf(def.innerType);
    }
}

/** The keys whose values are maps or lists. */
const structuredKeys = new Map(
    stackConfigKeys.flatMap((key) => {
        const structure = structureOf(stackConfigSchema.shape[key as keyof typeof stackConfigSchema.shape]);
        return structure ? [[key, structure] as const] : [];
    }),
);

/** What a stack file gives where TypeScript gives a Pulumi secret: the name of a secret config key. */
type SecretKeyName = string;

/** One service of a stack, checked. Secret values are still only the names of secret config keys. */
export interface StackService {
    readonly name: string;
    readonly settings: ServiceSettings & { secretEnv?: Record<string, SecretKeyName> };
}

/** The stack settings of a stack file: the registry password is the name of a secret config key. */
export type StackFileSettings = Omit<StackSettings, "registry"> & {
    registry?: Exclude<RegistryChoice, { kind: "oci" }> | (Extract<RegistryChoice, { kind: "oci" }> & { passwordSecret?: SecretKeyName });
};

/** A stack's configuration, checked. */
export interface StackConfig {
    /** The namespace all services share. */
    readonly namespace: string;
    /** How to reach the cluster; `kubeconfig` is the name of a secret config key. */
    readonly kubernetes: KubernetesConnection & { kubeconfig?: SecretKeyName };
    /** Settings every service shares, as given; `registry.passwordSecret` is the name of a secret config key. */
    readonly stack: StackFileSettings;
    /** Where the images of services without an `image` of their own come from, when not built here. */
    readonly promotion?: Promotion;
    /** The services, sorted by name. */
    readonly services: readonly StackService[];
    /** Each service's container port, for egress rules between services. */
    readonly servicePorts: ReadonlyMap<string, number>;
}

/** Where the error says the problems are. */
function subjectFor(stack: string): string {
    return `Invalid configuration in Pulumi.${stack}.yaml`;
}

/** The project's config values from the Pulumi runtime (the stack file and `pulumi config set`). */
export function pulumiConfigValues(project: string = pulumi.getProject()): ConfigValues {
    const prefix = `${project}:`;
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

function parseValue(key: string, text: string, path: string, problems: Problems): unknown {
    const structure = structuredKeys.get(key);
    if (structure === undefined) {
        return text;
    }
    try {
        return JSON.parse(text);
    } catch {
        problems.add(path, text, structure === "list" ? "must be a list (YAML sequence under the key)" : "must be a map (YAML mapping under the key)");
        return undefined;
    }
}

/** The secret config key a value names, reporting what is wrong with it. */
function checkSecretReference(value: unknown, path: string, values: ConfigValues, project: string, problems: Problems): value is string {
    if (typeof value !== "string" || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(value)) {
        problems.add(path, value, "must be the name of a config key holding the secret (letters, digits, '_', '-')");
        return false;
    }
    if (!(value in values)) {
        problems.add(path, value, `must name a config key that is set: pulumi config set --secret ${project}:${value} <value>`);
        return false;
    }
    return true;
}

/**
 * Checks a stack's configuration. Throws an InvalidInputError listing every problem;
 * nothing is registered before this returns.
 */
export function readStackConfig(values: ConfigValues, context: { project: string; stack: string; directories?: ServiceDirectoryCheck }): StackConfig {
    const problems = new Problems();
    const root = `${context.project}:`;
    const parsed: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(values)) {
        parsed[key] = parseValue(key, text, joinPath(root, key), problems);
    }

    const services = isPlainObject(parsed.services) ? parsed.services : undefined;
    const kubernetes = parsed.kubernetes ?? {};
    const secretKeys = new Set<string>();
    const noteSecret = (value: unknown, path: string) => {
        if (checkSecretReference(value, path, values, context.project, problems)) {
            secretKeys.add(value);
        }
    };

    if (checkKubernetesConnection(kubernetes, joinPath(root, "kubernetes"), problems) && isPlainObject(kubernetes) && kubernetes.kubeconfig !== undefined) {
        noteSecret(kubernetes.kubeconfig, joinPath(joinPath(root, "kubernetes"), "kubeconfig"));
    }
    const registry = parsed.registry;
    if (isPlainObject(registry) && registry.kind === "oci" && registry.passwordSecret !== undefined) {
        noteSecret(registry.passwordSecret, joinPath(joinPath(root, "registry"), "passwordSecret"));
    }
    for (const [name, settings] of Object.entries(services ?? {})) {
        const secretEnv = isPlainObject(settings) && isPlainObject(settings.secretEnv) ? settings.secretEnv : {};
        for (const [variable, reference] of Object.entries(secretEnv)) {
            noteSecret(reference, joinPath(joinPath(joinPath(joinPath(root, "services"), name), "secretEnv"), variable));
        }
    }
    for (const key of Object.keys(values)) {
        if (!stackConfigKeys.includes(key) && !secretKeys.has(key)) {
            problems.add(
                joinPath(root, key),
                hiddenSecret,
                unknownKeyMessage(key, stackConfigKeys, ", and keys named by a secretEnv, kubernetes.kubeconfig or registry.passwordSecret entry"),
            );
        }
    }

    const namespace = parsed.namespace ?? defaultNamespace;
    checkNamespace(namespace, joinPath(root, "namespace"), problems);
    const promotion = parsed.promotion === undefined ? undefined : resolvePromotion(parsed.promotion, joinPath(root, "promotion"), context, problems);
    const promotedFrom = parsed.promotion === undefined ? undefined : (promotion?.fromStack ?? `the stack ${joinPath(root, "promotion")}.fromStack names`);
    const servicesPath = joinPath(root, "services");
    checkVersionSource(parsed.imageTag, services ?? {}, promotedFrom, root, context.project, problems);
    const stackInput = Object.fromEntries(
        Object.keys(stackSettingsSchema.shape)
            .filter((key) => parsed[key] !== undefined)
            .map((key) => [key, parsed[key]]),
    );
    const stack: ResolvedStackSettings | undefined = resolveStackSettings(stackInput, root, context, problems);

    if (!services || Object.keys(services).length === 0) {
        problems.add(
            servicesPath,
            parsed.services,
            "must be a map of service name to settings with at least one service, e.g. services: { hello: { port: 8080 } }",
        );
    }
    const names = Object.keys(services ?? {}).sort();
    const servicePorts = new Map(names.map((name) => [name, portOf(services?.[name])]));
    const checked: StackService[] = [];
    for (const name of names) {
        const path = joinPath(servicesPath, name);
        if (!checkServiceName(name, path, context.stack, problems)) {
            continue;
        }
        const raw = services?.[name] ?? {};
        const settings = resolveServiceSettings(raw, path, { name, servicePorts, directories: context.directories, promotedFrom }, problems);
        if (settings) {
            if (stack) {
                resolveCanaryRelease(
                    settings.rollout,
                    stack.monitoring,
                    settings.alerts,
                    { service: path, monitoring: joinPath(root, "monitoring") },
                    problems,
                );
            }
            checked.push({ name, settings: raw });
        }
    }

    const kubernetesConnection = kubernetes as StackConfig["kubernetes"];
    return problems.valueOrThrow(
        subjectFor(context.stack),
        stack && {
            namespace: namespace as string,
            kubernetes: kubernetesConnection,
            stack: stackInput,
            ...(promotion ? { promotion } : {}),
            services: checked,
            servicePorts,
        },
    );
}

function portOf(settings: unknown): number {
    return isPlainObject(settings) && typeof settings.port === "number" ? settings.port : defaultPort;
}

/**
 * Checks that every service has a version for its app.kubernetes.io/version label and that a
 * stack-wide imageTag is used: a built image is built as the service's or the stack's imageTag;
 * a given image needs one of them too, since the reference itself names no version; a promoted
 * image carries the version its source stack exports.
 */
function checkVersionSource(
    imageTag: unknown,
    services: PlainObject,
    promotedFrom: string | undefined,
    root: string,
    project: string,
    problems: Problems,
): void {
    const entries = Object.entries(services).map(([name, raw]) => {
        const settings = isPlainObject(raw) ? raw : {};
        const given = settings.image !== undefined;
        return { name, given, builtHere: !given && promotedFrom === undefined, ownTag: settings.imageTag !== undefined };
    });
    const built = entries.filter((entry) => entry.builtHere);
    const givenWithoutTag = entries.filter((entry) => entry.given && !entry.ownTag);
    if (imageTag === undefined) {
        if (built.some((entry) => !entry.ownTag)) {
            problems.add(
                joinPath(root, "imageTag"),
                undefined,
                `is required: the version every service is built and deployed as, e.g. pulumi config set ${project}:imageTag v1.4.2`,
            );
        }
        for (const { name } of givenWithoutTag) {
            const at = joinPath(joinPath(joinPath(root, "services"), name), "imageTag");
            problems.add(
                at,
                undefined,
                `is required with ${joinPath(joinPath(joinPath(root, "services"), name), "image")} (or set ${joinPath(root, "imageTag")}): the version that image was built as, for the app.kubernetes.io/version label`,
            );
        }
    } else if (entries.length > 0 && built.length === 0 && givenWithoutTag.length === 0) {
        problems.add(
            joinPath(root, "imageTag"),
            imageTag,
            `is not used: no service is built here or given an image without an imageTag of its own${promotedFrom === undefined ? "" : `, and a promoted service carries the version ${promotedFrom} exports`}; remove it`,
        );
    }
}
