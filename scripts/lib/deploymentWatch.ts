/**
 * When every Deployment of a stack became Available, as the cluster reports it: for the engine
 * tests' and `npm run bench:engine`'s "up start to all Deployments Available".
 */
import { spawn } from "child_process";

/** A watch of a namespace's Deployments until each named one reports Available. */
export interface AvailabilityWatch {
    /** When the watch saw every named Deployment Available (ms since the epoch), or undefined if it has not yet. */
    readonly availableAt: () => number | undefined;
    /** Ends the watch. */
    readonly stop: () => void;
}

/**
 * Watches (`kubectl get --watch`, one stream rather than polls) the Deployments of a namespace,
 * which may not exist yet, and notes when each of `names` has been seen Available.
 */
export function watchAvailability(namespace: string, names: readonly string[]): AvailabilityWatch {
    const template = '{.metadata.name}{" "}{.status.conditions[?(@.type=="Available")].status}{"\\n"}';
    const child = spawn("kubectl", ["get", "deployments", "--namespace", namespace, "--watch", "--output", `jsonpath=${template}`], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    const available = new Map<string, boolean>();
    let availableAt: number | undefined;
    let buffered = "";
    let stderr = "";
    let stopped = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
            const [name = "", status = ""] = line.trim().split(" ");
            available.set(name, status === "True");
        }
        if (availableAt === undefined && names.every((name) => available.get(name) === true)) {
            availableAt = Date.now();
        }
    });
    child.on("exit", (code) => {
        if (!stopped) {
            process.stderr.write(`kubectl get deployments --watch in ${namespace} ended (${String(code)}): ${stderr.trim()}\n`);
        }
    });
    return {
        availableAt: () => availableAt,
        stop: () => {
            stopped = true;
            child.kill();
        },
    };
}
