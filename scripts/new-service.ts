/**
 * npm run new-service -- <name> [--port N]
 *
 * Creates services/<name> from the service template (scripts/templates/service), adds the
 * service to every stack file (Pulumi.*.yaml) keeping their comments and order, adds its Go
 * module to Dependabot, and prints the next steps. Refuses a name that is not a DNS-1123
 * label or is taken, and never overwrites a file.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, isScalar, isSeq, parseDocument, YAMLMap } from "yaml";
import { checkServiceName, defaultPort, servicesRoot } from "../components/serviceSettings";
import { checkInteger, InvalidInputError, Problems } from "../components/validation";
import { projectRoot } from "./lib/evaluate";

/** The template folder; `__SERVICE__`, `__PACKAGE__` and `__EXPORTED__` are replaced in names and contents. */
const templateRoot = path.join(__dirname, "templates", "service");

/** How edited YAML is written: the way the files are formatted by hand (and by prettier). */
const yamlOutput = { flowCollectionPadding: false } as const;

/** The config key holding a stack's services. */
const servicesKey = "go-services:services";

/** Go's keywords and predeclared identifiers a package must not be named after. */
const reservedGoNames = new Set(
    (
        "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var " +
        "any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr " +
        "append cap clear close complex copy delete imag len make max min new panic print println real recover true false iota nil main"
    ).split(" "),
);

/** What the scaffolder is asked to create. */
export interface NewServiceRequest {
    /** The service name: a DNS-1123 label. */
    readonly name: string;
    /** The port the process listens on; written to the stack files when not the default. */
    readonly port?: number;
}

/** What the scaffolder did. */
export interface NewServiceResult {
    /** Files created, relative to the project. */
    readonly created: string[];
    /** Files changed, relative to the project. */
    readonly updated: string[];
}

/** The names the template's placeholders take for a service. */
export function templateNames(name: string): { service: string; package: string; exported: string } {
    const joined = name.replace(/-/g, "");
    const goPackage = /^[a-z]/.test(joined) && !reservedGoNames.has(joined) ? joined : `svc${joined}`;
    const exported = name
        .split("-")
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join("");
    return { service: name, package: goPackage, exported };
}

function render(text: string, names: ReturnType<typeof templateNames>): string {
    return text
        .replace(/__SERVICE__/g, names.service)
        .replace(/__PACKAGE__/g, names.package)
        .replace(/__EXPORTED__/g, names.exported);
}

/** The template's files: path relative to the template folder, rendered path, rendered content. */
function renderTemplate(names: ReturnType<typeof templateNames>): { file: string; content: string }[] {
    const files: { file: string; content: string }[] = [];
    const walk = (directory: string): void => {
        for (const entry of fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const absolute = path.join(directory, entry.name);
            if (entry.isDirectory()) {
                walk(absolute);
            } else if (entry.name.endsWith(".tmpl")) {
                const relative = path.relative(templateRoot, absolute).slice(0, -".tmpl".length);
                files.push({ file: render(relative, names), content: render(fs.readFileSync(absolute, "utf8"), names) });
            }
        }
    };
    walk(templateRoot);
    return files;
}

/** The stack files of the project, sorted. */
export function stackFiles(root: string): string[] {
    return fs
        .readdirSync(root)
        .filter((file) => /^Pulumi\.[^.]+\.yaml$/.test(file))
        .sort();
}

function servicesMap(document: Document, file: string): YAMLMap {
    const services = document.getIn(["config", servicesKey], true);
    if (!isMap(services)) {
        throw new Error(`${file}: config.${servicesKey} is not a map; add the service there by hand`);
    }
    return services;
}

/** Runs at least two replicas in every service of the stack: then the new one gets two as well. */
function runsReplicated(services: YAMLMap): boolean {
    const settings = services.items.map((item) => (isMap(item.value) ? (item.value.toJSON() as Record<string, unknown>) : {}));
    const minimum = (value: Record<string, unknown>): number => {
        const autoscaling = value.autoscaling as { minReplicas?: unknown } | undefined;
        const replicas = autoscaling ? autoscaling.minReplicas : value.replicas;
        return typeof replicas === "number" ? replicas : 1;
    };
    return settings.length > 0 && settings.every((value) => minimum(value) >= 2);
}

/** The preset the stack's first service uses, so the new service matches its neighbours. */
function stackPreset(services: YAMLMap): string | undefined {
    const first = services.items[0]?.value;
    const resources = isMap(first) ? first.get("resources", true) : undefined;
    return isScalar(resources) && typeof resources.value === "string" ? resources.value : undefined;
}

