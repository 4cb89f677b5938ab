/**
 * A whole stack from its checked configuration: the Kubernetes environment and one
 * GoService per configured service.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { GoService } from "./goService";
import { KubernetesEnvironment } from "./kubernetesEnvironment";
import { ServiceDirectoryCheck } from "./serviceSettings";

/** What a stack exports for one service. */
export interface ServiceOutputs {
    /** The image the Deployment runs: repository@sha256:... (the tag for the local stack). */
    image: pulumi.Output<string>;
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
 * into its value, kept a Pulumi secret; `directories` checks the service folders.
 */
export function defineStack(config: StackConfig, secret: (key: string) => pulumi.Output<string>, directories: ServiceDirectoryCheck): StackOutputs {
    const kubeconfig = config.kubernetes.kubeconfig;
    const environment = new KubernetesEnvironment("cluster", {
        namespace: config.namespace,
        connection: { ...config.kubernetes, kubeconfig: kubeconfig === undefined ? undefined : secret(kubeconfig) },
    });
    const services: Record<string, ServiceOutputs> = {};
    for (const { name, settings } of config.services) {
        const secretEnv = Object.fromEntries(Object.entries(settings.secretEnv ?? {}).map(([variable, key]) => [variable, secret(key)]));
        const service = new GoService(name, { ...settings, secretEnv, stack: config.stack, environment, servicePorts: config.servicePorts, directories });
        services[name] = { image: service.imageRef, repositoryUrl: service.repositoryUrl, dnsName: service.dnsName, port: service.port };
    }
    return { namespace: config.namespace, services };
}
