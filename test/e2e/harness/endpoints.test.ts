/**
 * The requests the e2e tests send each service come from the service's own smoke.path, so that
 * a service added with npm run new-service is checked and loaded without editing the tests.
 */
import * as assert from "assert";
import { serviceEndpoints, smokePath } from "../support/endpoints";

describe("e2e harness: the endpoints of each service", () => {
    it("reads the smoke request of every service from services/<name>/smoke.path", () => {
        assert.strictEqual(smokePath("hello"), "/hello?name=Podman");
        assert.strictEqual(smokePath("quotes"), "/quotes/random");
        assert.throws(() => smokePath("no-such-service"), /services\/no-such-service\/smoke\.path is missing/);
    });

    it("checks a service it knows nothing else about through its probes, /version and its smoke request, and loads it with that", () => {
        const endpoints = serviceEndpoints("inventory", "e2e", "/items");
        assert.deepStrictEqual(
            endpoints.expectations.map((expected) => `${expected.path} ${expected.status}`),
            ["/livez 200", "/readyz 200", "/version 200", "/items 200"],
        );
        assert.strictEqual(endpoints.loadPath, "/items");
        assert.strictEqual(endpoints.acceptLoad({ items: [] }), true);
        assert.strictEqual(endpoints.acceptLoad("text"), false);
    });

    it("accepts a load answer only when it is what the service must answer", () => {
        const hello = serviceEndpoints("hello", "e2e", "/hello?name=Podman");
        assert.strictEqual(hello.acceptLoad({ message: "hello, Podman", version: "e2e" }), true);
        assert.strictEqual(hello.acceptLoad({ error: "name is empty" }), false);
        const quotes = serviceEndpoints("quotes", "e2e", "/quotes/random");
        assert.strictEqual(quotes.acceptLoad({ id: 1, text: "t", author: "a", tags: [] }), true);
        assert.strictEqual(quotes.acceptLoad({ id: "1" }), false);
    });
});
