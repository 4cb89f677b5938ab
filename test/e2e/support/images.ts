/**
 * The service images the e2e tests run, built the one way the project builds them:
 * scripts/build-images (the golden Dockerfile, local stand-in base images), without its
 * checks, which it runs on its own. Its report gives the image sizes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lastLines, runChecked, runCommand } from "../../../scripts/lib/command";
import { projectRoot } from "../../../scripts/lib/evaluate";
import { arrayAt, numberAt, stringAt } from "./json";

/** The tag of the images the e2e tests build; also the VERSION stamped in the binaries. */
export const e2eImageTag = "e2e";

/** A built image. */
export interface BuiltImage {
    readonly service: string;
    /** localhost/go-services/<service>:<tag> */
    readonly image: string;
    readonly imageBytes: number;
}

/** What a build produced and how long it took. */
export interface ImageBuild {
    readonly images: ReadonlyMap<string, BuiltImage>;
    /** Wall time of scripts/build-images for all the services, base images included, ms. */
    readonly durationMs: number;
    /** The command that was run, for the figures. */
    readonly command: string;
}

/**
 * Builds the images of `services` with scripts/build-images, tagged (and stamped) `tag`, and
 * reads its report; from services/, or from `servicesDir`, a folder laid out like it.
 */
export async function buildServiceImages(services: readonly string[], tag: string = e2eImageTag, servicesDir?: string): Promise<ImageBuild> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-e2e-build-"));
    const report = path.join(directory, "images.json");
    const command = [
        "scripts/build-images",
        "--no-checks",
        "--tag",
        tag,
        "--report",
        report,
        ...(servicesDir === undefined ? [] : ["--services-dir", servicesDir]),
        ...services,
    ];
    try {
        const started = Date.now();
        const result = await runCommand(command, { cwd: projectRoot });
        const durationMs = Date.now() - started;
        if (result.code !== 0) {
            throw new Error(`${command.join(" ")} exited ${result.code}:\n${lastLines(result.stderr, 40)}`);
        }
        const source = `${command[0] ?? ""} report ${report}`;
        const parsed = JSON.parse(fs.readFileSync(report, "utf8")) as unknown;
        const images = new Map(
            arrayAt(parsed, source, "services").map((_, index): [string, BuiltImage] => {
                const service = stringAt(parsed, source, "services", index, "service");
                return [
                    service,
                    {
                        service,
                        image: stringAt(parsed, source, "services", index, "image"),
                        imageBytes: numberAt(parsed, source, "services", index, "imageBytes"),
                    },
                ];
            }),
        );
        const missing = services.filter((service) => !images.has(service));
        if (missing.length > 0) {
            throw new Error(`${source} has no image for ${missing.join(", ")}`);
        }
        return {
            images,
            durationMs,
            command: command
                .join(" ")
                .replace(report, "REPORT.json")
                .replace(servicesDir ?? report, "CONTEXT"),
        };
    } finally {
        fs.rmSync(directory, { recursive: true, force: true });
    }
}

/**
 * A new image of the same service with one more label: the same program under another
 * digest, which is what a rolling update to a new version looks like to Kubernetes. Resolves
 * with the local name of the new image.
 */
export async function deriveImage(image: string, label: string, value: string): Promise<string> {
    const derived = `${image}-${value}`;
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-e2e-derive-"));
    try {
        fs.writeFileSync(path.join(context, "Containerfile"), `FROM ${image}\n`);
        await runChecked([
            "podman",
            "--runtime",
            process.env.PODMAN_RUNTIME ?? "runc",
            "build",
            "--quiet",
            "--label",
            `${label}=${value}`,
            "--tag",
            derived,
            context,
        ]);
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
    }
    return derived;
}

/** The platform module's import path, which every service's go.mod replaces with a folder. */
const platformModule = "go-services/services/platform";

/**
 * Builds the image of a test fixture under test/fixtures/ (a Go module with cmd/<fixture>/main.go
 * that uses the platform module) exactly as a service's: scripts/build-images, the golden
 * Dockerfile, from a copy of services/ with the fixture added beside the platform module, its
 * replace directive pointing there (the repository's points at services/platform from test/fixtures/).
 */
export async function buildFixtureImage(fixture: string, tag: string): Promise<ImageBuild> {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "go-services-fixture-context-"));
    try {
        fs.cpSync(path.join(projectRoot, "services"), context, { recursive: true });
        const module = path.join(context, fixture);
        fs.cpSync(path.join(projectRoot, "test", "fixtures", fixture), module, { recursive: true });
        await runChecked(["go", "mod", "edit", `-replace=${platformModule}=../platform`], { cwd: module, env: { GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" } });
        return await buildServiceImages([fixture], tag, context);
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
    }
}
