/**
 * Loaded by test/e2e/.mocharc.json before any test: without a running test cluster, stop at
 * once with one message saying how to get one, rather than with a stack trace from the first
 * kubectl call.
 */
import { spawnSync } from "child_process";

function problems(): string[] {
    if (process.platform !== "linux") {
        return [`this is ${process.platform}: the test cluster runs containerd and the kubelet on Linux`];
    }
    const found: string[] = [];
    if (!process.env.KUBECONFIG || !process.env.GO_SERVICES_REGISTRY || !process.env.GO_SERVICES_CLUSTER_DIR) {
        found.push("no test cluster in the environment (KUBECONFIG, GO_SERVICES_REGISTRY, GO_SERVICES_CLUSTER_DIR are what `scripts/cluster env` exports)");
        return found;
    }
    const version = spawnSync("kubectl", ["version", "--output=json"], { encoding: "utf8" });
    if (version.status !== 0) {
        found.push(`kubectl version fails: ${(version.stderr || version.stdout).trim().split("\n").slice(-3).join(" ")}`);
    }
    for (const command of ["podman", "go"]) {
        if (spawnSync("sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" }).status !== 0) {
            found.push(`${command} is not installed: scripts/build-images builds the service images with it`);
        }
    }
    return found;
}

const found = problems();
if (found.length > 0) {
    process.stderr.write(
        [
            "the end-to-end tests cannot run:",
            ...found.map((problem) => `  - ${problem}`),
            "",
            "Run them with `npm run test:e2e`, which starts the test cluster (scripts/cluster exec) and stops it after,",
            'or start one by hand: scripts/cluster up && eval "$(scripts/cluster env)" && npx mocha --config test/e2e/.mocharc.json',
            "",
        ].join("\n"),
    );
    process.exit(1);
}
