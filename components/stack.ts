/**
 * A whole stack from its checked configuration: the Kubernetes environment and one
 * GoService per configured service.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, StackFileSettings } from "./config";
import { GoService } from "./goService";
import { KubernetesEnvironment } from "./kubernetesEnvironment";
import { PromotedImage } from "./promotion";
import { ServiceDirectoryCheck } from "./serviceSettings";
import { StackSettings } from "./stackSettings";

/** What a stack exports for one service. */
export interface ServiceOutputs {
    /** The image the Deployment runs: repository@sha256:... (the tag for the local stack). A promoting stack reads it. */
    image: pulumi.Output<string>;
    /** The version the image was built as (app.kubernetes.io/version, /version). A promoting stack reads it. */
    version: pulumi.Output<string>;
    /** The image repository. */
    repositoryUrl: pulumi.Output<string>;
    /** In-cluster DNS name of the Service. */
    dnsName: pulumi.Output<string>;
    /** Port of the Service. */
    port: pulumi.Output<number>;
}

/** The stack outputs. */
export interface StackOutputs {
    namespace: string;
    services: Record<string, ServiceOutputs>;
}

/**
 * Declares every resource of the stack. `secret` turns the name of a secret config key
 * into its value, kept a Pulumi secret; `directories` checks the service folders; `promoted`
 * holds, for every service whose image comes from `config.promotion`, what the source exports.
 */
export function defineStack(
    config: StackConfig,
    secret: (key: string) => pulumi.Output<string>,
    directories: ServiceDirectoryCheck,
    promoted: ReadonlyMap<string, PromotedImage> = new Map(),
): StackOutputs {
    const kubeconfig = config.kubernetes.kubeconfig;
    const environment = new KubernetesEnvironment("cluster", {
        namespace: config.namespace,
        connection: { ...config.kubernetes, kubeconfig: kubeconfig === undefined ? undefined : secret(kubeconfig) },
    });
    const stack = withSecrets(config.stack, secret);
    const services: Record<string, ServiceOutputs> = {};
    for (const { name, settings } of config.services) {
        const secretEnv = Object.fromEntries(Object.entries(settings.secretEnv ?? {}).map(([variable, key]) => [variable, secret(key)]));
        const source = settings.image === undefined ? promoted.get(name) : undefined;
        const image = source ? { image: source.image, imageTag: source.version } : {};
        const service = new GoService(name, { ...settings, ...image, secretEnv, stack, environment, servicePorts: config.servicePorts, directories });
        services[name] = {
            image: service.imageRef,
            version: service.version,
            repositoryUrl: service.repositoryUrl,
            dnsName: service.dnsName,
            port: service.port,
        };
    }
    return { namespace: config.namespace, services };
}

/** The stack settings with the registry password read from the secret config key the stack file names. */
function withSecrets(settings: StackFileSettings, secret: (key: string) => pulumi.Output<string>): StackSettings {
    const registry = settings.registry;
    if (registry?.kind !== "oci" || registry.passwordSecret === undefined) {
        return { ...settings, registry };
    }
    return { ...settings, registry: { ...registry, passwordSecret: secret(registry.passwordSecret) } };
}
