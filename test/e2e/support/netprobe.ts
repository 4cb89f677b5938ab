/**
 * The network probe the e2e tests connect from inside pods: tools/netprobe (a static Go
 * program built by scripts/build-tools) in a FROM scratch image built here with podman and
 * pushed to the cluster's registry. It runs as a pod of its own in a namespace the test
 * chooses, or as an ephemeral container inside a service's pod, whose network namespace,
 * and so whose NetworkPolicy, it then shares.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runChecked } from "../../../scripts/lib/command";
import { projectRoot } from "../../../scripts/lib/evaluate";
import { getObject, kubectl, kubectlResult, PodState, podReady, pushImages } from "./cluster";
import { pollUntil } from "./wait";

/** What one connection attempt from inside a pod saw. */
export type ProbeOutcome = "accepted" | "refused" | "timeout";

/** How long a connection attempt may take: a policy rejects at once, and a drop shows as a timeout. */
const connectTimeoutMs = 2000;

/** The container name of the probe, as a pod of its own or as an ephemeral container. */
const probeContainer = "netprobe";

/** The uid:gid the probe runs as: the services' (a restricted namespace admits it). */
const probeUser = 65532;

/** Builds the probe image (tools/netprobe, FROM scratch) and pushes it; resolves with `registry/repo@sha256:...`. */
export async function buildProbeImage(): Promise<string> {
    const bin = (await runChecked([path.join(projectRoot, "scripts", "build-tools"), "netprobe"])).trim();
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-e2e-netprobe-"));
    const image = "localhost/go-services/e2e-netprobe:1";
    try {
        fs.copyFileSync(path.join(bin, "netprobe"), path.join(context, "netprobe"));
        fs.chmodSync(path.join(context, "netprobe"), 0o755);
        fs.writeFileSync(
            path.join(context, "Containerfile"),
            `FROM scratch\nCOPY netprobe /netprobe\nUSER ${probeUser}:${probeUser}\nENTRYPOINT ["/netprobe"]\n`,
        );
        await runChecked(["podman", "--runtime", process.env.PODMAN_RUNTIME ?? "runc", "build", "--quiet", "--tag", image, context]);
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
    }
    const [reference] = await pushImages([image]);
    assert.ok(reference, "the probe image was not pushed");
    return reference;
}

/** The restricted security context every probe container runs with. */
const restrictedContainer = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: probeUser,
    runAsGroup: probeUser,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/**
 * Runs a probe pod (`args` to netprobe: none to idle, `listen PORT` to accept connections)
 * and resolves with its IP once it is ready.
 */
export async function startProbePod(namespace: string, name: string, image: string, args: readonly string[] = []): Promise<string> {
    const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace, labels: { "app.kubernetes.io/name": "e2e-netprobe" } },
        spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: probeContainer, image, args, securityContext: restrictedContainer }],
        },
    };
    await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
    const ready = await pollUntil(
        `probe pod ${namespace}/${name} to be ready`,
        async () => {
            const state = await getObject<PodState>(["pod", name, "--namespace", namespace]);
            return podReady(state) && state.status.podIP ? state : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
    );
    return ready.status.podIP ?? "";
}

/** Adds the probe to a running pod as an ephemeral container (kubectl debug), and waits until it runs. */
export async function attachProbe(namespace: string, pod: string, image: string): Promise<void> {
    const existing = await getObject<{ status: { ephemeralContainerStatuses?: { name: string }[] } }>(["pod", pod, "--namespace", namespace]);
    if (!existing.status.ephemeralContainerStatuses?.some((status) => status.name === probeContainer)) {
        await kubectl([
            "debug",
            `pod/${pod}`,
            "--namespace",
            namespace,
            `--image=${image}`,
            `--container=${probeContainer}`,
            "--profile=restricted",
            "--quiet",
        ]);
    }
    await pollUntil(
        `the ephemeral probe container of ${namespace}/${pod} to run`,
        async () => {
            const state = await getObject<{ status: { ephemeralContainerStatuses?: { name: string; state?: { running?: unknown } }[] } }>([
                "pod",
                pod,
                "--namespace",
                namespace,
            ]);
            return state.status.ephemeralContainerStatuses?.find((status) => status.name === probeContainer)?.state?.running ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
    );
}

/** One TCP connection attempt from inside `pod` (its probe container) to host:port. */
export async function probeConnect(namespace: string, pod: string, host: string, port: number): Promise<ProbeOutcome> {
    const result = await kubectlResult([
        "exec",
        pod,
        "--namespace",
        namespace,
        "--container",
        probeContainer,
        "--",
        "/netprobe",
        "connect",
        `${host}:${port}`,
        String(connectTimeoutMs),
    ]);
    const outcome = result.stdout.trim();
    if ((result.code === 0 && outcome === "accepted") || (result.code === 1 && (outcome === "refused" || outcome === "timeout"))) {
        return outcome;
    }
    throw new Error(`netprobe in ${namespace}/${pod} connecting to ${host}:${port} exited ${result.code}: ${result.stdout}${result.stderr}`);
}
