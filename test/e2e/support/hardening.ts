/**
 * The hardening a pod spec declares, checked against what the kernel applied to the running
 * process: the same assertions after the first start and after every restart, since a
 * restarted container must come back exactly as confined as the first one.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseQuantity, wholeUnits } from "../../../components/quantity";
import { DeclaredWorkload } from "./deployments";
import { cgroupOf, cpuLimit, memoryLimit, processStatus, tryCreateFileAs } from "./runtime";

/** The distroless nonroot user and group every service runs as. */
export const nonrootId = 65532;

/** The user and groups the pod spec asks for (container settings override the pod's). */
function declaredIdentity(workload: DeclaredWorkload): { user: number; group: number; fsGroup: number | undefined } {
    const user = workload.container.securityContext?.runAsUser ?? workload.pod.securityContext?.runAsUser;
    const group = workload.container.securityContext?.runAsGroup ?? workload.pod.securityContext?.runAsGroup;
    assert.strictEqual(user, nonrootId, `${workload.stack}/${workload.service}: the manifest's runAsUser`);
    assert.strictEqual(group, nonrootId, `${workload.stack}/${workload.service}: the manifest's runAsGroup`);
    return { user, group, fsGroup: workload.pod.securityContext?.fsGroup };
}

/**
 * The process runs as the declared user and group with no capability in any set, no way to
 * gain privileges, and a seccomp filter.
 */
export function assertConfined(workload: DeclaredWorkload, pid: number): void {
    const { user, group, fsGroup } = declaredIdentity(workload);
    const security = workload.container.securityContext;
    assert.deepStrictEqual(security?.capabilities?.drop, ["ALL"], "the manifest drops every capability");
    assert.deepStrictEqual(security.capabilities.add ?? [], [], "the manifest adds no capability");
    assert.strictEqual(security.allowPrivilegeEscalation, false, "the manifest forbids privilege escalation");
    const seccomp = security.seccompProfile?.type ?? workload.pod.securityContext?.seccompProfile?.type;
    assert.strictEqual(seccomp, "RuntimeDefault", "the manifest asks for the runtime's seccomp profile");

    const status = processStatus(pid);
    assert.deepStrictEqual(status.uids, [user, user, user, user], `/proc/${pid}/status Uid (real, effective, saved, fs)`);
    assert.deepStrictEqual(status.gids, [group, group, group, group], `/proc/${pid}/status Gid (real, effective, saved, fs)`);
    const allowedGroups = new Set([group, ...(fsGroup === undefined ? [] : [fsGroup])]);
    assert.ok(
        status.groups.every((id) => allowedGroups.has(id)),
        `/proc/${pid}/status Groups ${status.groups.join(" ")}: only ${[...allowedGroups].join(", ")} allowed`,
    );
    assert.deepStrictEqual(
        status.capabilities,
        { inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n },
        `/proc/${pid}/status capabilities`,
    );
    assert.strictEqual(status.noNewPrivs, true, `/proc/${pid}/status NoNewPrivs`);
    assert.strictEqual(status.seccompMode, 2, `/proc/${pid}/status Seccomp (2: a filter is applied)`);
}

/**
 * The root filesystem is read-only and /tmp is writable, for the process's own user. With no
 * shell in the image, the writes go through /proc/<pid>/root, which resolves paths in the
 * container's mount namespace: the container's root mount with its read-only flag, and its
 * /tmp mount. The file written to /tmp is then looked for in the source of the container's
 * /tmp mount, which shows that the path really went through the container's
 * mounts; the failed write is tried in the working directory, which the user owns, so that
 * only the read-only mount (EROFS), not file permissions (EACCES), can refuse it. `tmpSource`
 * is where the node keeps the pod's /tmp volume (the kubelet's emptyDir folder).
 */
export async function assertReadOnlyRoot(workload: DeclaredWorkload, pid: number, tmpSource: string): Promise<void> {
    assert.strictEqual(workload.container.securityContext?.readOnlyRootFilesystem, true, "the manifest asks for a read-only root filesystem");
    const { user, group } = declaredIdentity(workload);
    const root = `/proc/${pid}/root`;
    const probeName = `e2e-write-probe-${crypto.randomBytes(6).toString("hex")}`;

    const workingDirectory = fs.readlinkSync(`/proc/${pid}/cwd`);
    assert.strictEqual(fs.statSync(`${root}${workingDirectory}`).uid, user, `the working directory ${workingDirectory} belongs to the process's user`);
    assert.strictEqual(await tryCreateFileAs(user, group, path.join(root, workingDirectory, probeName)), "EROFS", `creating a file in ${workingDirectory}`);
    assert.strictEqual(await tryCreateFileAs(user, group, path.join(root, probeName)), "EROFS", "creating a file in /");

    assert.strictEqual(await tryCreateFileAs(user, group, path.join(root, "tmp", probeName)), "ok", "creating a file in /tmp");
    const landed = path.join(tmpSource, probeName);
    try {
        assert.ok(fs.existsSync(landed), `the file written to /tmp is not in the source of the container's /tmp mount, ${tmpSource}`);
    } finally {
        fs.rmSync(landed, { force: true });
    }
}

/** The declared limits of the container, in the units cgroups use. */
export function declaredLimits(workload: DeclaredWorkload): { memoryBytes: number; milliCpus: number } {
    const limits = workload.container.resources?.limits ?? {};
    const memory = parseQuantity(limits.memory);
    const cpu = parseQuantity(limits.cpu);
    assert.ok(memory && cpu, `${workload.stack}/${workload.service}: the manifest declares no memory or cpu limit: ${JSON.stringify(limits)}`);
    return { memoryBytes: Number(wholeUnits(memory)), milliCpus: Number(wholeUnits(cpu, { numerator: 1000n, denominator: 1n })) };
}

/** The container's cgroup enforces the memory and CPU limits of the manifest, as the kubelet configured them. */
export function assertLimits(workload: DeclaredWorkload, pid: number): void {
    const { memoryBytes, milliCpus } = declaredLimits(workload);
    const cgroup = cgroupOf(pid);
    assert.strictEqual(memoryLimit(cgroup), memoryBytes, `memory limit of cgroup ${cgroup.memoryDirectory}`);
    const cpu = cpuLimit(cgroup);
    assert.notStrictEqual(cpu.quotaUs, "max", `cgroup ${cgroup.cpuDirectory} has no CPU quota`);
    assert.strictEqual(Number(cpu.quotaUs) * 1000, milliCpus * cpu.periodUs, `CPU quota ${String(cpu.quotaUs)} µs per ${cpu.periodUs} µs is not ${milliCpus}m`);
}
