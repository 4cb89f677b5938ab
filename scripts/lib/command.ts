/**
 * Runs a program to completion and hands back its exit code and output. One place for it, for
 * the scripts and the tests, so that every failure message quotes what the program said on
 * stderr instead of "Command failed".
 */
import { spawn } from "child_process";

/** What a finished program left behind. */
export interface CommandResult {
    /** Exit code; -1 when a signal ended the program. */
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface CommandOptions {
    /** Written to the program's stdin, which is then closed. Default: nothing. */
    readonly input?: string;
    /** Working directory. Default: this process's. */
    readonly cwd?: string;
    /** Extra environment variables. */
    readonly env?: Readonly<Record<string, string>>;
    /** User and group IDs to run as (no supplementary groups); needs the privilege to change them. Default: this process's. */
    readonly uid?: number;
    readonly gid?: number;
}

/** A program exited non-zero. */
export class CommandError extends Error {
    constructor(
        readonly command: readonly string[],
        readonly result: CommandResult,
    ) {
        super(`${command.join(" ")} exited ${result.code}: ${lastLines(result.stderr || result.stdout, 20)}`);
        this.name = "CommandError";
    }
}

/** Runs `command` and resolves when it exits, whatever its exit code. */
export function runCommand(command: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
    const [program, ...args] = command;
    if (program === undefined) {
        return Promise.reject(new Error("runCommand: empty command"));
    }
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, {
            cwd: options.cwd,
            env: options.env ? { ...process.env, ...options.env } : process.env,
            uid: options.uid,
            gid: options.gid,
            stdio: ["pipe", "pipe", "pipe"],
        });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", reject);
        child.on("close", (code) => {
            resolve({ code: code ?? -1, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
        });
        // A program that exits without reading its input closes the pipe first: not an error of ours.
        child.stdin.on("error", (error: NodeJS.ErrnoException) => {
            if (error.code !== "EPIPE") {
                reject(error);
            }
        });
        child.stdin.end(options.input ?? "");
    });
}

/** Runs `command` and resolves with its stdout; rejects with a {@link CommandError} on a non-zero exit. */
export async function runChecked(command: readonly string[], options: CommandOptions = {}): Promise<string> {
    const result = await runCommand(command, options);
    if (result.code !== 0) {
        throw new CommandError(command, result);
    }
    return result.stdout;
}

/** The last `count` non-empty lines of a text, for error messages. */
export function lastLines(text: string, count: number): string {
    return text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .slice(-count)
        .join("\n");
}
