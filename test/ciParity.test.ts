/**
 * What GitHub checks, CI here checks too: every step of the workflows and composite actions is
 * run by .ci/run, or the README's table says why it cannot run here (README, "What GitHub runs,
 * and what CI here runs").
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { projectRoot } from "../scripts/lib/evaluate";

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
}

interface Workflow {
    readonly jobs?: Record<string, { readonly steps?: Step[] }>;
    readonly runs?: { readonly steps?: Step[] };
}

/** Steps that check out the code or install a toolchain: what .ci/run does its own way. */
const setupAction = /^(actions\/checkout|actions\/setup-go|actions\/setup-node|docker\/setup-buildx-action)@|^\.\/\.github\/actions\/setup-/;

/** Every step of the workflows and composite actions under root, keyed by name, with where each appears. */
function workflowSteps(root: string): Map<string, Set<string>> {
    const github = path.join(root, ".github");
    const files = [
        ...fs.readdirSync(path.join(github, "workflows")).map((file) => ({ file: path.join(github, "workflows", file), where: file.replace(/\.ya?ml$/, "") })),
        ...fs.readdirSync(path.join(github, "actions")).map((dir) => ({ file: path.join(github, "actions", dir, "action.yml"), where: `actions/${dir}` })),
    ];
    const steps = new Map<string, Set<string>>();
    for (const { file, where } of files) {
        const workflow = parse(fs.readFileSync(file, "utf8")) as Workflow;
        const all = [...Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? []), ...(workflow.runs?.steps ?? [])];
        for (const step of all) {
            if (step.uses !== undefined && setupAction.test(step.uses)) {
                continue;
            }
            const name = step.name ?? step.uses ?? step.run ?? "(a step with neither name, uses nor run)";
            steps.set(name, (steps.get(name) ?? new Set()).add(where));
        }
    }
    return steps;
}

interface Row {
    readonly step: string;
    readonly where: string[];
    readonly here: string;
}

/** The rows of the README's table: step, where, here. */
function readmeRows(root: string): Row[] {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const start = readme.indexOf("### What GitHub runs, and what CI here runs");
    assert.ok(start >= 0, 'README.md has the section "What GitHub runs, and what CI here runs"');
    const section = readme.slice(start, readme.indexOf("\n## ", start));
    return section.split("\n").flatMap((line) => {
        const cells = /^\|\s*`(.+?)`\s*\|([^|]+)\|(.+)\|\s*$/.exec(line);
        return cells?.[1] === undefined || cells[2] === undefined || cells[3] === undefined
            ? []
            : [{ step: cells[1], where: cells[2].split(",").map((where) => where.trim()), here: cells[3].trim() }];
    });
}

/**
 * The commands of .ci/run's steps: what follows the step's quoted name on each `step "..."` line,
 * and the bodies of the one-line functions `steps_at_once` runs (`name() { command; }`).
 */
function ciRunCommands(root: string): string[] {
    const run = fs.readFileSync(path.join(root, ".ci", "run"), "utf8");
    const steps = [...run.matchAll(/^step "[^"]*" (.+)$/gm)].map((match) => match[1]);
    const atOnce = [...run.matchAll(/^[a-z_0-9]+\(\) \{ (.+); \}$/gm)].map((match) => match[1]);
    return [...steps, ...atOnce].filter((command) => command !== undefined);
}

/** Every way the workflows, the README's table and .ci/run disagree, one line each. */
function parityProblems(root: string): string[] {
    const steps = workflowSteps(root);
    const rows = readmeRows(root);
    const commands = ciRunCommands(root);
    const problems: string[] = [];
    for (const [step, where] of steps) {
        const row = rows.find((candidate) => candidate.step === step);
        if (row === undefined) {
            problems.push(`step "${step}" (${[...where].join(", ")}) has no row in the README's table`);
            continue;
        }
        if ([...where].sort().join(", ") !== [...row.where].sort().join(", ")) {
            problems.push(`step "${step}" is in ${[...where].sort().join(", ")}, the README's row says ${row.where.join(", ")}`);
        }
        const ran = /^`\.ci\/run`: `([^`]+)`/.exec(row.here);
        if (ran?.[1] !== undefined) {
            const command = ran[1];
            if (!commands.some((line) => line.includes(command))) {
                problems.push(`step "${step}": the README says .ci/run runs \`${command}\`, but no step of .ci/run does`);
            }
        } else if (!/^not here: \S.{10,}/.test(row.here)) {
            problems.push(`step "${step}": the README's row neither names a .ci/run command nor says "not here: <why>"`);
        }
    }
    for (const row of rows) {
        if (!steps.has(row.step)) {
            problems.push(`the README's row "${row.step}" names no step of the workflows`);
        }
    }
    return problems;
}

describe("the workflows and .ci/run", () => {
    it("run the same checks, or the README says why a step cannot run here", () => {
        assert.deepStrictEqual(parityProblems(projectRoot), []);
    });

    it("finds the steps it must: the Go checks, the scans and the deploys", () => {
        const steps = workflowSteps(projectRoot);
        for (const step of ["golangci-lint", "govulncheck", "Trivy scan", "Trivy scan of the promoted digest", "pulumi up", "Unit tests (offline)"]) {
            assert.ok(steps.has(step), `finds "${step}"`);
        }
        assert.ok(!steps.has("Check out"), "leaves out checking out");
    });

    describe("fails", () => {
        let root: string;
        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "ci-parity-"));
            for (const entry of [".github", ".ci", "README.md"]) {
                fs.cpSync(path.join(projectRoot, entry), path.join(root, entry), { recursive: true });
            }
        });
        afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

        it("when a workflow gets a step that neither .ci/run runs nor the README explains", () => {
            const file = path.join(root, ".github", "workflows", "reusable-checks.yml");
            const workflow = fs.readFileSync(file, "utf8");
            fs.writeFileSync(
                file,
                workflow.replace("      - name: golangci-lint\n", "      - name: Spell check\n        run: codespell\n      - name: golangci-lint\n"),
            );
            assert.deepStrictEqual(parityProblems(root), ['step "Spell check" (reusable-checks) has no row in the README\'s table']);
        });

        it("when .ci/run stops running a check the README says it runs", () => {
            const file = path.join(root, ".ci", "run");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^step .* scripts\/golangci-lint$/m, ""));
            assert.deepStrictEqual(parityProblems(root), [
                'step "golangci-lint": the README says .ci/run runs `scripts/golangci-lint`, but no step of .ci/run does',
            ]);
        });

        it("when a row gives no reason, or names a step that does not exist", () => {
            const file = path.join(root, "README.md");
            const readme = fs
                .readFileSync(file, "utf8")
                .replace(/(\| `Trivy scan` +\| reusable-checks +\| )not here: [^|]+\|/, "$1 |")
                .replace("| `Typecheck` ", "| `Type check` ");
            fs.writeFileSync(file, readme);
            const problems = parityProblems(root);
            assert.ok(
                problems.includes('step "Trivy scan": the README\'s row neither names a .ci/run command nor says "not here: <why>"'),
                problems.join("\n"),
            );
            assert.ok(problems.includes('step "Typecheck" (reusable-checks) has no row in the README\'s table'), problems.join("\n"));
            assert.ok(problems.includes('the README\'s row "Type check" names no step of the workflows'), problems.join("\n"));
        });
    });
});
