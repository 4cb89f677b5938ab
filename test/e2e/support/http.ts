/**
 * HTTP GETs with a deadline for the whole exchange, resolving with the answer or with the
 * network error's code instead of throwing (a refused connection is an outcome the tests look
 * at): one as the kubelet's HTTP prober makes it, or over a client's keep-alive agent, and one
 * held in flight for as long as a test needs.
 */
import * as http from "http";
import * as net from "net";

/** The answer to a GET, or why there was none. */
export type HttpOutcome =
    | { readonly kind: "response"; readonly status: number; readonly contentType: string; readonly body: string }
    | { readonly kind: "error"; readonly code: string; readonly reusedConnection?: boolean };

/** Where to send a request. */
export interface HttpTarget {
    readonly host: string;
    readonly port: number;
}

/** GETs `path` from `target`; `timeoutMs` bounds connect, headers and body together. */
export function httpGet(target: HttpTarget, path: string, timeoutMs: number, agent: http.Agent | false = false): Promise<HttpOutcome> {
    return new Promise((resolve) => {
        let settled = false;
        const settle = (outcome: HttpOutcome): void => {
            if (!settled) {
                settled = true;
                clearTimeout(deadline);
                resolve(outcome);
            }
        };
        const request = http.get({ host: target.host, port: target.port, path, agent }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => {
                settle({
                    kind: "response",
                    status: response.statusCode ?? 0,
                    contentType: response.headers["content-type"] ?? "",
                    body: Buffer.concat(chunks).toString("utf8"),
                });
            });
            response.on("error", (error: NodeJS.ErrnoException) => settle({ kind: "error", code: error.code ?? error.message }));
        });
        const deadline = setTimeout(() => {
            settle({ kind: "error", code: `timeout after ${timeoutMs} ms` });
            request.destroy();
        }, timeoutMs);
        // A request that fails on a keep-alive connection it reused met a connection the
        // server was closing: say so, it is the classic keep-alive race.
        request.on("error", (error: NodeJS.ErrnoException) =>
            settle({ kind: "error", code: error.code ?? error.message, reusedConnection: request.reusedSocket }),
        );
    });
}

/** A request sent in two parts; see {@link slowGet}. */
export interface SlowRequest {
    /** Resolves once the first part (all but the blank line ending the headers) has been written. */
    readonly started: Promise<void>;
    /** The answer, once the rest was sent on `finish` and the answer has arrived. */
    readonly outcome: Promise<HttpOutcome>;
}

/**
 * A GET over a connection of its own whose headers are written up to the blank line that
 * ends them, and that line only once `finish` resolves: a request that is in flight, with
 * its connection accepted and its headers arriving, for as long as the test wants.
 */
export function slowGet(target: HttpTarget, path: string, finish: Promise<void>, timeoutMs: number): SlowRequest {
    const socket = net.connect(target.port, target.host);
    let received = Buffer.alloc(0);
    const started = new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.once("connect", () =>
            socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUser-Agent: go-services-e2e\r\n`, () => resolve()),
        );
    });
    const outcome = new Promise<HttpOutcome>((resolve) => {
        const deadline = setTimeout(() => done({ kind: "error", code: `timeout after ${timeoutMs} ms` }), timeoutMs);
        function done(result: HttpOutcome): void {
            clearTimeout(deadline);
            socket.destroy();
            resolve(result);
        }
        /** The answer, once complete; `closed`: the server has closed the connection. */
        const parsed = (closed: boolean): HttpOutcome | undefined => {
            const end = received.indexOf("\r\n\r\n");
            if (end < 0) {
                return undefined;
            }
            const [statusLine = "", ...headerLines] = received.subarray(0, end).toString("latin1").split("\r\n");
            const header = (name: string): string | undefined =>
                headerLines
                    .find((line) => line.toLowerCase().startsWith(`${name}:`))
                    ?.slice(name.length + 1)
                    .trim();
            const body = bodyOf(received.subarray(end + 4), header("content-length"), header("transfer-encoding"), closed);
            return body === undefined
                ? undefined
                : { kind: "response", status: Number(statusLine.split(" ")[1]), contentType: header("content-type") ?? "", body };
        };
        socket.on("data", (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            const result = parsed(false);
            if (result) {
                done(result);
            }
        });
        socket.on("error", (error: NodeJS.ErrnoException) => done({ kind: "error", code: error.code ?? error.message }));
        socket.on("end", () => done(parsed(true) ?? { kind: "error", code: `connection closed after ${received.length} bytes without a complete answer` }));
        void started.then(
            () => finish.then(() => socket.write("\r\n")),
            () => undefined,
        );
    });
    return { started, outcome };
}

/** The body of an answer once all of it has arrived: by Content-Length, chunked, or up to the close. */
function bodyOf(data: Buffer, contentLength: string | undefined, transferEncoding: string | undefined, closed: boolean): string | undefined {
    if (transferEncoding?.toLowerCase() === "chunked") {
        const chunks: Buffer[] = [];
        let offset = 0;
        for (;;) {
            const lineEnd = data.indexOf("\r\n", offset);
            if (lineEnd < 0) {
                return undefined;
            }
            const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
            if (size === 0) {
                return Buffer.concat(chunks).toString("utf8");
            }
            if (data.length < lineEnd + 2 + size + 2) {
                return undefined;
            }
            chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
            offset = lineEnd + 2 + size + 2;
        }
    }
    if (contentLength !== undefined) {
        const length = Number(contentLength);
        return data.length >= length ? data.subarray(0, length).toString("utf8") : undefined;
    }
    return closed ? data.toString("utf8") : undefined;
}

/** A one-line description of an outcome for messages: "HTTP 503" or "ECONNREFUSED". */
export function describeOutcome(outcome: HttpOutcome): string {
    if (outcome.kind === "response") {
        return `HTTP ${outcome.status}`;
    }
    return outcome.reusedConnection === true ? `${outcome.code} on a reused keep-alive connection` : outcome.code;
}
