import * as assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { buildAlertRuleGroups } from "../components/monitoring";
import { defaultAlertThresholds } from "../components/monitoringSettings";
import { readReadme, repositoryRoot, stackFileJsonSchema, stackFileJsonSchemaText, stackFileSchemaPath, withReadmeTables } from "../scripts/lib/configSchema";

const stackFiles = fs
    .readdirSync(repositoryRoot)
    .filter((name) => /^Pulumi\.[^.]+\.yaml$/.test(name))
    .sort();

/** The anchors of a Markdown document's headings, as GitHub makes them (code blocks left out). */
function headingAnchors(markdown: string): Set<string> {
    const text = markdown.replace(/```[\s\S]*?```/g, "");
    const seen = new Map<string, number>();
    const anchors = new Set<string>();
    for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const slug = (match[1] ?? "")
            .replace(/<[^>]+>/g, "")
            .toLowerCase()
            .trim()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const count = seen.get(slug) ?? 0;
        seen.set(slug, count + 1);
        anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    return anchors;
}

function validator() {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    return ajv.compile(stackFileJsonSchema());
}

describe("what the configuration schema gives", () => {
    it(`is committed as ${stackFileSchemaPath} as the schema gives it (npm run schema regenerates it)`, () => {
        assert.strictEqual(fs.readFileSync(path.join(repositoryRoot, stackFileSchemaPath), "utf8"), stackFileJsonSchemaText());
    });

    it("is in the README's key tables as the schema gives them (npm run schema regenerates them)", () => {
        const readme = readReadme();
        assert.strictEqual(readme, withReadmeTables(readme));
    });

    for (const file of stackFiles) {
        it(`names the JSON Schema in ${file}'s yaml-language-server modeline, and ${file} passes it`, () => {
            const text = fs.readFileSync(path.join(repositoryRoot, file), "utf8");
            assert.strictEqual(text.split("\n")[0], `# yaml-language-server: $schema=${stackFileSchemaPath}`);
            const validate = validator();
            assert.ok(validate(parse(text)), JSON.stringify(validate.errors, null, 2));
        });
    }

    it("lets the JSON Schema refuse a misspelt key, a bad value and a plain secret key, and accept secure values and other namespaces", () => {
        const validate = validator();
        const stack = (config: Record<string, unknown>) => ({
            config: { "aws:region": "eu-west-1", "go-services:imageTag": "v1.0.0", "go-services:services": { hello: { resources: "nano" } }, ...config },
        });
        assert.ok(validate(stack({ "go-services:helloToken": { secure: "v1:abc" }, "kubernetes:context": "x" })), JSON.stringify(validate.errors));
        assert.ok(validate(stack({ "go-services:services": { hello: null } })), JSON.stringify(validate.errors));
        for (const bad of [
            { "go-services:imageTg": "v1.0.0" },
            { "go-services:imageTag": "latest" },
            { "go-services:helloToken": "plain" },
            { "go-services:services": { hello: { replcias: 2 } } },
            { "go-services:services": { hello: { port: 80 } } },
            { "go-services:registry": { kind: "oci", url: "ghcr.io/acme", ecr: {} } },
            { "go-services:monitoring": { alerts: { errorRatio: 2 } } },
        ]) {
            assert.strictEqual(validate(stack(bad)), false, JSON.stringify(bad));
        }
    });

    it("leaves no README link without its heading", () => {
        const readme = readReadme();
        const anchors = headingAnchors(readme);
        const links = [...readme.replace(/```[\s\S]*?```/g, "").matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1] ?? "");
        assert.ok(links.length > 20, `only ${links.length} links`);
        assert.deepStrictEqual(
            links.filter((anchor) => !anchors.has(decodeURIComponent(anchor).toLowerCase())),
            [],
        );
    });

    it("has a README runbook for every alert's runbook_url", () => {
        const prod = parse(fs.readFileSync(path.join(repositoryRoot, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, { runbookUrl: string }> };
        const template = prod.config["go-services:monitoring"]?.runbookUrl ?? "";
        const urls = buildAlertRuleGroups({ name: "hello", namespace: "go-services", stack: "prod" }, defaultAlertThresholds, template).flatMap((group) =>
            group.rules.map((rule) => rule.annotations.runbook_url),
        );
        assert.strictEqual(urls.length, 5);
        const anchors = headingAnchors(readReadme());
        for (const url of urls) {
            const [page, anchor = ""] = url.split("#");
            assert.match(page ?? "", /\/README\.md$/, url);
            assert.ok(anchors.has(anchor), `${url}: README.md has no heading #${anchor}`);
        }
    });
});
