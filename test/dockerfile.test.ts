import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { goldenDockerfile } from "../components/serviceSettings";
import { projectRoot } from "../scripts/lib/evaluate";

/** A FROM line of the Dockerfile: what it starts from, and the stage name it gives, if any. */
interface From {
    readonly base: string;
    readonly stage?: string;
}

const dockerfile = fs.readFileSync(path.join(projectRoot, goldenDockerfile), "utf8").split("\n");

const froms: From[] = dockerfile.flatMap((line) => {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    return from?.[1] ? [{ base: from[1], stage: from[2] }] : [];
});

/** The defaults of the build arguments declared before the first FROM, which FROM lines may use. */
function globalArgument(name: string): string | undefined {
    const firstFrom = dockerfile.findIndex((line) => /^FROM\s/i.test(line));
    const declaration = dockerfile.slice(0, firstFrom).flatMap((line) => /^ARG\s+(\w+)=(\S+)\s*$/.exec(line) ?? []);
    const index = declaration.indexOf(name);
    return index < 0 ? undefined : declaration[index + 1];
}

/** The keys of a Dependabot update entry this test looks at. */
interface DependabotUpdate {
    readonly "package-ecosystem"?: string;
    readonly directory?: string;
    readonly directories?: string[];
}

/** `name:version@sha256:<64 hex>`, literally: what Dependabot's docker ecosystem reads and updates. */
const pinnedImage = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[\w][\w.-]{0,127}@sha256:[0-9a-f]{64}$/;

/**
 * Defaults pinned by version tag only, because no machine of this project could read their
 * digest (README, "Go toolchain and vulnerabilities"): named one by one, so that any other
 * default without a digest still fails.
 */
const digestPending = new Set(["golang:1.26.11-bookworm"]);

function pinnedDefault(argument: string): string {
    const stage = globalArgument(argument);
    assert.ok(stage, `${argument} has a default`);
    const from = froms.find((candidate) => candidate.stage === stage);
    assert.ok(from, `${argument}'s default "${stage}" names a stage of the Dockerfile`);
    return from.base;
}

describe("the golden Dockerfile's base images", () => {
    for (const argument of ["GO_IMAGE", "RUNTIME_IMAGE"]) {
        it(`pins the default of ${argument} by version tag and digest, on a FROM line of its own`, () => {
            const image = pinnedDefault(argument);
            if (!digestPending.has(image)) {
                assert.match(image, pinnedImage);
            }
        });
    }

    it("builds on GO_IMAGE and ships on RUNTIME_IMAGE, so that a build argument replaces either", () => {
        assert.ok(
            froms.some((from) => from.base === "${GO_IMAGE}" && from.stage === "build"),
            "the build stage starts FROM ${GO_IMAGE}",
        );
        assert.strictEqual(froms.at(-1)?.base, "${RUNTIME_IMAGE}");
    });

    it("are the ones the README documents", () => {
        const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
        for (const argument of ["GO_IMAGE", "RUNTIME_IMAGE"]) {
            const image = pinnedDefault(argument);
            assert.ok(readme.includes(`\`${image}\``), `README.md names ${image}`);
        }
    });

    it("are watched by Dependabot's docker ecosystem", () => {
        const config = parse(fs.readFileSync(path.join(projectRoot, ".github", "dependabot.yml"), "utf8")) as { updates?: DependabotUpdate[] };
        const docker = config.updates?.find((update) => update["package-ecosystem"] === "docker");
        assert.ok(docker, "dependabot.yml has a docker entry");
        const folder = `/${path.dirname(goldenDockerfile)}`;
        assert.ok([...(docker.directories ?? []), docker.directory].includes(folder), `it watches ${folder}`);
    });
});