/** The settings a new service gets in one stack file, following that stack's conventions. */
function newServiceSettings(services: YAMLMap, port: number | undefined): Record<string, unknown> {
    const preset = stackPreset(services);
    return {
        ...(port !== undefined && port !== defaultPort ? { port } : {}),
        ...(runsReplicated(services) ? { replicas: 2 } : {}),
        ...(preset ? { resources: preset } : {}),
    };
}

/** Checks the request against the project before anything is written. */
function checkRequest(request: NewServiceRequest, root: string, documents: Map<string, Document>): void {
    const problems = new Problems();
    const stacks = [...documents.keys()].map((file) => file.slice("Pulumi.".length, -".yaml".length));
    if (stacks.every((stack) => checkServiceName(request.name, "name", stack, problems))) {
        if (request.name === "platform") {
            problems.add("name", request.name, "is the shared platform module; choose another name");
        }
        const directory = path.join(root, servicesRoot, request.name);
        if (fs.existsSync(directory)) {
            problems.add("name", request.name, `is taken: ${path.relative(root, directory)} exists`);
        }
        for (const [file, document] of documents) {
            if (servicesMap(document, file).has(request.name)) {
                problems.add("name", request.name, `is taken: ${file} already lists it under ${servicesKey}`);
            }
        }
    }
    if (request.port !== undefined) {
        checkInteger(request.port, "--port", 1024, 65535, problems);
    }
    problems.throwIfAny(`npm run new-service -- ${request.name}`);
}

/** Adds the module directory to Dependabot's gomod entry, when the project has one. */
function addToDependabot(root: string, name: string): string | undefined {
    const file = path.join(root, ".github", "dependabot.yml");
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    const updates = document.get("updates", true);
    const gomod = isSeq(updates) ? updates.items.find((item) => isMap(item) && item.get("package-ecosystem") === "gomod") : undefined;
    const directories = isMap(gomod) ? gomod.get("directories", true) : undefined;
    if (!isSeq(directories)) {
        return undefined;
    }
    directories.add(`/${servicesRoot}/${name}`);
    fs.writeFileSync(file, document.toString(yamlOutput));
    return path.relative(root, file);
}

/**
 * Creates the service. Everything is checked first; files are created with the exclusive
 * flag, so an existing file is never overwritten.
 */
export function createService(request: NewServiceRequest, root: string = projectRoot): NewServiceResult {
    const documents = new Map(stackFiles(root).map((file) => [file, parseDocument(fs.readFileSync(path.join(root, file), "utf8"))]));
    checkRequest(request, root, documents);

    const names = templateNames(request.name);
    const directory = path.join(root, servicesRoot, request.name);
    const created: string[] = [];
    for (const { file, content } of renderTemplate(names)) {
        const target = path.join(directory, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content, { flag: "wx" });
        created.push(path.relative(root, target));
    }
    const updated: string[] = [];
    for (const [file, document] of documents) {
        const services = servicesMap(document, file);
        services.set(request.name, document.createNode(newServiceSettings(services, request.port)));
        fs.writeFileSync(path.join(root, file), document.toString(yamlOutput));
        updated.push(file);
    }
    const dependabot = addToDependabot(root, request.name);
    if (dependabot) {
        updated.push(dependabot);
    }
    return { created, updated };
}

function parseArguments(args: readonly string[]): NewServiceRequest {
    const [name, ...rest] = args;
    if (name === undefined || name.startsWith("-")) {
        throw new Error("usage: npm run new-service -- <name> [--port N]");
    }
    if (rest.length === 0) {
        return { name };
    }
    if (rest[0] !== "--port" || rest.length !== 2) {
        throw new Error(`unexpected arguments: ${rest.join(" ")}; usage: npm run new-service -- <name> [--port N]`);
    }
    return { name, port: Number(rest[1]) };
}

function main(args: readonly string[]): void {
    const request = parseArguments(args);
    const result = createService(request);
    console.log(`Created ${servicesRoot}/${request.name}:`);
    result.created.forEach((file) => console.log(`  ${file}`));
    console.log(`Added ${request.name} to: ${result.updated.join(", ")}`);
    console.log(`
Next steps:
  bash scripts/go-check ${servicesRoot}/${request.name}      # its Go tests
  npm run synth -- --stack dev                   # what dev would deploy
  write the real handler in ${servicesRoot}/${request.name}/internal/${templateNames(request.name).package}/, and keep
  ${servicesRoot}/${request.name}/smoke.path pointing at a request that answers 200
  review the stack files (replicas, resources, network) and open a pull request`);
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (error) {
        console.error(error instanceof InvalidInputError || error instanceof Error ? error.message : error);
        process.exitCode = 1;
    }
}
