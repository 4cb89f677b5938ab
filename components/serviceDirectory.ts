/**
 * The on-disk check behind "missing service directories": a service directory must hold
 * a Go module and the main package the golden Dockerfile builds (./cmd/<dir>).
 */
import * as fs from "fs";
import * as path from "path";
import { ServiceDirectoryCheck } from "./serviceSettings";

/** The files a service directory must contain, relative to it. */
export function requiredServiceFiles(directory: string): string[] {
    return ["go.mod", `cmd/${path.basename(directory)}/main.go`];
}

/** Checks service directories relative to `root` (the Pulumi project directory). */
export function serviceDirectoriesAt(root: string): ServiceDirectoryCheck {
    return {
        missing(directory: string): string[] {
            const absolute = path.resolve(root, directory);
            if (!fs.existsSync(absolute) || !fs.statSync(absolute).isDirectory()) {
                return [`${directory}/ (no such directory)`];
            }
            return requiredServiceFiles(directory).filter((file) => !fs.existsSync(path.join(absolute, file)));
        },
        fileExists(file: string): boolean {
            return fs.existsSync(path.resolve(root, file));
        },
    };
}

/** Checks relative to the current directory, which Pulumi sets to the project directory. */
export const localServiceDirectories: ServiceDirectoryCheck = serviceDirectoriesAt(process.cwd());
