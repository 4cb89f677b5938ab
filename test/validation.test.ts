import * as assert from "assert";
import {
    checkDigestReference,
    checkDnsLabel,
    checkImageTag,
    checkRegistryUrl,
    checkObject,
    closestKey,
    commitFromTag,
    hiddenSecret,
    InvalidInputError,
    joinPath,
    Problems,
    repositoryOf,
} from "../components/validation";

function problemsFrom(check: (problems: Problems) => void): string {
    const problems = new Problems();
    check(problems);
    try {
        problems.throwIfAny("subject");
        return "";
    } catch (error) {
        assert.ok(error instanceof InvalidInputError);
        return error.message;
    }
}

describe("validation", () => {
    describe("image tags", () => {
        for (const tag of ["v1.4.2", "1.4.2", "v0.1.0-rc.1", "git-3f9c2ab", `git-${"a".repeat(40)}`]) {
            it(`accepts ${tag}`, () =>
                assert.strictEqual(
                    problemsFrom((p) => checkImageTag(tag, "imageTag", p)),
                    "",
                ));
        }
        for (const tag of ["latest", "", "v1", "1.4", "git-XYZ1234", "git-abc", "main", "v01.2.3", `git-${"a".repeat(41)}`]) {
            it(`refuses ${JSON.stringify(tag)}`, () => {
                const message = problemsFrom((p) => checkImageTag(tag, "go-services:imageTag", p));
                assert.match(message, /go-services:imageTag/);
                assert.match(message, /semver/);
            });
        }
        it("reads the commit out of a git tag only", () => {
            assert.strictEqual(commitFromTag("git-3f9c2ab"), "3f9c2ab");
            assert.strictEqual(commitFromTag("v1.2.3"), undefined);
        });
    });

    describe("images given by digest", () => {
        const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
        for (const image of [
            `ghcr.io/acme/hello@${digest}`,
            `localhost:5001/hello@${digest}`,
            `123456789012.dkr.ecr.eu-west-1.amazonaws.com/go-services/dev/hello@${digest}`,
            `registry.example.com:8443/team/sub_team/my-app@${digest}`,
            `hello@${digest}`,
        ]) {
            it(`accepts ${image.slice(0, 48)}`, () => {
                assert.strictEqual(
                    problemsFrom((p) => checkDigestReference(image, "image", p)),
                    "",
                );
                assert.strictEqual(repositoryOf(image), image.slice(0, image.indexOf("@")));
            });
        }
        for (const image of [
            "ghcr.io/acme/hello:v1.4.2",
            "ghcr.io/acme/hello:latest",
            "ghcr.io/acme/hello",
            `ghcr.io/acme/hello:v1.4.2@${digest}`,
            `localhost:5001/hello:5000@${digest}`,
            `ghcr.io/acme/Hello@${digest}`,
            `ghcr.io/acme/hello@sha256:${"A".repeat(64)}`,
            `ghcr.io/acme/hello@sha256:${"a".repeat(63)}`,
            `ghcr.io/acme/hello@sha512:${"a".repeat(128)}`,
            `https://ghcr.io/acme/hello@${digest}`,
            "",
            42,
        ]) {
            it(`refuses ${JSON.stringify(image).slice(0, 48)}`, () => {
                const message = problemsFrom((p) => checkDigestReference(image, "go-services:services.hello.image", p));
                assert.match(message, /go-services:services\.hello\.image = /);
                assert.match(message, /pinned by digest: <repository>@sha256:<64 lower-case hex digits>.*a tag .* is refused/);
            });
        }
    });

    describe("registry URLs", () => {
        for (const url of ["ghcr.io/acme", "localhost:5001", "harbor.example.com/team/sub", "registry:5000", "quay.io"]) {
            it(`accepts ${url}`, () =>
                assert.strictEqual(
                    problemsFrom((p) => checkRegistryUrl(url, "url", p)),
                    "",
                ));
        }
        for (const url of ["https://ghcr.io/acme", "ghcr.io/Acme", "ghcr.io/acme/", "ghcr.io/acme:v1", "", "ghcr.io//acme", 5001]) {
            it(`refuses ${JSON.stringify(url)}`, () =>
                assert.match(
                    problemsFrom((p) => checkRegistryUrl(url, "go-services:registry.url", p)),
                    /go-services:registry\.url = .*: must be a registry URL without a scheme/,
                ));
        }
    });

    describe("DNS-1123 labels", () => {
        for (const name of ["a", "hello", "hello-world-2", "a".repeat(63)]) {
            it(`accepts ${name.slice(0, 20)}`, () =>
                assert.strictEqual(
                    problemsFrom((p) => checkDnsLabel(name, "name", p)),
                    "",
                ));
        }
        for (const name of ["Hello", "-a", "a-", "a_b", "a.b", "", "a".repeat(64), 5]) {
            it(`refuses ${JSON.stringify(name)}`, () =>
                assert.match(
                    problemsFrom((p) => checkDnsLabel(name, "name", p)),
                    /DNS-1123/,
                ));
        }
    });

    describe("objects", () => {
        it("names an unknown key and suggests the closest known one", () => {
            const message = problemsFrom((p) => checkObject({ replcas: 2 }, "go-services:services.hello", ["replicas", "port"], p));
            assert.match(message, /go-services:services\.hello\.replcas = 2: unknown key \(did you mean "replicas"\?\)/);
        });
        it("does not suggest a key that is not close", () => {
            assert.strictEqual(closestKey("zzzzzz", ["replicas", "port"]), undefined);
        });
        it("spells config paths the way `pulumi config set --path` does", () => {
            assert.strictEqual(joinPath("go-services:", "services"), "go-services:services");
            assert.strictEqual(joinPath("go-services:services", "hello"), "go-services:services.hello");
            assert.strictEqual(joinPath("env", "A.B"), 'env["A.B"]');
        });
    });

    it("lists every problem, not only the first, and never shows a hidden secret", () => {
        const message = problemsFrom((p) => {
            p.add("a", 1, "must be 2");
            p.add("b", hiddenSecret, "must be set");
        });
        assert.match(message, /2 invalid values/);
        assert.match(message, /a = 1: must be 2/);
        assert.match(message, /b = \(secret, not shown\): must be set/);
    });
});
