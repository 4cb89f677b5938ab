/**
 * The request held in flight across SIGTERM: it must really be unfinished until released,
 * or the shutdown test would prove nothing about requests in flight.
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { slowGet } from "../support/http";
import { delay } from "../support/wait";

describe("e2e harness: a request held in flight", () => {
    let server: http.Server;
    let port: number;
    const handledAt: number[] = [];
    /** When the server handled requests, read afresh each time. */
    const handled = (): readonly number[] => [...handledAt];

    before(async () => {
        server = http.createServer((request, response) => {
            handledAt.push(Date.now());
            const body = '{"message":"hello, Load"}\n';
            // Node answers chunked unless told the length; the services send a Content-Length.
            response.writeHead(200, { "content-type": "application/json", ...(request.url === "/sized" ? { "content-length": body.length } : {}) });
            response.end(body);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });

    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    it("reaches the server only when released, then reads the answer", async () => {
        let release = (): void => undefined;
        const released = new Promise<void>((resolve) => (release = resolve));
        const request = slowGet({ host: "127.0.0.1", port }, "/hello?name=Load", released, 5000);
        await request.started;
        await delay(200);
        assert.deepStrictEqual(handled(), [], "the server handled the request before its headers were complete");
        const releasedAt = Date.now();
        release();
        assert.deepStrictEqual(await request.outcome, { kind: "response", status: 200, contentType: "application/json", body: '{"message":"hello, Load"}\n' });
        const [handledAfterRelease] = handled();
        assert.ok(handledAfterRelease !== undefined && handledAfterRelease >= releasedAt);
    });

    it("reads an answer with a Content-Length without waiting for the connection to close", async () => {
        const request = slowGet({ host: "127.0.0.1", port }, "/sized", Promise.resolve(), 5000);
        assert.deepStrictEqual(await request.outcome, { kind: "response", status: 200, contentType: "application/json", body: '{"message":"hello, Load"}\n' });
    });

    it("reports a connection that closes without an answer", async () => {
        const closing = http.createServer();
        closing.on("connection", (socket) => socket.end());
        await new Promise<void>((resolve) => closing.listen(0, "127.0.0.1", resolve));
        const request = slowGet({ host: "127.0.0.1", port: (closing.address() as AddressInfo).port }, "/", Promise.resolve(), 5000);
        const outcome = await request.outcome;
        await new Promise((resolve) => closing.close(resolve));
        assert.strictEqual(outcome.kind, "error");
    });
});
