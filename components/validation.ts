/**
 * The building blocks of the configuration schema (zod v4) and the one formatter that turns
 * zod's issues into this project's errors: the key path as `pulumi config set --path` spells
 * it (or the component argument path), the value as given (secrets hidden), what is allowed,
 * and "did you mean" for a misspelt key. Every field schema states what it allows once, in
 * its `allowed` metadata; the errors, the stack files' JSON Schema and the README tables read
 * it from there.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi";
import { z } from "zod";
import { parseQuantity, quantityPattern } from "./quantity";

declare module "zod" {
    interface GlobalMeta {
        /** What the key accepts, phrased to follow the key: "must be an integer from 1 to 50". */
        allowed?: string;
        /** The value is a secret (or names one): errors never show it. */
        secret?: boolean;
    }
}

/** A bad input: where it is, what it was, what is allowed. */
export interface Problem {
    /** Where the value lives: a stack config key path or a component argument path. */
    readonly path: string;
    /** The value as given, rendered for a human. */
    readonly value: string;
    /** What would have been accepted. */
    readonly allowed: string;
}

/**
 * Thrown when input is rejected; `problems` lists every bad value, not only the first.
 * A RunError, so `pulumi up` prints the message without a stack trace.
 */
export class InvalidInputError extends RunError {
    constructor(
        readonly subject: string,
        readonly problems: readonly Problem[],
    ) {
        super(
            `${subject}: ${problems.length} invalid value${problems.length === 1 ? "" : "s"}\n` +
                problems.map((p) => `  - ${p.path} = ${p.value}: ${p.allowed}`).join("\n"),
        );
        this.name = "InvalidInputError";
    }
}

/** Collects problems so a user sees all of them in one run. */
export class Problems {
    private readonly found: Problem[] = [];

    /** Records that the value at `path` is not allowed. */
    add(path: string, value: unknown, allowed: string): void {
        this.found.push({ path, value: describeValue(value), allowed });
    }

    /** How many problems have been reported so far. */
    get count(): number {
        return this.found.length;
    }

    /** True when a problem was reported at `path` or under it. */
    has(path: string): boolean {
        return this.found.some((problem) => problem.path === path || problem.path.startsWith(`${path}.`) || problem.path.startsWith(`${path}[`));
    }

    /**
     * Returns `value` when nothing was reported; otherwise throws an {@link InvalidInputError}
     * listing every problem. Checks report a problem whenever they yield no value.
     */
    valueOrThrow<T>(subject: string, value: T | undefined): T {
        if (this.found.length > 0 || value === undefined) {
            throw new InvalidInputError(subject, this.found);
        }
        return value;
    }

    /** Throws an {@link InvalidInputError} listing every problem, if there is one. */
    throwIfAny(subject: string): void {
        if (this.found.length > 0) {
            throw new InvalidInputError(subject, this.found);
        }
    }
}

/** Stands for a value that must not appear in an error message. */
export const hiddenSecret: unique symbol = Symbol("hidden secret");

/** Renders a value for an error message; long values are cut so a message stays one line. */
export function describeValue(value: unknown): string {
    if (value === undefined) {
        return "(missing)";
    }
    if (value === hiddenSecret) {
        return "(secret, not shown)";
    }
    // JSON.stringify gives undefined for functions and symbols; nothing from a stack file is either.
    const text = (JSON.stringify(value) as string | undefined) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A plain object as parsed from YAML/JSON. */
export type PlainObject = Record<string, unknown>;

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is PlainObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Appends a key to a path. A path ending in ":" is a config namespace ("go-services:"), so
 * the key follows directly, giving the key as `pulumi config set --path` spells it.
 */
export function joinPath(path: string, key: string | number): string {
    if (typeof key === "number") {
        return `${path}[${key}]`;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(key)) {
        return `${path}["${key}"]`;
    }
    return path.endsWith(":") ? `${path}${key}` : `${path}.${key}`;
}

/** The allowed key closest to `key` when it is close enough to be a typo. */
export function closestKey(key: string, allowedKeys: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of allowedKeys) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 0; i < a.length; i++) {
        const current = [i + 1];
        for (let j = 0; j < b.length; j++) {
            const substitution = (previous[j] ?? 0) + (a.charAt(i) === b.charAt(j) ? 0 : 1);
            current.push(Math.min((previous[j + 1] ?? 0) + 1, (current[j] ?? 0) + 1, substitution));
        }
        previous = current;
    }
    return previous[b.length] ?? 0;
}

/** The message of an unknown key: the closest known key, and every known one. */
export function unknownKeyMessage(key: string, knownKeys: readonly string[], extra = ""): string {
    const hint = closestKey(key, knownKeys);
    return `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys: ${knownKeys.join(", ")}${extra}`;
}

// ---------------------------------------------------------------------------------------------
// From zod's issues to problems.

