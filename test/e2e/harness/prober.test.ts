/**
 * The kubelet prober of the e2e tests, on a fake clock: if it got the kubelet's semantics
 * wrong, every runtime assertion built on it would be wrong too.
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { httpProbeCheck, KubeletProber, ProbeKind, ProbeOutcome, ProbeSpec, probeSpec } from "../support/prober";
import { FakeTimers } from "./fakeTimers";

/** The probes the program declares (see test/golden/dev/60-deployment-*.yaml). */
const startup = probeSpec("startup", { httpGet: { path: "/livez", port: "http" }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 1 });
const liveness = probeSpec("liveness", { httpGet: { path: "/livez", port: "http" }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 });
const readiness = probeSpec("readiness", { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 });

const ok: ProbeOutcome = { ok: true, detail: "HTTP 200", status: 200 };
const refused: ProbeOutcome = { ok: false, detail: "ECONNREFUSED" };
const unavailable: ProbeOutcome = { ok: false, detail: "HTTP 503", status: 503 };

/** A prober on a fake clock whose probes answer `answer(kind, now)`. */
function proberWith(specs: ProbeSpec[], answer: (kind: ProbeKind, now: number) => ProbeOutcome): { prober: KubeletProber; timers: FakeTimers } {
    const timers = new FakeTimers();
    const prober = new KubeletProber(specs, (spec) => Promise.resolve(answer(spec.kind, timers.now())), timers);
    return { prober, timers };
}

function sentTimes(prober: KubeletProber, kind: ProbeKind): number[] {
    return prober.recordsOf(kind).map((record) => record.sentAt);
}

describe("e2e harness: the kubelet prober", () => {
    it("reads a declared probe with the Kubernetes defaults for what it leaves out", () => {
        assert.deepStrictEqual(probeSpec("liveness", { httpGet: { path: "/livez", port: 8080 } }), {
            kind: "liveness",
            path: "/livez",
            initialDelaySeconds: 0,
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
        });
        assert.throws(() => probeSpec("liveness", { exec: { command: ["true"] } }), /httpGet over HTTP/);
        assert.throws(() => probeSpec("readiness", { httpGet: { path: "/", port: 8443, scheme: "HTTPS" } }), /httpGet over HTTP/);
    });

    it("probes only startup, every periodSeconds from the container start, until it succeeds; then readiness at once and liveness on its own tick", async () => {
        const { prober, timers } = proberWith([startup, liveness, readiness], (kind, now) => (kind === "startup" && now < 5000 ? refused : ok));
        prober.start(timers.now());
        await timers.advance(5999);
        assert.deepStrictEqual(sentTimes(prober, "startup"), [0, 2000, 4000]);
        assert.deepStrictEqual(sentTimes(prober, "liveness"), []);
        assert.deepStrictEqual(sentTimes(prober, "readiness"), []);
        assert.strictEqual(prober.started, false);
        assert.strictEqual(prober.ready, false);

        await timers.advance(1);
        assert.strictEqual(prober.started, true);
        assert.strictEqual(prober.ready, true);
        assert.deepStrictEqual(sentTimes(prober, "readiness"), [6000], "readiness is probed as soon as startup succeeds");

        await timers.advance(24000);
        assert.deepStrictEqual(sentTimes(prober, "startup"), [0, 2000, 4000, 6000], "startup stops once it has succeeded");
        assert.deepStrictEqual(sentTimes(prober, "liveness"), [10000, 20000, 30000]);
        assert.deepStrictEqual(sentTimes(prober, "readiness"), [6000, 10000, 15000, 20000, 25000, 30000]);
        assert.strictEqual(prober.killRequested, undefined);
        prober.stop();
    });

    it("turns ready only after successThreshold consecutive successes, and not ready only after failureThreshold consecutive failures", async () => {
        const twoToRecover = { ...readiness, successThreshold: 2 };
        const failing = new Set([5000, 20000, 30000, 35000]);
        const { prober, timers } = proberWith([twoToRecover], (_, now) => (failing.has(now) ? unavailable : ok));
        prober.start(timers.now());
        const readyAt = async (time: number): Promise<boolean> => {
            await timers.advance(time - timers.now());
            return prober.ready;
        };
        assert.strictEqual(await readyAt(0), false, "one success of the two needed");
        assert.strictEqual(await readyAt(10000), false, "the failure at 5 s broke the run");
        assert.strictEqual(await readyAt(15000), true, "successes at 10 s and 15 s");
        assert.strictEqual(await readyAt(20000), true, "one failure of the two needed");
        assert.strictEqual(await readyAt(30000), true, "the success at 25 s broke the run");
        assert.strictEqual(await readyAt(35000), false, "failures at 30 s and 35 s");
        assert.strictEqual(await readyAt(40000), false);
        assert.strictEqual(await readyAt(45000), true);
    });

    it("requests a kill only after failureThreshold consecutive liveness failures, then holds until a new container instance", async () => {
        const failing = new Set([10000, 20000, 40000, 50000, 60000]);
        const { prober, timers } = proberWith([liveness], (_, now) => (failing.has(now) ? refused : ok));
        prober.start(timers.now());
        await timers.advance(30000);
        assert.strictEqual(prober.killRequested, undefined, "two failures, then a success");
        await timers.advance(29999);
        assert.strictEqual(prober.killRequested, undefined, "two failures so far");
        await timers.advance(1);
        assert.match(String(prober.killRequested), /liveness probe \/livez failed 3 times in a row \(failureThreshold 3\), last: ECONNREFUSED/);
        await timers.advance(30000);
        assert.deepStrictEqual(sentTimes(prober, "liveness").slice(-1), [60000], "no probe while the kill is pending");

        prober.start(timers.now());
        assert.strictEqual(prober.killRequested, undefined);
        assert.strictEqual(prober.currentInstance, 2);
        await timers.advance(0);
        assert.deepStrictEqual(prober.records.slice(-1)[0]?.instance, 2);
    });

    it("requests a kill when the startup probe reaches its failureThreshold", async () => {
        const { prober, timers } = proberWith([startup, liveness, readiness], () => refused);
        prober.start(timers.now());
        await timers.advance(2000 * 29 - 1);
        assert.strictEqual(prober.killRequested, undefined);
        await timers.advance(1);
        assert.match(String(prober.killRequested), /startup probe \/livez failed 30 times/);
        assert.strictEqual(prober.recordsOf("liveness").length + prober.recordsOf("readiness").length, 0);
    });

    it("waits initialDelaySeconds from the container start, not from when probing began", async () => {
        const delayed = { ...readiness, initialDelaySeconds: 3, periodSeconds: 1 };
        const { prober, timers } = proberWith([delayed], () => ok);
        await timers.advance(1000);
        prober.start(0);
        await timers.advance(3000);
        assert.deepStrictEqual(sentTimes(prober, "readiness"), [3000, 4000]);
    });

    it("probes a restarted container from scratch: startup first, not ready until readiness passes again", async () => {
        const { prober, timers } = proberWith([startup, liveness, readiness], () => ok);
        prober.start(0);
        await timers.advance(3000);
        assert.strictEqual(prober.ready, true);
        prober.start(timers.now());
        assert.strictEqual(prober.started, false);
        assert.strictEqual(prober.ready, false);
        await timers.advance(0);
        assert.strictEqual(prober.ready, true);
        const second = prober.records.filter((record) => record.instance === 2);
        assert.deepStrictEqual(
            second.slice(0, 2).map((record) => `${record.kind} ${record.sentAt}`),
            ["startup 3000", "readiness 3000"],
        );
        assert.ok(prober.records.filter((record) => record.instance === 1).every((record) => record.sentAt < 3000));
    });

    it("drops the ticks that come while a probe is still running, as a Go ticker does", async () => {
        const timers = new FakeTimers();
        const slow = { ...readiness, periodSeconds: 1 };
        const prober = new KubeletProber(
            [slow],
            () =>
                new Promise((resolve) => {
                    timers.schedule(() => resolve(ok), 2500);
                }),
            timers,
        );
        prober.start(0);
        await timers.advance(9000);
        assert.deepStrictEqual(sentTimes(prober, "readiness"), [0, 3000, 6000], "probes are recorded when they complete, 2.5 s after being sent");
    });

    it("waits for a condition on the probes, and says what it saw when it times out", async () => {
        const { prober, timers } = proberWith([readiness], () => unavailable);
        prober.start(0);
        const waiting = prober.waitFor("ready", (p) => p.ready, 12000);
        const outcome = waiting.then(
            () => "resolved",
            (error: unknown) => String(error),
        );
        await timers.advance(12000);
        assert.match(await outcome, /timed out after 12000 ms waiting for ready; last probes: readiness HTTP 503, readiness HTTP 503, readiness HTTP 503/);
    });
});

