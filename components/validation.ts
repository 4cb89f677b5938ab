/**
 * Field checks shared by the stack config reader (config.ts) and the GoService
 * component (goService.ts). Every check reports through {@link Problems} with the
 * path of the value it looked at, so one rule produces "go-services:services.hello.port"
 * for a stack file and "GoService hello: port" for a TypeScript caller.
 */
import { RunError } from "@pulumi/pulumi";
import { parseQuantity, Quantity } from "./quantity";

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
 * Checks that `value` is an object whose keys are all in `allowedKeys`. A key that is
 * not known is reported with the closest known key, because an unknown key is almost
 * always a typo that would otherwise be silently ignored.
 */
export function checkObject(value: unknown, path: string, allowedKeys: readonly string[], problems: Problems): PlainObject | undefined {
    if (!isPlainObject(value)) {
        problems.add(path, value, `must be a map with keys from: ${allowedKeys.join(", ")}`);
        return undefined;
    }
    for (const key of Object.keys(value)) {
        if (!allowedKeys.includes(key)) {
            const hint = closestKey(key, allowedKeys);
            problems.add(joinPath(path, key), value[key], `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys: ${allowedKeys.join(", ")}`);
        }
    }
    return value;
}

/**
 * A list whose every item passes `item` (which reports what is wrong with an item and
 * returns undefined for it). An absent list is empty. Returns undefined when the value is
 * not a list or any item was bad.
 */
export function checkList<T>(
    value: unknown,
    path: string,
    expected: string,
    item: (value: unknown, path: string) => T | undefined,
    problems: Problems,
): T[] | undefined {
    if (value === undefined) {
        return [];
    }
    if (!Array.isArray(value)) {
        problems.add(path, value, `must be a list of ${expected}`);
        return undefined;
    }
    const before = problems.count;
    const items = value.map((entry: unknown, index) => item(entry, `${path}[${index}]`));
    return problems.count > before ? undefined : items.filter((entry): entry is T => entry !== undefined);
}

/**
 * Appends a key to a path. A path ending in ":" is a config namespace ("go-services:"), so
 * the key follows directly, giving the key as `pulumi config set --path` spells it.
 */
export function joinPath(path: string, key: string): string {
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

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: what Kubernetes requires of Service, Namespace and container names. */
export function checkDnsLabel(value: unknown, path: string, problems: Problems, maxLength = 63): value is string {
    if (typeof value !== "string" || value.length > maxLength || !dns1123Label.test(value)) {
        problems.add(
            path,
            value,
            `must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`,
        );
        return false;
    }
    return true;
}

const semverTag = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const gitTag = /^git-[0-9a-f]{7,40}$/;

/** What an image tag may look like; shown in errors and documentation. */
export const imageTagRule =
    "must be a version tag: semver with an optional leading 'v' (v1.4.2, 1.4.2-rc.1) or git-<7 to 40 lower-case hex digits> (git-3f9c2ab); 'latest' and other moving tags are refused because ECR tags are immutable and deployments must be reproducible";

/** An image tag: semver or git-<sha>, never a moving tag such as `latest`. */
export function checkImageTag(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || value.length > 63 || !(semverTag.test(value) || gitTag.test(value))) {
        problems.add(path, value, imageTagRule);
        return false;
    }
    return true;
}

/**
 * An image repository as the OCI distribution spec names it: an optional registry host
 * (with a port), then lower-case path components separated by '/'.
 */
