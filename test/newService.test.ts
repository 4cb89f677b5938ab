/**
 * npm run new-service: scaffolding into a temporary copy of the repository, then the new
 * service's Go tests pass and the synthesized stacks deploy it hardened like the others.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluatePolicies } from "../policy/evaluate";
import { Evaluation, evaluateStack, projectRoot } from "../scripts/lib/evaluate";
import { createService, stackFiles, templateNames } from "../scripts/new-service";
import { synthesize } from "../scripts/synth";
import { InvalidInputError } from "../components/validation";
import { at, resource } from "./support/fixtures";

/** What a scaffolded project needs: stack files, services, the Dockerfile and Dependabot's config. */
function copyProject(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "new-service-"));
    for (const entry of [...stackFiles(projectRoot), "services", "docker", ".github"]) {
        fs.cpSync(path.join(projectRoot, entry), path.join(root, entry), { recursive: true });
    }
    return root;
}

/** Every file under a directory with its content, for "nothing changed" checks. */
function snapshot(root: string): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (directory: string): void => {
        for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
            const absolute = path.join(directory, entry.name);
            if (entry.isDirectory()) {
                walk(absolute);
            } else {
                files.set(path.relative(root, absolute), fs.readFileSync(absolute, "utf8"));
            }
        }
    };
    walk(root);
    return files;
}

function deploymentOf(evaluation: Evaluation, name: string): unknown {
    return resource(evaluation, "kubernetes:apps/v1:Deployment", name).state;
}

describe("npm run new-service", function () {
    this.timeout(180000);
    let root: string;
    let original: Map<string, string>;

    before(() => {
        root = copyProject();
        original = snapshot(root);
        createService({ name: "billing-api", port: 9000 }, root);
    });

    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("names the Go package, test and placeholders from the service name", () => {
        assert.deepStrictEqual(templateNames("billing-api"), { service: "billing-api", package: "billingapi", exported: "BillingApi" });
        assert.strictEqual(templateNames("2fa").package, "svc2fa");
        assert.strictEqual(templateNames("map").package, "svcmap");
    });

    it("creates the service from the template, with no placeholder left", () => {
        const created = [...snapshot(root).keys()].filter((file) => !original.has(file)).sort();
        assert.deepStrictEqual(created, [
            "services/billing-api/cmd/billing-api/main.go",
            "services/billing-api/cmd/billing-api/main_test.go",
            "services/billing-api/go.mod",
            "services/billing-api/go.sum",
            "services/billing-api/internal/billingapi/billingapi.go",
            "services/billing-api/internal/billingapi/billingapi_test.go",
            "services/billing-api/smoke.path",
        ]);
        for (const file of created) {
            assert.ok(!fs.readFileSync(path.join(root, file), "utf8").includes("__"), `${file} keeps a placeholder`);
        }
    });

    it("gives a Go module whose tests pass, gofmt- and vet-clean", () => {
        const cwd = path.join(root, "services", "billing-api");
        const env = { ...process.env, GOFLAGS: "-mod=readonly", GOTOOLCHAIN: "local" };
        assert.strictEqual(execFileSync("gofmt", ["-l", "."], { cwd, encoding: "utf8" }), "");
        execFileSync("go", ["vet", "./..."], { cwd, env, stdio: "pipe" });
        const test = spawnSync("go", ["test", "./..."], { cwd, env, encoding: "utf8" });
        assert.strictEqual(test.status, 0, `${test.stdout}${test.stderr}`);
    });

    it("adds the service to every stack file, keeping every line that was there", () => {
        for (const file of stackFiles(root)) {
            const old = original.get(file) ?? "";
            const edited = fs.readFileSync(path.join(root, file), "utf8");
            assert.ok(edited.startsWith(old.trimEnd()), `${file}: existing lines changed or moved`);
            assert.match(edited.slice(old.trimEnd().length), /^\n {4}billing-api:\n {6}port: 9000\n/, file);
        }
        assert.match(fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"), /billing-api:\n {6}port: 9000\n {6}replicas: 2\n {6}resources: small\n$/);
        assert.match(fs.readFileSync(path.join(root, ".github", "dependabot.yml"), "utf8"), /- \/services\/quotes\n {6}- \/services\/billing-api\n/);
    });

    it("deploys it in dev and prod hardened exactly like hello, and the policy pack passes", async () => {
        for (const stack of ["dev", "prod"]) {
            const evaluation = await evaluateStack(stack, { root });
            const hello = deploymentOf(evaluation, "hello");
            const billing = deploymentOf(evaluation, "billing-api");
            for (const keys of [
                ["spec", "template", "spec", "securityContext"],
                ["spec", "template", "spec", "containers", 0, "securityContext"],
                ["spec", "template", "spec", "automountServiceAccountToken"],
                ["spec", "strategy"],
            ]) {
                assert.deepStrictEqual(at(billing, ...keys), at(hello, ...keys), `${stack}: ${keys.join(".")}`);
            }
            assert.strictEqual(at(billing, "spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"), 9000);
            const views = evaluation.resources.filter((r) => r.custom).map(({ type, name, state }) => ({ type, name, props: state }));
            assert.deepStrictEqual(evaluatePolicies(views), [], stack);
        }
    });

    it("appears in the synthesized manifests", async () => {
        const files = await synthesize("prod", root);
        for (const file of ["10-serviceaccount", "40-service", "50-networkpolicy", "60-deployment", "70-poddisruptionbudget"]) {
            assert.ok(files.has(`${file}-go-services.billing-api.yaml`), file);
        }
    });

    for (const [what, request, message] of [
        ["a name that is not a DNS-1123 label", { name: "Billing_API" }, /name = "Billing_API": must be a DNS-1123 label/],
        ["a name that is taken", { name: "hello" }, /name = "hello": is taken: services\/hello exists/],
        ["the platform module's name", { name: "platform" }, /is the shared platform module/],
        ["a port a non-root process cannot bind", { name: "ledger", port: 80 }, /--port = 80: must be an integer from 1024 to 65535/],
    ] as const) {
        it(`refuses ${what}, writing nothing`, () => {
            const current = snapshot(root);
            assert.throws(
                () => createService(request, root),
                (error: unknown) => error instanceof InvalidInputError && message.test(error.message),
            );
            assert.deepStrictEqual(snapshot(root), current);
        });
    }

    it("refuses a name already listed in a stack file even without its folder", () => {
        fs.rmSync(path.join(root, "services", "billing-api"), { recursive: true });
        assert.throws(() => createService({ name: "billing-api" }, root), /Pulumi\.dev\.yaml already lists it/);
    });
});
