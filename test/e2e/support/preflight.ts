/**
 * Loaded by test/e2e/.mocharc.json before any test: on a machine that cannot run the e2e
 * tests, stop at once with one message saying what to install, rather than with a stack
 * trace from the first podman call.
 */
import { spawnSync } from "child_process";
import { podmanRuntime, podmanSync } from "./podman";

const installation = [
    "    apt-get update && apt-get install -y podman runc busybox-static",
    "    mkdir -p /etc/containers",
    `    printf '[containers]\\ndefault_ulimits = []\\n[engine]\\ncgroup_manager = "cgroupfs"\\n' > /etc/containers/containers.conf`,
];

/** Tools the run needs (scripts/build-images and scripts/base-images included), and where they come from. */
const tools: readonly { readonly command: string; readonly from: string }[] = [
    { command: "podman", from: "apt-get install -y podman" },
    { command: podmanRuntime, from: `apt-get install -y ${podmanRuntime}` },
    { command: "busybox", from: "apt-get install -y busybox-static" },
    { command: "curl", from: "apt-get install -y curl" },
    { command: "go", from: "Go 1.26 (https://go.dev/dl/) on the PATH: scripts/base-images copies it into the builder image" },
];

function onPath(command: string): boolean {
    return spawnSync("sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" }).status === 0;
}

function problems(): string[] {
    if (process.platform !== "linux") {
        return [`this is ${process.platform}: the e2e tests run containers with podman on Linux`];
    }
    const found: string[] = [];
    if (process.getuid?.() !== 0) {
        found.push("not running as root: the tests use rootful podman, publish host ports, and read containers' /proc and cgroup files");
    }
    for (const tool of tools) {
        if (!onPath(tool.command)) {
            found.push(`${tool.command} is not installed: ${tool.from}`);
        }
    }
    if (found.length === 0) {
        const info = podmanSync(["info", "--format", "{{.Host.CgroupManager}}"]);
        if (info.status !== 0) {
            found.push(`podman --runtime ${podmanRuntime} info fails: ${(info.stderr || info.stdout).trim().split("\n").slice(-3).join(" ")}`);
        }
    }
    return found;
}

const found = problems();
if (found.length > 0) {
    process.stderr.write(
        [
            "npm run test:e2e: this machine cannot run the end-to-end tests:",
            ...found.map((problem) => `  - ${problem}`),
            "",
            "They run each stack's Deployments with podman and runc (cgroupfs). On Debian or Ubuntu, as root:",
            ...installation,
            "",
        ].join("\n"),
    );
    process.exit(1);
}
