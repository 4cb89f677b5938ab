/**
 * What the kernel says about a container's process, read from the host: its credentials and
 * capabilities (/proc/<pid>/status), its cgroup's limits and memory use, and whether it can
 * write to a path. These are the facts the runtime assertions rest on; the manifest only says
 * what was asked for.
 */
import * as fs from "fs";
import * as path from "path";
import { runChecked } from "../../../scripts/lib/command";

/** The credentials and confinement of a process. */
export interface ProcessStatus {
    /** Real, effective, saved and filesystem user IDs. */
    readonly uids: readonly number[];
    /** Real, effective, saved and filesystem group IDs. */
    readonly gids: readonly number[];
    /** Supplementary groups. */
    readonly groups: readonly number[];
    /** Capability sets, as bit masks. */
    readonly capabilities: {
        readonly inheritable: bigint;
        readonly permitted: bigint;
        readonly effective: bigint;
        readonly bounding: bigint;
        readonly ambient: bigint;
    };
    /** no_new_privs: set when allowPrivilegeEscalation is false. */
    readonly noNewPrivs: boolean;
    /** 0 none, 1 strict, 2 filter (a seccomp profile is applied). */
    readonly seccompMode: number;
    /** Resident set size, KiB. */
    readonly vmRssKiB: number;
}

function statusFields(pid: number): Map<string, string> {
    const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return new Map(
        text
            .split("\n")
            .filter((line) => line.includes(":"))
            .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
    );
}

function field(fields: Map<string, string>, name: string, pid: number): string {
    const value = fields.get(name);
    if (value === undefined) {
        throw new Error(`/proc/${pid}/status has no ${name} line`);
    }
    return value;
}

function numbers(text: string): number[] {
    return text
        .split(/\s+/)
        .filter((word) => word !== "")
        .map(Number);
}

/** Reads /proc/<pid>/status. */
export function processStatus(pid: number): ProcessStatus {
    const fields = statusFields(pid);
    const capability = (name: string): bigint => BigInt(`0x${field(fields, name, pid)}`);
    return {
        uids: numbers(field(fields, "Uid", pid)),
        gids: numbers(field(fields, "Gid", pid)),
        groups: numbers(fields.get("Groups") ?? ""),
        capabilities: {
            inheritable: capability("CapInh"),
            permitted: capability("CapPrm"),
            effective: capability("CapEff"),
            bounding: capability("CapBnd"),
            ambient: capability("CapAmb"),
        },
        noNewPrivs: field(fields, "NoNewPrivs", pid) === "1",
        seccompMode: Number(field(fields, "Seccomp", pid)),
        vmRssKiB: Number(field(fields, "VmRSS", pid).replace(/\s*kB$/, "")),
    };
}

/** True while the process exists and has not exited (a zombie has exited). */
export function processAlive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // The state follows the command name, which is in parentheses and may hold spaces.
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}

/** The memory and CPU controllers of a process's cgroup, on cgroup v1 or v2. */
export interface Cgroup {
    readonly version: 1 | 2;
    readonly memoryDirectory: string;
    readonly cpuDirectory: string;
}

const cgroupRoot = "/sys/fs/cgroup";

/** Finds a process's cgroup directories from /proc/<pid>/cgroup. */
export function cgroupOf(pid: number): Cgroup {
    const lines = fs
        .readFileSync(`/proc/${pid}/cgroup`, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
            const [, controllers = "", ...rest] = line.split(":");
            return { controllers, path: rest.join(":") };
        });
    const v1 = (controller: string): string | undefined => {
        const line = lines.find((candidate) => candidate.controllers.split(",").includes(controller));
        if (!line) {
            return undefined;
        }
        const combined = path.join(cgroupRoot, line.controllers, line.path);
        return fs.existsSync(combined) ? combined : path.join(cgroupRoot, controller, line.path);
    };
    const memory = v1("memory");
    const cpu = v1("cpu");
    if (memory && cpu) {
        return { version: 1, memoryDirectory: memory, cpuDirectory: cpu };
    }
    const unified = lines.find((line) => line.controllers === "");
    if (!unified) {
        throw new Error(`/proc/${pid}/cgroup names neither the v1 memory and cpu controllers nor a v2 cgroup`);
    }
    const directory = path.join(cgroupRoot, unified.path);
    return { version: 2, memoryDirectory: directory, cpuDirectory: directory };
}

