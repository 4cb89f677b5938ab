/**
 * The program as the Pulumi CLI starts it, with Pulumi.yaml's runtime options: the node
 * arguments that make evaluation fast (transpile-only ts-node, a short stack-trace limit) must
 * leave a user the places they rely on when something goes wrong.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../scripts/lib/evaluate";
import { programNodeArguments, readProgramRuntime } from "../scripts/lib/programRuntime";
import { ProbeReport, refused } from "./support/runtimeProbe";

/** `<file>:<line>:<column>` of the first line of a project file containing `text`, at its start. */
function positionOf(file: string, text: string): string {
    const lines = fs.readFileSync(path.join(projectRoot, file), "utf8").split("\n");
    const line = lines.findIndex((content) => content.includes(text));
    assert.ok(line >= 0, `${file} declares ${text}`);
    return `${file}:${line + 1}:${(lines[line] ?? "").indexOf(text) + 1}`;
}

describe("the program as Pulumi runs it (Pulumi.yaml runtime.options)", function () {
    // One child process loads the program and evaluates the dev stack twice.
    this.timeout(120000);
    let report: ProbeReport;

    before(() => {
        const nodeArgs = programNodeArguments(readProgramRuntime(projectRoot));
        const stdout = execFileSync(process.execPath, [...nodeArgs, path.join(__dirname, "support", "runtimeProbe.ts")], {
            cwd: projectRoot,
            encoding: "utf8",
        });
        report = JSON.parse(stdout) as ProbeReport;
    });

    it("names the stack file, the key, the value and what is allowed for a config error", () => {
        assert.match(
            report.configError,
            /^Invalid configuration in Pulumi\.dev\.yaml: 1 invalid value\n {2}- go-services:imageTag = "latest": must be a version tag: semver/,
        );
    });

    it("names a refused resource and its type, and tells the engine the line of the component that declared it", () => {
        assert.match(report.failedResource, new RegExp(`^Error: failed to register new resource ${refused.name} \\[${refused.type}\\]: ${refused.reason}`));
        assert.strictEqual(report.failedResourcePosition, positionOf("components/goService.ts", "new k8s.apps.v1.Deployment("));
    });
});
