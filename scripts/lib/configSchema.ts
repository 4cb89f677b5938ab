/**
 * What is derived from the configuration schema (components/config.ts, stackConfigSchema):
 * the JSON Schema of the stack files, which each Pulumi.<stack>.yaml names in its
 * yaml-language-server modeline so that editors complete and check its keys, and the README's
 * key tables. `npm run schema` writes both; test/configSchema.test.ts fails when a committed
 * copy differs from what the schema gives.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { stackConfigKeys, stackConfigSchema } from "../../components/config";
import { alertThresholdsSchema, defaultAlertThresholds } from "../../components/monitoringSettings";
import { isPlainObject } from "../../components/validation";

/** The repository root. */
export const repositoryRoot = path.resolve(__dirname, "..", "..");

/** Where the stack files' JSON Schema is committed, relative to the repository root. */
export const stackFileSchemaPath = "schema/stack-config.schema.json";

/** The config namespace of the project's keys. */
const namespace = "go-services:";

/** A JSON Schema node as zod writes it. */
type JsonSchema = z.core.JSONSchema.BaseSchema;

/** The names of the secret config keys a stack file may hold: letters, digits, '_', '-'. */
const secretKeyName = "[A-Za-z][A-Za-z0-9_-]*";

/**
 * The JSON Schema (draft-07) of a value of the schema, with each key's `allowed` text kept
 * (`withAllowed`) for the README or dropped for the JSON Schema file. A secret is, in a stack
 * file, the name of a secret config key.
 */
function jsonSchemaOf(schema: z.ZodType, withAllowed: boolean): JsonSchema {
    return z.toJSONSchema(schema, {
        target: "draft-07",
        io: "input",
        unrepresentable: "any",
        override: ({ zodSchema, jsonSchema }) => {
            const meta = z.globalRegistry.get(zodSchema);
            const def = zodSchema._zod.def;
            // A default in front of a transform (resources, env, namespaces) is the input's default too.
            if ((def.type === "default" || def.type === "prefault") && jsonSchema.default === undefined) {
                jsonSchema.default = (def as z.core.$ZodDefaultDef).defaultValue;
            }
            if (meta?.secret && zodSchema._zod.def.type === "custom") {
                jsonSchema.type = "string";
                jsonSchema.pattern = `^${secretKeyName}$`;
            }
            if (!withAllowed) {
                delete jsonSchema.allowed;
            }
            delete jsonSchema.secret;
        },
    });
}

/** The JSON Schema of a stack file: the project's keys, secret config keys, and other namespaces' keys. */
export function stackFileJsonSchema(): JsonSchema {
    const config = jsonSchemaOf(stackConfigSchema, false);
    const { $schema, definitions, properties = {}, required = [] } = config;
    return {
        $schema,
        $id: "https://github.com/acme/go-services/schema/stack-config.schema.json",
        title: "go-services stack file (Pulumi.<stack>.yaml)",
        description: "The stack configuration of go-services; README.md, Configuration, documents every key.",
        type: "object",
        properties: {
            config: {
                type: "object",
                properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [`${namespace}${key}`, value])),
                required: required.map((key) => `${namespace}${key}`),
                patternProperties: {
                    // A secret config key named by secretEnv, kubernetes.kubeconfig or registry.passwordSecret.
                    [`^${namespace}(?!(${stackConfigKeys.join("|")})$)${secretKeyName}$`]: {
                        type: "object",
                        properties: { secure: { type: "string" } },
                        required: ["secure"],
                        additionalProperties: false,
                        description: "A secret config key: pulumi config set --secret <key> <value>",
                    },
                    // Another namespace (aws:, kubernetes:, ...): its own provider checks it.
                    [`^(?!${namespace})[A-Za-z0-9_.-]+:.+$`]: {},
                },
                additionalProperties: false,
            },
            encryptionsalt: { type: "string" },
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            environment: {},
        },
        additionalProperties: false,
        ...(definitions ? { definitions } : {}),
    };
}

/** The stack files' JSON Schema as committed: two-space JSON and a final newline. */
export function stackFileJsonSchemaText(): string {
    return `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// README tables

interface Row {
    key: string;
    default: string;
    allowed: string;
}

function code(text: string): string {
    return `\`${text}\``;
}

function defaultOf(node: JsonSchema): string {
    return node.default === undefined ? "" : code(typeof node.default === "string" ? node.default : JSON.stringify(node.default));
}

/** The text of a leaf: what is allowed, then the description. */
function allowedOf(node: JsonSchema): string {
    const allowed = typeof node.allowed === "string" ? node.allowed.replace(/^must be /, "") : "";
    return [allowed, node.description].filter((part) => part !== undefined && part !== "").join(". ");
}