function readCgroupFile(directory: string, file: string): string {
    return fs.readFileSync(path.join(directory, file), "utf8").trim();
}

/** The memory limit in bytes, or "max" for none. */
export function memoryLimit(cgroup: Cgroup): number | "max" {
    const text = readCgroupFile(cgroup.memoryDirectory, cgroup.version === 1 ? "memory.limit_in_bytes" : "memory.max");
    // cgroup v1 writes "no limit" as the largest page-aligned 64-bit value.
    return text === "max" || BigInt(text) >= 2n ** 62n ? "max" : Number(text);
}

/** The CFS quota and period in µs: quota / period CPUs at most; quota "max" for no limit. */
export function cpuLimit(cgroup: Cgroup): { readonly quotaUs: number | "max"; readonly periodUs: number } {
    if (cgroup.version === 2) {
        const [quota = "max", period = "100000"] = readCgroupFile(cgroup.cpuDirectory, "cpu.max").split(" ");
        return { quotaUs: quota === "max" ? "max" : Number(quota), periodUs: Number(period) };
    }
    const quota = Number(readCgroupFile(cgroup.cpuDirectory, "cpu.cfs_quota_us"));
    return { quotaUs: quota < 0 ? "max" : quota, periodUs: Number(readCgroupFile(cgroup.cpuDirectory, "cpu.cfs_period_us")) };
}

/** Memory charged to the cgroup now, bytes. */
export function memoryUsage(cgroup: Cgroup): number {
    return Number(readCgroupFile(cgroup.memoryDirectory, cgroup.version === 1 ? "memory.usage_in_bytes" : "memory.current"));
}

/** The most memory ever charged to the cgroup, bytes, when the kernel keeps it (v1; v2 from Linux 5.19). */
export function memoryPeak(cgroup: Cgroup): number | undefined {
    const file = cgroup.version === 1 ? "memory.max_usage_in_bytes" : "memory.peak";
    return fs.existsSync(path.join(cgroup.memoryDirectory, file)) ? Number(readCgroupFile(cgroup.memoryDirectory, file)) : undefined;
}

/** How many processes of the cgroup the OOM killer has killed. */
export function oomKills(cgroup: Cgroup): number {
    const text = readCgroupFile(cgroup.memoryDirectory, cgroup.version === 1 ? "memory.oom_control" : "memory.events");
    const line = text.split("\n").find((candidate) => candidate.startsWith("oom_kill "));
    if (line === undefined) {
        throw new Error(`${cgroup.memoryDirectory}: no oom_kill counter (this kernel is older than 4.13)`);
    }
    return Number(line.split(" ")[1]);
}

/**
 * Tries to create `file` as uid:gid with no supplementary groups (as `setpriv --reuid --regid
 * --clear-groups` would; libuv drops the groups when it changes the IDs), and resolves with
 * "ok" or the error code (EROFS, EACCES...); rejects, quoting its stderr, when the probe itself
 * fails (node cannot run as uid:gid, for one). Run from the host with a path under
 * /proc/<pid>/root, the path is resolved in the container's mount namespace, through the
 * container's own mounts and their flags: the kernel checks that a mount is read-only
 * (EROFS) before it checks permissions (EACCES), so EROFS on a directory the user owns can
 * only come from a read-only mount.
 */
export function tryCreateFileAs(uid: number, gid: number, file: string): Promise<string> {
    const script =
        'try { require("fs").writeFileSync(process.argv[1], "e2e\\n", { flag: "wx" }); process.stdout.write("ok"); } catch (error) { process.stdout.write(String(error.code || error)); }';
    return runChecked([process.execPath, "-e", script, file], { uid, gid });
}
