/**
 * Pushes an image podman built to a plain-HTTP registry (the cluster's, on 127.0.0.1) and hands
 * back the digest the registry stored, so that the cluster can run it by digest. One place for
 * it: npm run up:local (scripts/local.ts) and the e2e tests push the same way.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runChecked } from "./command";

/**
 * `podman push` of `source` (a local image, for example `localhost/go-services/hello:dev`) to
 * `destination` (`host:port/repository:tag`, without a transport); resolves with the pushed
 * manifest's digest (`sha256:...`). Rejects with a CommandError quoting podman's stderr.
 * PODMAN_RUNTIME names the OCI runtime (default runc: podman's default, crun, fails on these machines).
 */
export async function pushImage(source: string, destination: string): Promise<string> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-push-"));
    try {
        const digestFile = path.join(directory, "digest");
        await runChecked([
            "podman",
            "--runtime",
            process.env.PODMAN_RUNTIME ?? "runc",
            "push",
            "--quiet",
            "--tls-verify=false",
            "--digestfile",
            digestFile,
            source,
            `docker://${destination}`,
        ]);
        return fs.readFileSync(digestFile, "utf8").trim();
    } finally {
        fs.rmSync(directory, { recursive: true, force: true });
    }
}