/** The rows of the keys of an object node, one per leaf key, nested keys joined with '.'. */
function rowsOf(node: JsonSchema, prefix: string, stop: (node: JsonSchema) => string | undefined): Row[] {
    const rows: Row[] = [];
    for (const [name, child] of Object.entries(node.properties ?? {})) {
        if (typeof child === "boolean") {
            continue;
        }
        const key = `${prefix}${name}`;
        const reference = stop(child);
        if (reference !== undefined) {
            rows.push({ key: code(key), default: defaultOf(child), allowed: `${child.description ?? ""} ${reference}`.trim() });
        } else if (child.type === "object" && child.properties !== undefined) {
            rows.push(...rowsOf(child, `${key}.`, stop));
        } else if ((child.oneOf ?? child.anyOf)?.every((option) => typeof option !== "boolean" && option.properties !== undefined)) {
            rows.push(...optionRows(child, key, stop));
        } else {
            rows.push({ key: code(key), default: defaultOf(child), allowed: allowedOf(child) });
        }
    }
    return rows;
}

/** The rows of a union of maps told apart by one key (registry.kind): each option's keys, said for which option. */
function optionRows(node: JsonSchema, key: string, stop: (node: JsonSchema) => string | undefined): Row[] {
    const options = (node.oneOf ?? node.anyOf ?? []).filter((option): option is JsonSchema => typeof option !== "boolean");
    const discriminator = Object.keys(options[0]?.properties ?? {})[0] ?? "";
    const values = options.map((option) => {
        const property = option.properties?.[discriminator];
        return typeof property === "boolean" ? "" : String(property?.const ?? "");
    });
    const rows: Row[] = [
        {
            key: code(`${key}.${discriminator}`),
            default: defaultOf({ default: isPlainObject(node.default) ? node.default[discriminator] : node.default }),
            allowed:
                `${node.description ?? ""} ${options.map((option, index) => `${code(values[index] ?? "")}: ${allowedOf(asSchema(option.properties?.[discriminator]))}`).join("; ")}`.trim(),
        },
    ];
    options.forEach((option, index) => {
        const { [discriminator]: _discriminator, ...rest } = option.properties ?? {};
        for (const row of rowsOf({ ...option, properties: rest }, `${key}.`, stop)) {
            rows.push({ ...row, allowed: `${code(values[index] ?? "")} only: ${row.allowed}` });
        }
    });
    return rows;
}

function asSchema(node: JsonSchema | boolean | undefined): JsonSchema {
    return typeof node === "object" ? node : {};
}

function table(rows: Row[]): string {
    const header: Row = { key: "key", default: "default", allowed: "allowed, and what it does" };
    const all = [header, ...rows];
    const width = (column: keyof Row) => Math.max(3, ...all.map((row) => row[column].length));
    const line = (row: Row) => `| ${row.key.padEnd(width("key"))} | ${row.default.padEnd(width("default"))} | ${row.allowed.padEnd(width("allowed"))} |`;
    const rule = `| ${"-".repeat(width("key"))} | ${"-".repeat(width("default"))} | ${"-".repeat(width("allowed"))} |`;
    return [line(header), rule, ...rows.map(line)].join("\n");
}

/** The README's generated tables, by the name of their marker. */
export function readmeTables(): Record<string, string> {
    const stack = jsonSchemaOf(stackConfigSchema, true);
    const alerts = jsonSchemaOf(alertThresholdsSchema, true);
    const alertKeys = JSON.stringify(Object.keys(alerts.properties ?? {}));
    // The alert thresholds have a table of their own; services have theirs.
    const stop = (node: JsonSchema) =>
        JSON.stringify(Object.keys(node.properties ?? {})) === alertKeys
            ? ""
            : node.additionalProperties !== undefined && typeof node.additionalProperties === "object" && node.additionalProperties.anyOf
              ? ""
              : undefined;
    const services = asSchema(asSchema(stack.properties?.services).additionalProperties);
    const serviceSettings = asSchema(services.anyOf?.find((option) => typeof option === "object" && option.type === "object"));
    return {
        "stack keys": table(rowsOf(stack, "", stop)),
        "service keys": table(rowsOf(serviceSettings, "", stop)),
        // Absent from a service's own thresholds, the stack's defaults apply.
        "alert thresholds": table(
            rowsOf(alerts, "", () => undefined).map((row) => ({
                ...row,
                default: code(String(defaultAlertThresholds[row.key.slice(1, -1) as keyof typeof defaultAlertThresholds])),
            })),
        ),
    };
}

/** The README with each generated table put between its markers. */
export function withReadmeTables(readme: string): string {
    let text = readme;
    for (const [name, content] of Object.entries(readmeTables())) {
        const begin = `<!-- generated: ${name} (npm run schema) -->`;
        const end = `<!-- end generated: ${name} -->`;
        const start = text.indexOf(begin);
        const stop = text.indexOf(end);
        if (start < 0 || stop < start) {
            throw new Error(`README.md lacks the markers ${begin} ... ${end}`);
        }
        text = `${text.slice(0, start + begin.length)}\n\n${content}\n\n${text.slice(stop)}`;
    }
    return text;
}

/** The README as it is committed. */
export function readReadme(): string {
    return fs.readFileSync(path.join(repositoryRoot, "README.md"), "utf8");
}
