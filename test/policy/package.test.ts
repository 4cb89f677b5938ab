import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { rules } from "../../policy/rules";

const ROOT = join(__dirname, "..", "..");
const POLICY = join(ROOT, "policy");

interface PackageJson {
    version?: string;
    main?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
}

function readJson(path: string): PackageJson {
    return JSON.parse(readFileSync(path, "utf8")) as PackageJson;
}

describe("policy pack packaging", () => {
    it("is a Node.js policy pack, as `pulumi preview --policy-pack policy` expects", () => {
        const project = parse(readFileSync(join(POLICY, "PulumiPolicy.yaml"), "utf8")) as { runtime?: unknown };
        assert.equal(project.runtime, "nodejs");
        const manifest = readJson(join(POLICY, "package.json"));
        assert.match(manifest.version ?? "", /^\d+\.\d+\.\d+$/, "the policy SDK reads the pack's version from package.json");
        assert.ok(manifest.main !== undefined && existsSync(join(POLICY, manifest.main)));
    });

    it("declares the same SDK versions the root installs, since it runs on the root's node_modules", () => {
        const root = readJson(join(ROOT, "package.json"));
        const rootVersions = { ...root.dependencies, ...root.devDependencies };
        for (const [name, version] of Object.entries(readJson(join(POLICY, "package.json")).dependencies ?? {})) {
            assert.equal(version, rootVersions[name], name);
        }
    });

    it("documents every policy with its default enforcement in policy/README.md", () => {
        const readme = readFileSync(join(POLICY, "README.md"), "utf8");
        for (const rule of rules) {
            assert.match(readme, new RegExp(`\\|\\s*\`${rule.name}\`\\s*\\|\\s*${rule.enforcementLevel}\\s*\\|`), rule.name);
        }
    });
});