describe("e2e harness: the kubelet's HTTP probe", () => {
    let server: http.Server;
    let port: number;

    before(async () => {
        server = http.createServer((request, response) => {
            if (request.url === "/hang") {
                return; // never answers
            }
            response.writeHead(Number(request.url?.slice(1)));
            response.end();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });

    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    const spec = (path: string, timeoutSeconds = 1): ProbeSpec => ({ ...readiness, path, timeoutSeconds });

    it("succeeds on 200 to 399 and fails on any other status, keeping the status", async () => {
        const check = httpProbeCheck({ host: "127.0.0.1", port });
        assert.deepStrictEqual(await check(spec("/200")), { ok: true, detail: "HTTP 200", status: 200 });
        assert.deepStrictEqual(await check(spec("/399")), { ok: true, detail: "HTTP 399", status: 399 });
        assert.deepStrictEqual(await check(spec("/400")), { ok: false, detail: "HTTP 400", status: 400 });
        assert.deepStrictEqual(await check(spec("/503")), { ok: false, detail: "HTTP 503", status: 503 });
    });

    it("fails on a refused connection and after timeoutSeconds without an answer", async () => {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const closedPort = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
        assert.deepStrictEqual(await httpProbeCheck({ host: "127.0.0.1", port: closedPort })(spec("/200")), { ok: false, detail: "ECONNREFUSED" });

        const started = Date.now();
        const outcome = await httpProbeCheck({ host: "127.0.0.1", port })(spec("/hang", 1));
        const elapsed = Date.now() - started;
        assert.deepStrictEqual(outcome, { ok: false, detail: "timeout after 1000 ms" });
        assert.ok(elapsed >= 990 && elapsed < 1500, `timed out after ${elapsed} ms`);
    });
});
