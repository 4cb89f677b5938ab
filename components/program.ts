/**
 * The stack program itself, separate from index.ts so tests, `npm run synth` and the
 * benchmark evaluate exactly what `pulumi up` runs.
 */
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigValues, readStackConfig } from "./config";
import { PromotedImage, readPromotedImages } from "./promotion";
import { localServiceDirectories } from "./serviceDirectory";
import { ServiceDirectoryCheck } from "./serviceSettings";
import { defineStack, StackOutputs } from "./stack";

/**
 * Reads and checks the stack configuration, reads the images a promoting stack deploys from
 * its source stack, then declares every resource. Nothing but that StackReference (a read) is
 * registered before every check has passed. `directories` checks the service folders: the
 * project directory unless a test says otherwise.
 */
export async function program(directories: ServiceDirectoryCheck = localServiceDirectories): Promise<StackOutputs> {
    const config = new pulumi.Config();
    const stack = pulumi.getStack();
    const stackConfig = readStackConfig(pulumiConfigValues(), { project: pulumi.getProject(), stack, directories });
    const promotion = stackConfig.promotion;
    const promoted = promotion
        ? await readPromotedImages(
              promotion,
              stackConfig.services.filter((service) => service.settings.image === undefined).map((service) => service.name),
              `Cannot promote from ${promotion.fromStack} (go-services:promotion.fromStack in Pulumi.${stack}.yaml)`,
          )
        : new Map<string, PromotedImage>();
    return defineStack(stackConfig, (key) => config.requireSecret(key), directories, promoted);
}
