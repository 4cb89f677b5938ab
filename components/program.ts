/**
 * The stack program itself, separate from index.ts so tests, `npm run synth` and the
 * benchmark evaluate exactly what `pulumi up` runs.
 */
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigValues, readStackConfig } from "./config";
import { localServiceDirectories } from "./serviceDirectory";
import { ServiceDirectoryCheck } from "./serviceSettings";
import { defineStack, StackOutputs } from "./stack";

/**
 * Reads and checks the stack configuration, then declares every resource. `directories`
 * checks the service folders: the project directory unless a test says otherwise.
 */
export function program(directories: ServiceDirectoryCheck = localServiceDirectories): StackOutputs {
    const config = new pulumi.Config();
    const stackConfig = readStackConfig(pulumiConfigValues(), { project: pulumi.getProject(), stack: pulumi.getStack(), directories });
    return defineStack(stackConfig, (key) => config.requireSecret(key), directories);
}
