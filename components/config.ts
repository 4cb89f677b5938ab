/**
 * Reads a stack's configuration (Pulumi.<stack>.yaml) and checks all of it before any
 * resource is registered. Every error names the stack file key as `pulumi config set
 * --path` spells it, the value found, and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkKubernetesConnection, checkNamespace, KubernetesConnection } from "./environmentSettings";
import { checkServiceName, defaultPort, resolveServiceSettings, ServiceDirectoryCheck, ServiceSettings } from "./serviceSettings";
import { resolveStackSettings, StackSettings, stackSettingKeys } from "./stackSettings";
import { closestKey, hiddenSecret, isPlainObject, joinPath, Problems } from "./validation";

/** Config values of the project, by key without the "<project>:" prefix, as Pulumi hands them over (strings). */
export type ConfigValues = Readonly<Record<string, string>>;

/** One service of a stack, checked. Secret values are still only the names of secret config keys. */
export interface StackService {
    readonly name: string;
    readonly settings: ServiceSettings<string>;
}

/** A stack's configuration, checked. */
export interface StackConfig {
    /** The namespace all services share. Default "go-services". */
    readonly namespace: string;
    /** How to reach the cluster; `kubeconfig` is the name of a secret config key. */
    readonly kubernetes: KubernetesConnection<string>;
    /** Settings every service shares, checked. */
    readonly stack: StackSettings;
    /** The services, sorted by name. */
    readonly services: readonly StackService[];
    /** Each service's container port, for egress rules between services. */
    readonly servicePorts: ReadonlyMap<string, number>;
}

/** Top-level keys besides the shared stack settings. */
const environmentKeys = ["namespace", "kubernetes", "services"] as const;

/** Keys whose values are maps (JSON text in Pulumi's config environment). */
const mapKeys = new Set(["registry", "baseImages", "kubernetes", "services"]);

/** The namespace when none is configured. */
export const defaultNamespace = "go-services";

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
    if (!mapKeys.has(key)) {
        return text;
    }
    try {
        return JSON.parse(text);
    } catch {
        problems.add(path, text, "must be a map (YAML mapping under the key)");
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

    const known: readonly string[] = [...stackSettingKeys, ...environmentKeys];
    if (checkKubernetesConnection(kubernetes, joinPath(root, "kubernetes"), problems) && isPlainObject(kubernetes) && kubernetes.kubeconfig !== undefined) {
        noteSecret(kubernetes.kubeconfig, joinPath(joinPath(root, "kubernetes"), "kubeconfig"));
    }
    for (const [name, settings] of Object.entries(services ?? {})) {
        const secretEnv = isPlainObject(settings) && isPlainObject(settings.secretEnv) ? settings.secretEnv : {};
        for (const [variable, reference] of Object.entries(secretEnv)) {
            noteSecret(reference, joinPath(joinPath(joinPath(joinPath(root, "services"), name), "secretEnv"), variable));
        }
    }
    for (const key of Object.keys(values)) {
        if (!known.includes(key) && !secretKeys.has(key)) {
            const hint = closestKey(key, known);
            problems.add(
                joinPath(root, key),
                hiddenSecret,
                `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys: ${known.join(", ")}, and keys named by a secretEnv or kubernetes.kubeconfig entry`,
            );
        }
    }

    const namespace = parsed.namespace ?? defaultNamespace;
    checkNamespace(namespace, joinPath(root, "namespace"), problems);
    if (parsed.imageTag === undefined) {
        problems.add(
            joinPath(root, "imageTag"),
            undefined,
            `is required: the version every service is built and deployed as, e.g. pulumi config set ${context.project}:imageTag v1.4.2`,
        );
    }
    const stackInput = Object.fromEntries(stackSettingKeys.filter((key) => parsed[key] !== undefined).map((key) => [key, parsed[key]]));
    const stack = parsed.imageTag === undefined ? undefined : resolveStackSettings(stackInput, root, context, problems);

    const servicesPath = joinPath(root, "services");
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
        if (resolveServiceSettings(raw, path, { name, servicePorts, directories: context.directories }, problems)) {
            checked.push({ name, settings: raw });
        }
    }

    const kubernetesConnection = kubernetes as KubernetesConnection<string>;
    return problems.valueOrThrow(
        subjectFor(context.stack),
        stack && {
            namespace: namespace as string,
            kubernetes: kubernetesConnection,
            stack: stackInput as unknown as StackSettings,
            services: checked,
            servicePorts,
        },
    );
}

function portOf(settings: unknown): number {
    return isPlainObject(settings) && typeof settings.port === "number" ? settings.port : defaultPort;
}