type RawIssue = z.core.$ZodRawIssue;

/** What the formatter adds to an issue while zod finalises it (a raw issue may carry extra keys). */
interface IssueExtras {
    /** The keys of the strict object that found unknown keys. */
    knownKeys?: string[];
    /** The value is a secret. */
    secret?: boolean;
}

function metaOf(schema: z.core.$ZodType | undefined): z.core.GlobalMeta | undefined {
    return schema === undefined ? undefined : z.globalRegistry.get(schema);
}

/** The object schema's keys, for "allowed keys" and "did you mean". */
function shapeKeys(schema: z.core.$ZodType | z.core.$ZodCheck | undefined): string[] {
    const def = schema?._zod.def as { shape?: Record<string, unknown> } | undefined;
    return Object.keys(def?.shape ?? {});
}

/**
 * zod's error map, called once per issue with the schema that owns it: the message is the
 * schema's `allowed` text; the issue also learns whether its value is secret and, for unknown
 * keys, which keys are known.
 */
function issueMessage(issue: RawIssue): string | undefined {
    const extras = issue as RawIssue & IssueExtras;
    const meta = metaOf(issue.schema);
    if (meta?.secret) {
        extras.secret = true;
    }
    if (issue.code === "unrecognized_keys") {
        extras.knownKeys = shapeKeys(issue.inst);
        return "unknown key";
    }
    if (meta?.allowed !== undefined) {
        return meta.allowed;
    }
    const type = issue.schema?._zod.def.type;
    if (type === "object") {
        return `must be a map with keys from: ${shapeKeys(issue.schema).join(", ")}`;
    }
    if (type === "array" || type === "record") {
        return type === "array" ? "must be a list" : "must be a map";
    }
    return issue.code === "invalid_type" ? `must be of type ${issue.expected}` : undefined;
}

type Issue = z.core.$ZodIssue & IssueExtras;

function pathOf(base: string, keys: readonly PropertyKey[]): string {
    return keys.reduce<string>((path, key) => joinPath(path, typeof key === "number" ? key : String(key)), base);
}

/** Reports one finalised issue (and, for a union, the issues of the option the value was meant for). */
function reportIssue(issue: Issue, base: string, problems: Problems): void {
    const path = pathOf(base, issue.path);
    const value = issue.secret ? hiddenSecret : issue.input;
    switch (issue.code) {
        case "unrecognized_keys": {
            const input = isPlainObject(issue.input) ? issue.input : {};
            for (const key of issue.keys) {
                problems.add(joinPath(path, key), issue.secret ? hiddenSecret : input[key], unknownKeyMessage(key, issue.knownKeys ?? []));
            }
            return;
        }
        case "invalid_key":
            problems.add(path, value, issue.issues[0]?.message ?? issue.message);
            return;
        case "invalid_union": {
            if (issue.discriminator !== undefined && "options" in issue && issue.options !== undefined) {
                const input = isPlainObject(issue.input) ? issue.input[issue.discriminator] : issue.input;
                problems.add(path, input, `must be one of: ${issue.options.join(", ")}`);
                return;
            }
            const meant = optionMeant(issue.errors);
            if (meant) {
                for (const nested of meant) {
                    reportIssue({ ...nested, path: [...issue.path, ...nested.path] }, base, problems);
                }
                return;
            }
            problems.add(path, value, issue.message);
            return;
        }
        default:
            problems.add(path, value, issue.message);
    }
}

/**
 * The issues of the union option a value was meant for: of the options whose type it has
 * (their issues are not all a mismatch of the value's own type), the one with the fewest issues,
 * when there is exactly one such.
 */
function optionMeant(options: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
    const typed = options.filter(
        (issues) => !issues.every((issue) => issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "invalid_value")),
    );
    const fewest = Math.min(...typed.map((issues) => issues.length));
    const candidates = typed.filter((issues) => issues.length === fewest);
    return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Parses `raw` with `schema`; reports every issue under `path` and returns undefined when there
 * is one. `path` is a config namespace ("go-services:"), a key path or a component's subject.
 */
export function parseInto<S extends z.ZodType>(schema: S, raw: unknown, path: string, problems: Problems): z.output<S> | undefined {
    const result = schema.safeParse(raw, { error: issueMessage, reportInput: true });
    if (result.success) {
        return result.data;
    }
    for (const issue of result.error.issues) {
        reportIssue(issue, path, problems);
    }
    return undefined;
}

/**
 * A rule over several fields of an object, run only once the fields it reads are valid, so
 * one mistake gives one message. `report` names a field of the object (or a path below it).
 */
