/**
 * The Go toolchain is one decision: every Go module of ours names the same patched release in
 * its `toolchain` line, and the Dockerfile's builder image carries exactly that release.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { goldenDockerfile } from "../components/serviceSettings";
import { projectRoot } from "../scripts/lib/evaluate";

/** The go.mod files whose code is ours, relative to the root: what ships, and what the tests build. */
function ourGoModules(root: string): string[] {
    const services = fs
        .readdirSync(path.join(root, "services"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, "services", entry.name, "go.mod")))
        .map((entry) => path.join("services", entry.name, "go.mod"));
    return [...services, "scripts/templates/service/go.mod.tmpl", "tools/pause/go.mod", "test/fixtures/vulnerable/go.mod", "test/fixtures/faulty/go.mod"];
}

/** The `toolchain goX.Y.Z` of a go.mod, or undefined. */
function toolchainOf(file: string): string | undefined {
    return /^toolchain (go\d+\.\d+\.\d+)$/m.exec(fs.readFileSync(file, "utf8"))?.[1];
}

/** The Go release of the golang image the Dockerfile's default-go-image stage starts from. */
function dockerfileGo(root: string): string | undefined {
    const dockerfile = fs.readFileSync(path.join(root, goldenDockerfile), "utf8");
    const from = /^FROM\s+(?:--platform=\S+\s+)?golang:(\d+\.\d+\.\d+)-[\w.-]+(?:@sha256:[0-9a-f]{64})?\s+AS\s+default-go-image\s*$/m.exec(dockerfile);
    return from?.[1] === undefined ? undefined : `go${from[1]}`;
}

/** Every disagreement with the platform module's toolchain line, one line each; empty when there is none. */
function toolchainMismatches(root: string): string[] {
    const wanted = toolchainOf(path.join(root, "services", "platform", "go.mod"));
    if (wanted === undefined) {
        return ["services/platform/go.mod has no `toolchain goX.Y.Z` line"];
    }
    const problems = ourGoModules(root).flatMap((file) => {
        const found = toolchainOf(path.join(root, file));
        return found === wanted ? [] : [`${file}: toolchain ${found ?? "(none)"}, not ${wanted}`];
    });
    const image = dockerfileGo(root);
    if (image !== wanted) {
        problems.push(`${goldenDockerfile}: default-go-image is golang ${image ?? "(no golang:X.Y.Z-... tag)"}, not ${wanted}`);
    }
    return problems;
}

describe("the Go toolchain", () => {
    it("is the same patched release in every go.mod of ours and in the Dockerfile's builder image", () => {
        assert.deepStrictEqual(toolchainMismatches(projectRoot), []);
    });

    it("is a full release, go1.MINOR.PATCH, not a language version", () => {
        assert.match(toolchainOf(path.join(projectRoot, "services", "platform", "go.mod")) ?? "", /^go1\.\d+\.\d+$/);
    });

    it("fails the check when the Dockerfile's golang image moves without the go.mod files", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "go-toolchain-"));
        try {
            for (const entry of ["services", "scripts/templates", "tools/pause", "test/fixtures/vulnerable", "test/fixtures/faulty", "docker"]) {
                fs.cpSync(path.join(projectRoot, entry), path.join(root, entry), { recursive: true });
            }
            const dockerfile = path.join(root, goldenDockerfile);
            const wanted = toolchainOf(path.join(root, "services", "platform", "go.mod")) ?? "";
            const next = wanted.replace(/\d+$/, (patch) => String(Number(patch) + 1));
            const moved = fs
                .readFileSync(dockerfile, "utf8")
                .replace(/^(FROM .*golang:)[\d.]+(-.* AS default-go-image)$/m, (_line, start: string, end: string) => `${start}${next.slice(2)}${end}`);
            fs.writeFileSync(dockerfile, moved);
            assert.deepStrictEqual(toolchainMismatches(root), [`${goldenDockerfile}: default-go-image is golang ${next}, not ${wanted}`]);

            const template = path.join(root, "scripts", "templates", "service", "go.mod.tmpl");
            fs.writeFileSync(template, fs.readFileSync(template, "utf8").replace(/^toolchain .*\n/m, ""));
            assert.ok(toolchainMismatches(root).includes(`scripts/templates/service/go.mod.tmpl: toolchain (none), not ${wanted}`));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("is the Go release GitHub's setup-go action installs", () => {
        const action = parse(fs.readFileSync(path.join(projectRoot, ".github", "actions", "setup-go", "action.yml"), "utf8")) as {
            runs: { steps: { id?: string; run?: string; with?: Record<string, string> }[] };
        };
        const read = action.runs.steps.find((step) => step.id === "version");
        assert.ok(read?.run, "the action has a step with id version that runs a script");
        const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "setup-go-")), "output");
        try {
            execFileSync("bash", ["-c", read.run], { cwd: projectRoot, env: { ...process.env, GITHUB_OUTPUT: output } });
            const version = toolchainOf(path.join(projectRoot, "services", "platform", "go.mod"))?.slice(2);
            assert.strictEqual(fs.readFileSync(output, "utf8"), `go-version=${version}\n`);
        } finally {
            fs.rmSync(path.dirname(output), { recursive: true, force: true });
        }
        const setup = action.runs.steps.find((step) => step.with?.["go-version"] !== undefined);
        assert.strictEqual(setup?.with?.["go-version"], "${{ steps.version.outputs.go-version }}");
        assert.strictEqual(setup.with["check-latest"], undefined, "no newer patch than the toolchain line");
    });
});
