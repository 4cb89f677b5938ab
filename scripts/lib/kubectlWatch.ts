/**
 * `kubectl get … --watch --output jsonpath=<template>`: one stream of the API server's watch
 * events rather than polls, which can miss a short-lived state. The template ends each event's
 * line with a newline; every complete line is handed on as it arrives.
 */
import { ChildProcess, spawn } from "child_process";

/** A running watch. */
export interface KubectlWatch {
    readonly child: ChildProcess;
    /** What kubectl has written to stderr so far. */
    readonly stderr: () => string;
    /** Ends the watch. */
    readonly stop: () => void;
}

/** Starts `kubectl get <args> --watch` printing `template` per event, and calls `onLine` for each line. */
export function kubectlWatch(args: readonly string[], template: string, onLine: (line: string) => void): KubectlWatch {
    const child = spawn("kubectl", ["get", ...args, "--watch", "--output", `jsonpath=${template}`], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let buffered = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
            onLine(line.trim());
        }
    });
    return { child, stderr: () => stderr, stop: () => child.kill() };
}
