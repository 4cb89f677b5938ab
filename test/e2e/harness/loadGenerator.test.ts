/**
 * The load generator against a local server whose behaviour the test controls: the shutdown
 * and latency figures are only as good as its rate, its failure counting and its percentiles.
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { FixedRateLoad, summarize } from "../support/loadGenerator";
import { median, percentile } from "../../../scripts/lib/stats";
import { pollUntil } from "../support/wait";

describe("e2e harness: the load generator", function () {
    this.timeout(120000);
    let server: http.Server;
    let port: number;
    let connections = 0;

    before(async () => {
        server = http.createServer((request, response) => {
            const delay = request.url === "/slow" ? 300 : 0;
            setTimeout(() => {
                const status = request.url === "/fail" ? 500 : 200;
                response.writeHead(status, { "content-type": "application/json" });
                response.end('{"status":"ok"}\n');
            }, delay);
        });
        server.on("connection", () => (connections += 1));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });

    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    const load = (path: string, ratePerSecond: number): FixedRateLoad =>
        new FixedRateLoad({ target: { host: "127.0.0.1", port }, path, ratePerSecond, timeoutMs: 2000, accept: (answer) => answer.status === 200 });

    it("sends at the fixed rate over keep-alive connections and counts correct answers", async () => {
        connections = 0;
        const generator = load("/ok", 200);
        generator.start();
        await pollUntil("200 answers", () => (generator.records.length >= 200 ? true : undefined), { timeoutMs: 60000, intervalMs: 10 });
        const summary = summarize(await generator.finish());
        // Open loop: request n is due at start + n/rate, whatever the machine was doing; no due time is skipped.
        const dueTimes = generator.records.map((record) => record.dueAt).sort((a, b) => a - b);
        const first = dueTimes[0] ?? 0;
        assert.deepStrictEqual(
            dueTimes.map((due) => due - first),
            dueTimes.map((_, index) => index * 5),
            "due every 5 ms at 200 requests/s",
        );
        assert.strictEqual(summary.failed, 0);
        // Without keep-alive every request opens a connection; with it, no more open than were ever busy at once.
        assert.ok(
            connections <= generator.peakInFlight && connections < summary.requests,
            `${connections} connections for ${summary.requests} requests, at most ${generator.peakInFlight} in flight at once: keep-alive is not used`,
        );
    });

    it("counts wrong answers as failures and describes them", async () => {
        const generator = load("/fail", 50);
        generator.start();
        await pollUntil("an answer", () => (generator.records.length > 0 ? true : undefined), { timeoutMs: 60000, intervalMs: 5 });
        const summary = summarize(await generator.finish());
        assert.ok(summary.failed > 0 && summary.ok === 0, JSON.stringify(summary));
        assert.match(summary.failures[0] ?? "", /^HTTP 500 \(sent /);
    });

    it("stops sending when routing stops, and waits for the requests in flight", async () => {
        const generator = load("/slow", 100);
        generator.start();
        await pollUntil("18 requests sent", () => (generator.inFlight + generator.records.length >= 18 ? true : undefined), {
            timeoutMs: 60000,
            intervalMs: 5,
        });
        generator.stopRouting();
        const stoppedAt = Date.now();
        assert.ok(generator.inFlight > 0, "requests in flight when routing stops");
        const records = await generator.finish();
        assert.ok(
            records.every((record) => record.sentAt <= stoppedAt),
            "nothing is sent after routing stops",
        );
        assert.ok(
            records.every((record) => record.ok && record.completedAt - record.sentAt >= 290),
            "every slow request was waited for",
        );
        assert.ok(records.length >= 18, `${records.length} requests`);
    });

    it("counts latency from when a request was due, so a stall shows in the percentiles", () => {
        const records = [0, 1, 2, 3].map((n) => ({ dueAt: n * 10, sentAt: 100, completedAt: 101, ok: true, detail: "HTTP 200" }));
        const summary = summarize(records);
        assert.deepStrictEqual([summary.p50Ms, summary.p99Ms, summary.maxMs], [81, 101, 101]);
    });

    it("takes nearest-rank percentiles and medians", () => {
        const values = Array.from({ length: 100 }, (_, index) => index + 1);
        assert.strictEqual(percentile(values, 0.5), 50);
        assert.strictEqual(percentile(values, 0.99), 99);
        assert.strictEqual(percentile([7], 0.99), 7);
        assert.ok(Number.isNaN(percentile([], 0.5)));
        assert.strictEqual(median([5, 1, 3]), 3);
        assert.strictEqual(median([4, 1, 3, 2]), 2.5);
    });
});
