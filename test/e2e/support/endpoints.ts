/**
 * What each service must answer, over the real network path into its pod: the endpoints every
 * service has (/livez, /readyz, /version), its smoke request (services/<name>/smoke.path, a
 * request that answers 200 with JSON, which every service keeps and which is also what the
 * load generator sends), and for the services known here, their API in more detail.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../../../scripts/lib/evaluate";

/** One request and what its answer must be. */
export interface EndpointExpectation {
    readonly path: string;
    readonly status: number;
    /** Asserts on the parsed JSON body. */
    readonly body: (json: unknown) => void;
}

/** A service's endpoints and its load. */
export interface ServiceEndpoints {
    readonly expectations: readonly EndpointExpectation[];
    /** The request the load generator repeats. */
    readonly loadPath: string;
    /** Whether a load answer's JSON body is correct. */
    readonly acceptLoad: (json: unknown) => boolean;
}

function record(json: unknown): Record<string, unknown> {
    assert.ok(typeof json === "object" && json !== null && !Array.isArray(json), `expected a JSON object, got ${JSON.stringify(json)}`);
    return json as Record<string, unknown>;
}

function isQuote(json: unknown): boolean {
    const quote = json as Record<string, unknown> | null;
    return (
        typeof quote === "object" &&
        quote !== null &&
        Number.isInteger(quote.id) &&
        typeof quote.text === "string" &&
        typeof quote.author === "string" &&
        Array.isArray(quote.tags)
    );
}

function errorBody(json: unknown): void {
    const error = record(json).error;
    assert.ok(typeof error === "string" && error.length > 0, `expected {"error": "..."}, got ${JSON.stringify(json)}`);
}

/** The smoke request of a service: the first line of services/<service>/smoke.path. */
export function smokePath(service: string): string {
    const file = path.join(projectRoot, "services", service, "smoke.path");
    if (!fs.existsSync(file)) {
        throw new Error(`${file} is missing: write the path of a request that answers 200 with JSON to it (npm run new-service writes one)`);
    }
    const [first = ""] = fs.readFileSync(file, "utf8").split("\n");
    if (!first.startsWith("/")) {
        throw new Error(`${file}: the first line, "${first}", is not a request path starting with /`);
    }
    return first.trim();
}

function isObject(json: unknown): boolean {
    return typeof json === "object" && json !== null && !Array.isArray(json);
}

/** The endpoints of `service`, whose binary was stamped with `version`; `smoke` is its smoke request. */
export function serviceEndpoints(service: string, version: string, smoke: string): ServiceEndpoints {
    const common: EndpointExpectation[] = [
        { path: "/livez", status: 200, body: (json) => assert.deepStrictEqual(json, { status: "alive" }) },
        { path: "/readyz", status: 200, body: (json) => assert.deepStrictEqual(json, { status: "ready" }) },
        {
            path: "/version",
            status: 200,
            body: (json) => {
                assert.strictEqual(record(json).service, service);
                assert.strictEqual(record(json).version, version);
            },
        },
        { path: smoke, status: 200, body: (json) => assert.ok(isObject(json), `the smoke request answered ${JSON.stringify(json)}, not a JSON object`) },
    ];
    switch (service) {
        case "hello":
            return {
                expectations: [
                    ...common,
                    { path: "/hello?name=Ada", status: 200, body: (json) => assert.deepStrictEqual(json, { message: "hello, Ada", version }) },
                    { path: "/hello", status: 200, body: (json) => assert.deepStrictEqual(json, { message: "hello, world", version }) },
                    { path: "/hello?name=%3Cscript%3E", status: 400, body: errorBody },
                ],
                loadPath: smoke,
                acceptLoad: (json) => {
                    const message = (json as Record<string, unknown> | null)?.message;
                    return typeof message === "string" && message.startsWith("hello, ");
                },
            };
        case "quotes":
            return {
                expectations: [
                    ...common,
                    {
                        path: "/quotes/1",
                        status: 200,
                        body: (json) => assert.ok(isQuote(json) && record(json).id === 1, `not quote 1: ${JSON.stringify(json)}`),
                    },
                    {
                        path: "/quotes/random?tag=go",
                        status: 200,
                        body: (json) =>
                            assert.ok(isQuote(json) && (record(json).tags as unknown[]).includes("go"), `not a quote tagged go: ${JSON.stringify(json)}`),
                    },
                    { path: "/quotes/abc", status: 400, body: errorBody },
                ],
                loadPath: smoke,
                acceptLoad: isQuote,
            };
        default:
            return { expectations: common, loadPath: smoke, acceptLoad: isObject };
    }
}