const registryHost = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?`;
const pathComponent = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const repositoryName = String.raw`(?:${registryHost}/)?${pathComponent}(?:/${pathComponent})*`;
const digestReference = new RegExp(String.raw`^(${repositoryName})@sha256:[0-9a-f]{64}$`);
const registryUrl = new RegExp(String.raw`^${registryHost}(?:/${pathComponent})*$`);

/** What an image given by digest may look like; shown in errors and documentation. */
export const digestReferenceRule =
    "must be an image pinned by digest: <repository>@sha256:<64 lower-case hex digits>, e.g. ghcr.io/acme/hello@sha256:3f9c...; a tag (:v1.4.2, :latest) is refused, also next to a digest, because a tag can be moved to other content";

/** An image reference pinned by digest and nothing else: `<repository>@sha256:<64 hex>`. */
export function checkDigestReference(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || value.length > 512 || !digestReference.test(value)) {
        problems.add(path, value, digestReferenceRule);
        return false;
    }
    return true;
}

/** The repository of a digest reference checked by {@link checkDigestReference}: everything before the '@'. */
export function repositoryOf(reference: string): string {
    return reference.slice(0, reference.indexOf("@"));
}

/** A registry URL without a scheme: `<host>[:<port>][/<path>]`, e.g. ghcr.io/acme or localhost:5001. */
export function checkRegistryUrl(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || value.length > 255 || !registryUrl.test(value)) {
        problems.add(
            path,
            value,
            "must be a registry URL without a scheme: <host>[:<port>][/<lower-case path>], e.g. ghcr.io/acme, harbor.example.com/team or localhost:5001",
        );
        return false;
    }
    return true;
}

/** The commit the tag was built from when the tag names one (git-<sha>). */
export function commitFromTag(tag: string): string | undefined {
    return gitTag.test(tag) ? tag.slice("git-".length) : undefined;
}

/** A git commit id: 7 to 40 lower-case hex digits. */
export function checkCommit(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || !/^[0-9a-f]{7,40}$/.test(value)) {
        problems.add(path, value, "must be a git commit id: 7 to 40 lower-case hex digits");
        return false;
    }
    return true;
}

/** An integer within [min, max]. */
export function checkInteger(value: unknown, path: string, min: number, max: number, problems: Problems): value is number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        problems.add(path, value, `must be an integer from ${min} to ${max}`);
        return false;
    }
    return true;
}

/** A boolean; stack files give booleans either as YAML booleans or as "true"/"false". */
export function checkBoolean(value: unknown, path: string, problems: Problems): boolean | undefined {
    if (typeof value === "boolean") {
        return value;
    }
    if (value === "true" || value === "false") {
        return value === "true";
    }
    problems.add(path, value, "must be true or false");
    return undefined;
}

/** One of a fixed set of strings. */
export function checkOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], problems: Problems): value is T {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
        problems.add(path, value, `must be one of: ${allowed.join(", ")}`);
        return false;
    }
    return true;
}

/** What a quantity measures: cpu (cores) or bytes (memory, ephemeral-storage). */
export type QuantityKind = "cpu" | "bytes";

/** A Kubernetes quantity as written and as an exact value. */
export interface CheckedQuantity {
    readonly text: string;
    readonly quantity: Quantity;
}

/** A positive Kubernetes quantity of the given kind; YAML may give a plain number ("cpu: 1"). */
export function checkQuantity(value: unknown, path: string, kind: QuantityKind, problems: Problems): CheckedQuantity | undefined {
    const text = typeof value === "number" ? value.toString() : typeof value === "string" ? value : undefined;
    const parsed = text === undefined ? undefined : parseQuantity(text);
    if (text === undefined || parsed === undefined || parsed.numerator <= 0n) {
        const examples = kind === "cpu" ? `"250m", "1", "1.5"` : `"64Mi", "1Gi", "500M"`;
        problems.add(path, value, `must be a positive Kubernetes quantity, e.g. ${examples}`);
        return undefined;
    }
    return { text, quantity: parsed };
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An environment variable name that is portable to every shell and runtime. */
export function checkEnvName(name: string, path: string, problems: Problems): boolean {
    if (!envName.test(name)) {
        problems.add(path, name, "must be an environment variable name: letters, digits and '_', not starting with a digit");
        return false;
    }
    return true;
}

/** A repository-relative path that stays inside the repository. */
export function checkRelativePath(value: unknown, path: string, problems: Problems): value is string {
    if (typeof value !== "string" || value.length === 0 || value.startsWith("/") || value.split(/[\\/]/).some((segment) => segment === "..")) {
        problems.add(path, value, "must be a path relative to the project directory, without '..'");
        return false;
    }
    return true;
}
