/**
 * Loaded by test/engine/.mocharc.json after the e2e preflight (which checks the test cluster):
 * without the engine built, stop at once saying how to build it, rather than building it for
 * tens of minutes inside a test hook.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const buildTools = path.resolve(__dirname, "..", "..", "..", "scripts", "build-tools");
const missing = ["pulumi", "pulumi-kubernetes"].filter((module) => spawnSync(buildTools, ["--cached", module], { stdio: "ignore" }).status !== 0);
if (missing.length > 0) {
    process.stderr.write(
        [
            `the engine tests cannot run: ${missing.map((module) => `tools/${module}`).join(" and ")} ${missing.length > 1 ? "are" : "is"} not built.`,
            `Build with: ${missing.map((module) => `scripts/build-tools ${module}`).join(" && ")}   (tens of minutes cold, cached afterwards)`,
            "",
        ].join("\n"),
    );
    process.exit(1);
}
