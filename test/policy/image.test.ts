import * as assert from "node:assert/strict";
import { parseImageReference } from "../../policy/image";

describe("policy/image", () => {
    it("splits name, tag and digest", () => {
        assert.deepEqual(parseImageReference("nginx"), { name: "nginx" });
        assert.deepEqual(parseImageReference("nginx:1.27"), { name: "nginx", tag: "1.27" });
        assert.deepEqual(parseImageReference("nginx@sha256:abc"), { name: "nginx", digest: "sha256:abc" });
        assert.deepEqual(parseImageReference("reg.io/team/app:v1@sha256:abc"), { name: "reg.io/team/app", tag: "v1", digest: "sha256:abc" });
    });

    it("does not take a registry port for a tag", () => {
        assert.deepEqual(parseImageReference("localhost:5000/app"), { name: "localhost:5000/app" });
        assert.deepEqual(parseImageReference("localhost:5000/app:latest"), { name: "localhost:5000/app", tag: "latest" });
    });
});
