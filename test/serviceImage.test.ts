/**
 * The build cache of service images: every pushed image carries BuildKit's inline cache
 * metadata, and a build reuses the layers of its own tag and of the tags `buildCacheFrom`
 * names (CI: the tag deployed last), so a fresh runner does not rebuild an unchanged service.
 */
import * as assert from "assert";
import { at, baseStackConfig, evaluateConfig, rejectedConfig, resource } from "./support/fixtures";

const repository = (service: string): string => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/${service}`;

async function imageBuild(config: Record<string, unknown>, service = "hello"): Promise<Record<string, unknown>> {
    const evaluation = await evaluateConfig(config);
    return at(resource(evaluation, "docker:index/image:Image", service).inputs, "build") as Record<string, unknown>;
}

describe("service image build cache", () => {
    it("pushes inline cache metadata and reuses the image's own tag when nothing else is given", async () => {
        const build = await imageBuild(baseStackConfig());
        assert.strictEqual(at(build, "args", "BUILDKIT_INLINE_CACHE"), "1");
        assert.deepStrictEqual(build.cacheFrom, { images: [`${repository("hello")}:git-3f9c2ab`] });
    });

    it("reuses the layers of the tags buildCacheFrom names, in order, each once", async () => {
        const config = { ...baseStackConfig(), "go-services:buildCacheFrom": ["git-1a2b3c4d5e6f", "git-3f9c2ab", "v1.4.2"] };
        for (const service of ["hello", "quotes"]) {
            const build = await imageBuild(config, service);
            assert.deepStrictEqual(build.cacheFrom, {
                images: [`${repository(service)}:git-3f9c2ab`, `${repository(service)}:git-1a2b3c4d5e6f`, `${repository(service)}:v1.4.2`],
            });
        }
    });

    it("uses no registry cache for a local build, which has the machine's own", async () => {
        const config = { ...baseStackConfig(), "go-services:registry": { kind: "local" }, "go-services:buildCacheFrom": ["git-1a2b3c4d5e6f"] };
        const build = await imageBuild(config);
        assert.strictEqual(build.cacheFrom, undefined);
        assert.strictEqual(at(build, "args", "BUILDKIT_INLINE_CACHE"), undefined);
    });

    it("refuses a moving tag or a value that is not a list, naming the key, before registering anything", async () => {
        const latest = await rejectedConfig({ ...baseStackConfig(), "go-services:buildCacheFrom": ["git-1a2b3c4d5e6f", "latest"] });
        assert.deepStrictEqual(
            latest.error.problems.map((problem) => [problem.path, problem.value]),
            [["go-services:buildCacheFrom[1]", '"latest"']],
        );
        assert.match(latest.error.problems[0]?.allowed ?? "", /semver/);
        assert.deepStrictEqual(latest.resources, []);
        const single = await rejectedConfig({ ...baseStackConfig(), "go-services:buildCacheFrom": "git-1a2b3c4d5e6f" });
        assert.deepStrictEqual(
            single.error.problems.map((problem) => [problem.path, problem.allowed]),
            [["go-services:buildCacheFrom", "must be a list (YAML sequence under the key)"]],
        );
    });
});
