import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseDocument } from "yaml";
import { runCommand } from "../scripts/lib/command";
import { evaluate, placeholders } from "../scripts/lib/evaluate";
import { kubernetesObjects, KubernetesObject, schemaErrors, secretPlaceholder, toYaml } from "../scripts/lib/manifests";
import { goldenDirectory, goldenStacks, synthesize, writeOutput } from "../scripts/synth";
import { projectRoot } from "../scripts/lib/evaluate";
import { at, withSecretVariable } from "./support/fixtures";

describe("npm run synth", function () {
    this.timeout(60000);
    const synthesized = new Map<string, Map<string, string>>();

    before(async () => {
        for (const stack of ["dev", "prod", "local"]) {
            synthesized.set(stack, await synthesize(stack));
        }
    });

    for (const stack of ["dev", "prod", "local"]) {
        it(`writes every object of ${stack} in a form that validates against the Kubernetes OpenAPI schema`, () => {
            const files = synthesized.get(stack)!;
            const objects = [...files].filter(([name]) => name !== "cloud.yaml").map(([, text]) => parse(text) as KubernetesObject);
            assert.ok(objects.length >= 9, `${objects.length} objects`);
            for (const object of objects) {
                assert.deepStrictEqual(schemaErrors(object), [], `${object.kind} ${object.metadata.name}`);
            }
        });
    }

    it("catches an object that breaks the schema", () => {
        const deployment = parse(synthesized.get("dev")!.get("60-deployment-go-services-dev.hello.yaml")!) as KubernetesObject;
        (deployment.spec as { replicas: unknown }).replicas = "two";
        assert.match(schemaErrors(deployment).join(), /replicas must be integer/);
        assert.match(
            schemaErrors({ apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec: { ports: [{ port: "http" }] } }).join(),
            /port must be integer/,
        );
    });

    it("names files by apply order, kind, namespace and name, and summarises the cloud side", () => {
        assert.deepStrictEqual(
            [...synthesized.get("prod")!.keys()],
            [
                "00-namespace-go-services.yaml",
                "10-serviceaccount-go-services.hello.yaml",
                "10-serviceaccount-go-services.quotes.yaml",
                "30-configmap-go-services.hello-dashboard.yaml",
                "30-configmap-go-services.quotes-dashboard.yaml",
                "40-service-go-services.hello.yaml",
                "40-service-go-services.quotes.yaml",
                "50-networkpolicy-go-services.hello.yaml",
                "50-networkpolicy-go-services.quotes.yaml",
                "55-analysistemplate-go-services.quotes-canary.yaml",
                "60-deployment-go-services.hello.yaml",
                "60-rollout-go-services.quotes.yaml",
                "70-poddisruptionbudget-go-services.hello.yaml",
                "70-poddisruptionbudget-go-services.quotes.yaml",
                "80-horizontalpodautoscaler-go-services.hello.yaml",
                "99-prometheusrule-go-services.hello.yaml",
                "99-prometheusrule-go-services.quotes.yaml",
                "99-servicemonitor-go-services.hello.yaml",
                "99-servicemonitor-go-services.quotes.yaml",
                "cloud.yaml",
            ],
        );
        type Cloud = { repositories: { name: string }[]; images: { image: string; deployedAs: string }[]; promotedFrom: string[] };
        const dev = parse(synthesized.get("dev")!.get("cloud.yaml")!) as Cloud;
        assert.deepStrictEqual(
            dev.repositories.map((r) => r.name),
            ["go-services/dev/hello", "go-services/dev/quotes"],
        );
        assert.strictEqual(dev.images[0]?.image, `${placeholders.accountId}.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello:git-3f9c2ab`);
        assert.deepStrictEqual(dev.promotedFrom, []);
        const prod = parse(synthesized.get("prod")!.get("cloud.yaml")!) as Cloud;
        assert.deepStrictEqual(prod, { ...prod, repositories: [], images: [], promotedFrom: ["acme/go-services/dev"] });
    });

    it("marks values only the cloud knows as placeholders, also in images prod promotes from dev", () => {
        const image = (stack: string, file: string) => at(parse(synthesized.get(stack)!.get(file)!), "spec", "template", "spec", "containers", 0, "image");
        const devImage = `${placeholders.accountId}.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello@${placeholders.digest}`;
        assert.strictEqual(image("dev", "60-deployment-go-services-dev.hello.yaml"), devImage);
        assert.strictEqual(image("prod", "60-deployment-go-services.hello.yaml"), devImage);
    });

    it("shows the judges (scripts/judges) each Rollout as the Deployment it replaces, with the same pod template", async () => {
        const judged = await synthesize("prod", undefined, { forJudges: true });
        const declared = synthesized.get("prod")!;
        assert.ok(!judged.has("60-rollout-go-services.quotes.yaml"));
        const rollout = parse(declared.get("60-rollout-go-services.quotes.yaml")!) as KubernetesObject;
        const deployment = parse(judged.get("60-deployment-go-services.quotes.yaml")!) as KubernetesObject;
        assert.deepStrictEqual([deployment.apiVersion, deployment.kind], ["apps/v1", "Deployment"]);
        assert.deepStrictEqual(deployment.metadata, rollout.metadata);
        for (const key of ["template", "selector", "replicas", "minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit"]) {
            assert.deepStrictEqual(at(deployment, "spec", key), at(rollout, "spec", key), key);
        }
        assert.deepStrictEqual(at(deployment, "spec", "strategy"), { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
        assert.deepStrictEqual(schemaErrors(deployment), []);
        // Everything else is as declared.
        assert.deepStrictEqual(
            [...judged.keys()].filter((name) => !name.includes("quotes.yaml")).map((name) => [name, judged.get(name)]),
            [...declared.keys()].filter((name) => !name.includes("quotes.yaml")).map((name) => [name, declared.get(name)]),
        );
    });

    it("is deterministic: the same stack gives the same bytes", async () => {
        const again = await synthesize("prod");
        assert.deepStrictEqual([...again], [...synthesized.get("prod")!]);
    });

    it("never writes a secret", async () => {
        const evaluation = await evaluate({ stack: "dev", values: "placeholders", config: withSecretVariable("dev", "hello", "TOKEN", "sup3r-s3cret") });
        const objects = kubernetesObjects(evaluation);
        for (const object of objects) {
            assert.deepStrictEqual(schemaErrors(object), [], `${object.kind} ${object.metadata.name}`);
        }
        const text = objects.map(toYaml).join("---\n");
        assert.ok(!text.includes("sup3r-s3cret"));
        assert.ok(text.includes(`TOKEN: "${secretPlaceholder}"`), text);
    });

    for (const stack of goldenStacks) {
        it(`matches the committed golden manifests of ${stack} (refresh with npm run synth:update)`, () => {
            const directory = goldenDirectory(stack);
            const committed = fs.readdirSync(directory).filter((name) => !name.startsWith("."));
            const files = synthesized.get(stack)!;
            assert.deepStrictEqual(
                committed.sort(),
                [...files.keys()].sort(),
                `file list of test/golden/${stack} differs: run npm run synth:update and review the diff`,
            );
            for (const [name, content] of files) {
                assert.strictEqual(
                    fs.readFileSync(path.join(directory, name), "utf8"),
                    content,
                    `test/golden/${stack}/${name} drifted: run npm run synth:update and review the diff`,
                );
            }
        });
    }

    it("refuses to replace a directory it did not write", () => {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
        try {
            fs.writeFileSync(path.join(directory, "precious.txt"), "keep me");
            assert.throws(() => writeOutput(directory, new Map([["a.yaml", "a: 1\n"]])), /not written by synth/);
            fs.rmSync(path.join(directory, "precious.txt"));
            writeOutput(directory, new Map([["a.yaml", "a: 1\n"]]));
            writeOutput(directory, new Map([["b.yaml", "b: 1\n"]]));
            assert.deepStrictEqual(
                fs.readdirSync(directory).filter((name) => !name.startsWith(".")),
                ["b.yaml"],
            );
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    it("prints a config error once, as pulumi preview does, and exits 1", async () => {
        // A project directory whose stack file is dev's with two bad values; services/ and docker/ are this checkout's.
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "synth-bad-config-"));
        try {
            for (const shared of ["services", "docker"]) {
                fs.symlinkSync(path.join(projectRoot, shared), path.join(directory, shared));
            }
            const stackFile = parseDocument(fs.readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8"));
            stackFile.setIn(["config", "go-services:namespace"], "Go_Services");
            stackFile.setIn(["config", "go-services:services", "hello", "replicas"], 0);
            fs.writeFileSync(path.join(directory, "Pulumi.broken.yaml"), stackFile.toString());

            const synth = path.join(projectRoot, "scripts", "synth.ts");
            const result = await runCommand(
                [process.execPath, "--require", "ts-node/register/transpile-only", synth, "--stack", "broken", "--root", directory],
                {
                    cwd: projectRoot,
                },
            );

            assert.strictEqual(result.code, 1, result.stderr);
            assert.strictEqual(result.stdout, "");
            const lines = result.stderr.trimEnd().split("\n");
            assert.deepStrictEqual(
                { heading: lines[0], problems: lines.length - 1 },
                { heading: "Invalid configuration in Pulumi.broken.yaml: 2 invalid values", problems: 2 },
                result.stderr,
            );
            assert.match(lines[1] ?? "", /^ {2}- go-services:namespace = "Go_Services": must be a DNS-1123 label/);
            assert.match(lines[2] ?? "", /^ {2}- go-services:services\.hello\.replicas = 0: /);
            assert.ok(!fs.existsSync(path.join(directory, "out")), "nothing is written");
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });
});
