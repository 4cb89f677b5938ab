/**
 * The Node.js language host under the real engine honours Pulumi.yaml's `runtime.options`.
 * The CLI of tools/pulumi hands them to a host only inside its RPCs, which the v3.68.0 host of
 * tools/pulumi-language-nodejs ignores; the launcher that `scripts/build-tools pulumi` installs
 * as the CLI's bundled host passes them as the host's flags
 * (tools/pulumi-language-nodejs/launcher). A preview of a rendered stack (no cluster is
 * touched) is watched through /proc: the program's node must run with the project's nodeargs,
 * and ts-node must not be registered by the SDK unless `typescript` is true. And an option the
 * host cannot honour stops the launcher, rather than running the program some other way.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runChecked } from "../../scripts/lib/command";
import { createStack, EngineSandbox, openSandbox, renderedStackConfig } from "../../scripts/lib/engine";
import { projectRoot } from "../../scripts/lib/evaluate";
import { readProgramRuntime } from "../../scripts/lib/programRuntime";

/** The SDK's entry point, which the host resolves (`node -e ...`, also matched by name) and then runs the program with. */
const programEntry = "@pulumi/pulumi/cmd/run";

/** An argument naming the resolved entry point: what identifies the program's node. */
const isProgramEntry = (arg: string): boolean => path.isAbsolute(arg) && arg.includes(`/node_modules/${programEntry}`);

/** How long a preview may take to start the program on a busy machine. */
const programStartMs = 3 * 60_000;

/** A running process as /proc shows it. */
interface ProcessView {
    readonly pid: number;
    readonly argv: readonly string[];
    readonly cwd: string;
    readonly env: readonly string[];
}

/** The process, or undefined when it is gone or not readable. */
function viewProcess(pid: number): ProcessView | undefined {
    try {
        const split = (file: string): string[] => fs.readFileSync(`/proc/${pid}/${file}`, "utf8").split("\0").slice(0, -1);
        return { pid, argv: split("cmdline"), cwd: fs.readlinkSync(`/proc/${pid}/cwd`), env: split("environ") };
    } catch {
        return undefined;
    }
}

/** Every process whose working directory is `directory` and whose argv matches `matches`. */
function processesIn(directory: string, matches: (argv: readonly string[]) => boolean): ProcessView[] {
    return fs
        .readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .flatMap((entry) => {
            const view = viewProcess(Number(entry));
            return view && view.cwd === directory && matches(view.argv) ? [view] : [];
        });
}

describe("the Node.js language host under the real engine honours Pulumi.yaml's runtime.options", function () {
    this.timeout(programStartMs + 60_000);
    let directory = "";
    let sandbox: EngineSandbox | undefined;

    before(async function () {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-engine-language-host-"));
        sandbox = await openSandbox(directory);
    });

    after(() => {
        if (directory !== "") {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    it("pulumi preview runs the program with Pulumi.yaml's nodeargs, and with ts-node registered by the SDK only for typescript: true", async function () {
        assert.ok(sandbox, "the engine sandbox did not open");
        const runtime = readProgramRuntime(projectRoot);
        const projectDirectory = fs.realpathSync(sandbox.projectDirectory);
        const stack = await createStack(sandbox, "language-host", renderedStackConfig(1, "language-host"));

        // Watch /proc while the preview runs: the host (started by the launcher, in the project
        // folder) and the program's node it starts.
        const preview = { settled: false };
        const previewed = stack.preview().finally(() => (preview.settled = true));
        const deadline = Date.now() + programStartMs;
        let host: ProcessView | undefined;
        let program: ProcessView | undefined;
        while (!preview.settled && Date.now() < deadline && program === undefined) {
            host ??= processesIn(projectDirectory, (argv) => path.basename(argv[0] ?? "") === "pulumi-language-nodejs-host")[0];
            program = processesIn(projectDirectory, (argv) => argv.some(isProgramEntry))[0];
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await previewed;
        assert.ok(program, `no node running ${programEntry} in ${projectDirectory} seen during the preview`);

        // node <nodeargs> .../@pulumi/pulumi/cmd/run ...
        const entry = program.argv.findIndex(isProgramEntry);
        assert.deepStrictEqual(program.argv.slice(1, entry), runtime.nodeArgs, `the program's argv: ${JSON.stringify(program.argv)}`);
        assert.strictEqual(
            program.env.includes("PULUMI_NODEJS_TYPESCRIPT=true"),
            runtime.typescript,
            `PULUMI_NODEJS_TYPESCRIPT=true in the program's environment, with typescript: ${runtime.typescript}`,
        );

        // How: the CLI started the launcher in the project folder, which gave the host the
        // options as flags, each one argument, before the engine address.
        assert.ok(host, `no pulumi-language-nodejs-host ran in ${projectDirectory} before the program started`);
        const options = runtime.options;
        const flags = (["typescript", "tsconfig", "nodeargs"] as const).flatMap((key) => {
            const value = options[key];
            return value === undefined ? [] : [`-${key}=${typeof value === "string" ? value : JSON.stringify(value)}`];
        });
        assert.deepStrictEqual(host.argv.slice(1, -1).sort(), flags.sort(), `the host's argv: ${JSON.stringify(host.argv)}`);
    });

    it("the launcher refuses an option the v3.68.0 host cannot honour, naming it, and does not start the host", async function () {
        const bin = (await runChecked([path.join(projectRoot, "scripts", "build-tools"), "--cached", "pulumi"])).trim();
        const project = path.join(directory, "unknown-option");
        fs.mkdirSync(project);
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(project, "node_modules"));
        for (const [option, yaml] of [
            ["runtime.options.foo = 1", "{foo: 1}"],
            ['runtime.options.packagemanager = "pnpm"', "{packagemanager: pnpm}"],
        ] as const) {
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), `name: unknown-option\nruntime:\n  name: nodejs\n  options: ${yaml}\n`);
            // A host started in its place would wait minutes for the (absent) engine: stop it.
            const result = spawnSync(path.join(bin, "pulumi-language-nodejs"), ["127.0.0.1:1"], { cwd: project, encoding: "utf8", timeout: 30_000 });
            assert.strictEqual(result.error, undefined, `${option}: ${String(result.error)}`);
            assert.notStrictEqual(result.status, 0, `${option}: the launcher exited 0`);
            assert.strictEqual(result.stdout, "", `${option}: the host started (it prints its port)`);
            assert.ok(result.stderr.includes(`${option}: the Node.js language host v3.68.0`), `${option}: stderr: ${result.stderr}`);
            assert.ok(result.stderr.includes("cannot honour this option"), `${option}: stderr: ${result.stderr}`);
        }
    });
});
