/**
 * When every Deployment of a stack became Available, as the cluster reports it: for the engine
 * tests' and `npm run bench:engine`'s "up start to all Deployments Available".
 */
import { kubectlWatch } from "./kubectlWatch";

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
    const available = new Map<string, boolean>();
    let availableAt: number | undefined;
    let stopped = false;
    const watch = kubectlWatch(
        ["deployments", "--namespace", namespace],
        '{.metadata.name}{" "}{.status.conditions[?(@.type=="Available")].status}{"\\n"}',
        (line) => {
            const [name = "", status = ""] = line.split(" ");
            available.set(name, status === "True");
            if (availableAt === undefined && names.every((known) => available.get(known) === true)) {
                availableAt = Date.now();
            }
        },
    );
    watch.child.on("exit", (code) => {
        if (!stopped) {
            process.stderr.write(`kubectl get deployments --watch in ${namespace} ended (${String(code)}): ${watch.stderr().trim()}\n`);
        }
    });
    return {
        availableAt: () => availableAt,
        stop: () => {
            stopped = true;
            watch.stop();
        },
    };
}