export function crossField<T>(
    fields: readonly string[],
    rule: (value: T, report: (at: PropertyKey | PropertyKey[], input: unknown, allowed: string) => void) => void,
): z.core.$ZodCheck<T> {
    return z.superRefine<T>(
        (value, context) =>
            rule(value, (at, input, allowed) =>
                context.addIssue({
                    code: "custom",
                    path: Array.isArray(at) ? at : [at],
                    input: input === hiddenSecret ? undefined : input,
                    message: allowed,
                    ...(input === hiddenSecret ? { secret: true } : {}),
                }),
            ),
        {
            // Not when the value is not even an object, nor when a field it reads is invalid.
            when: (payload) =>
                !payload.issues.some((issue) =>
                    issue.path === undefined || issue.path.length === 0 ? issue.code === "invalid_type" : fields.includes(String(issue.path[0])),
                ),
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Field schemas: each states what it allows once.

/** A schema that accepts what `allowed` says; the text is its error message and its documentation. */
export function allowing<S extends z.ZodType>(schema: S, allowed: string): S {
    return schema.meta({ allowed });
}

/** An integer within [min, max]. */
export function integer(min: number, max: number, allowed = `must be an integer from ${min} to ${max}`) {
    return allowing(z.int().min(min).max(max), allowed);
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return allowing(z.enum(values), `must be one of: ${values.join(", ")}`);
}

/** A string matching `pattern`, at most `maxLength` long. */
export function matching(pattern: RegExp, allowed: string, maxLength = 1024) {
    return allowing(z.string().max(maxLength).regex(pattern), allowed);
}

/** A boolean; stack files give top-level booleans as "true"/"false". */
export function flag() {
    return allowing(z.union([z.boolean(), z.enum(["true", "false"]).transform((text) => text === "true")]), "must be true or false");
}

/** A list of `item`s; an absent list is empty. */
export function listOf<S extends z.ZodType>(item: S, allowed: string) {
    return allowing(z.array(item), allowed).default([]);
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: what Kubernetes requires of Service, Namespace and container names. */
export function dnsLabel(maxLength = 63) {
    return matching(
        dns1123Label,
        `must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`,
        maxLength,
    );
}

const semverTag = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const gitTag = /^git-[0-9a-f]{7,40}$/;

/** What an image tag may look like; shown in errors and documentation. */
export const imageTagRule =
    "must be a version tag: semver with an optional leading 'v' (v1.4.2, 1.4.2-rc.1) or git-<7 to 40 lower-case hex digits> (git-3f9c2ab); 'latest' and other moving tags are refused because ECR tags are immutable and deployments must be reproducible";

/** An image tag: semver or git-<sha>, never a moving tag such as `latest`. */
export const imageTag = matching(new RegExp(`${semverTag.source}|${gitTag.source}`), imageTagRule, 63);

/**
 * An image repository as the OCI distribution spec names it: an optional registry host
 * (with a port), then lower-case path components separated by '/'.
 */
const registryHost = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?`;
const pathComponent = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const repositoryName = String.raw`(?:${registryHost}/)?${pathComponent}(?:/${pathComponent})*`;

/** What an image given by digest may look like; shown in errors and documentation. */
export const digestReferenceRule =
    "must be an image pinned by digest: <repository>@sha256:<64 lower-case hex digits>, e.g. ghcr.io/acme/hello@sha256:3f9c...; a tag (:v1.4.2, :latest) is refused, also next to a digest, because a tag can be moved to other content";

/** An image reference pinned by digest and nothing else: `<repository>@sha256:<64 hex>`. */
export const digestReference = matching(new RegExp(String.raw`^(${repositoryName})@sha256:[0-9a-f]{64}$`), digestReferenceRule, 512);

/** A registry URL without a scheme: `<host>[:<port>][/<path>]`, e.g. ghcr.io/acme or localhost:5001. */
export const registryUrl = matching(
    new RegExp(String.raw`^${registryHost}(?:/${pathComponent})*$`),
    "must be a registry URL without a scheme: <host>[:<port>][/<lower-case path>], e.g. ghcr.io/acme, harbor.example.com/team or localhost:5001",
    255,
);

/** A repository-relative path that stays inside the repository. */
export const relativePath = allowing(
    z
        .string()
        .min(1)
        .refine((value) => !value.startsWith("/") && !value.split(/[\\/]/).includes("..")),
    "must be a path relative to the project directory, without '..'",
);

/** An https:// URL. */
export function httpsUrl(allowed: string) {
    return matching(/^https:\/\/\S+$/, allowed);
}

/** What a quantity measures: cpu (cores) or bytes (memory, ephemeral-storage). */
export type QuantityKind = "cpu" | "bytes";

/** A positive Kubernetes quantity of the given kind, as text; YAML may give a plain number ("cpu: 1"). */
export function quantity(kind: QuantityKind) {
    const examples = kind === "cpu" ? `"250m", "1", "1.5"` : `"64Mi", "1Gi", "500M"`;
    const allowed = `must be a positive Kubernetes quantity, e.g. ${examples}`;
    return allowing(
        allowing(z.union([allowing(z.string().regex(quantityPattern), allowed), z.number()]), allowed)
            .transform((value) => value.toString())
            .refine((text) => (parseQuantity(text)?.numerator ?? 0n) > 0n),
        allowed,
    );
}

const durationPattern = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Seconds in a Prometheus duration of hours, minutes and seconds ("1h30m"), or undefined for anything else. */
export function durationSeconds(value: unknown): number | undefined {
    const match = typeof value === "string" ? durationPattern.exec(value) : null;
    if (!match) {
        return undefined;
    }
    const unit = (part: string | undefined) => (part ? parseInt(part, 10) : 0);
    return unit(match[1]) * 3600 + unit(match[2]) * 60 + unit(match[3]);
}

/** A duration of hours, minutes and seconds ("3m", "1h30m", "90s") within [min, max] seconds; `range` says so in words. */
export function duration(minSeconds: number, maxSeconds: number, range: string) {
    return allowing(
        z
            .string()
            .regex(durationPattern)
            .refine((text) => {
                const seconds = durationSeconds(text) ?? -1;
                return seconds >= minSeconds && seconds <= maxSeconds;
            }),
        `must be a duration of hours, minutes and seconds from ${range}, e.g. "3m", "1h30m" or "90s"`,
    );
}

/** A number above 0 and below (or at most) `max`. */
export function ratio(max: number, inclusive: boolean, example = "0.05 for 5%") {
    const number = z.number().gt(0);
    return allowing(inclusive ? number.lte(max) : number.lt(max), `must be a number above 0 and ${inclusive ? "at most" : "below"} ${max}, e.g. ${example}`);
}

/** Kubernetes label names and values, which the selector and dashboard labels are on the objects. */
const kubernetesLabelName = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const kubernetesLabelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** A map of Kubernetes label name to value, outside app.kubernetes.io/ (go-services sets those). */
export const labels = allowing(
    z.record(
        allowing(
            z
                .string()
                .regex(kubernetesLabelName)
                .refine((name) => !name.startsWith("app.kubernetes.io/")),
            "must have a Kubernetes label name ([prefix/]name, 63 characters at most) outside app.kubernetes.io/, which go-services sets",
        ),
        matching(
            kubernetesLabelValue,
            "must be a Kubernetes label value: a string of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            63,
        ),
    ),
    "must be a map of Kubernetes label name to value",
);

/**
 * A secret: a Pulumi secret in TypeScript; in a stack file the name of a secret config key
 * (`pulumi config set --secret <key> <value>`), checked by config.ts. Never shown in an error.
 */
export function secretValue(allowed: string) {
    return allowing(
        z.custom<pulumi.Input<string>>((value) => value !== null && value !== undefined),
        allowed,
    ).meta({ secret: true });
}

// ---------------------------------------------------------------------------------------------
// Single-field checks for code that checks one value outside a schema.

function checker<S extends z.ZodType>(schema: S) {
    return (value: unknown, path: string, problems: Problems): value is z.output<S> => parseInto(schema, value, path, problems) !== undefined;
}

/** Checks an image tag (semver or git-<sha>). */
export const checkImageTag = checker(imageTag);
/** Checks an image reference pinned by digest. */
export const checkDigestReference = checker(digestReference);
/** Checks a registry URL. */
export const checkRegistryUrl = checker(registryUrl);

/** The DNS-label schemas of each length checked so far: built once, not once per service. */
const dnsLabels = new Map<number, ReturnType<typeof dnsLabel>>();

/** Checks a DNS-1123 label of at most `maxLength` characters. */
export function checkDnsLabel(value: unknown, path: string, problems: Problems, maxLength = 63): value is string {
    const schema = dnsLabels.get(maxLength) ?? dnsLabel(maxLength);
    dnsLabels.set(maxLength, schema);
    return parseInto(schema, value, path, problems) !== undefined;
}

/** Checks an integer within [min, max]. */
export function checkInteger(value: unknown, path: string, min: number, max: number, problems: Problems): value is number {
    return parseInto(integer(min, max), value, path, problems) !== undefined;
}

/** Checks that `value` is a map whose keys are all in `allowedKeys`. */
export function checkObject(value: unknown, path: string, allowedKeys: readonly string[], problems: Problems): PlainObject | undefined {
    return parseInto(z.strictObject(Object.fromEntries(allowedKeys.map((key) => [key, z.unknown()]))), value, path, problems);
}

/** The repository of a digest reference: everything before the '@'. */
export function repositoryOf(reference: string): string {
    return reference.slice(0, reference.indexOf("@"));
}

/** The commit the tag was built from when the tag names one (git-<sha>). */
export function commitFromTag(tag: string): string | undefined {
    return gitTag.test(tag) ? tag.slice("git-".length) : undefined;
}
