/**
 * The cluster side of a stack: one explicit Kubernetes provider (never the ambient
 * default provider) and the namespace every service of the stack runs in.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkKubernetesConnection, checkNamespace, KubernetesConnection } from "./environmentSettings";
import { buildNamespace } from "./namespace";
import { Problems } from "./validation";

/** Arguments of {@link KubernetesEnvironment}. */
export interface KubernetesEnvironmentArgs {
    /** The namespace to create, a DNS-1123 label other than the system namespaces. */
    namespace: string;
    /** How to reach the cluster. Default: the current context of the ambient kubeconfig. */
    connection?: KubernetesConnection;
}

/** The Kubernetes provider and namespace shared by every GoService of a stack. */
export class KubernetesEnvironment extends pulumi.ComponentResource {
    /** The provider every Kubernetes object of the stack is registered through. */
    public readonly provider: k8s.Provider;
    /** The Namespace object; services depend on it. */
    public readonly namespaceResource: k8s.core.v1.Namespace;
    /** The namespace name. */
    public readonly namespace: string;
    /** How the stack reaches its cluster (what the provider was given); a kubeconfig stays a secret. */
    public readonly connection: KubernetesConnection;

    constructor(name: string, args: KubernetesEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        const subject = `KubernetesEnvironment "${name}"`;
        const problems = new Problems();
        checkNamespace(args.namespace, `${subject} namespace`, problems);
        checkKubernetesConnection(args.connection, `${subject} connection`, problems);
        problems.throwIfAny(subject);
        super("go-services:index:KubernetesEnvironment", name, {}, opts);

        const connection = args.connection ?? {};
        this.namespace = args.namespace;
        this.connection = connection.kubeconfig ? { ...connection, kubeconfig: pulumi.secret(connection.kubeconfig) } : connection;
        this.provider = new k8s.Provider(
            name,
            {
                ...(connection.context ? { context: connection.context } : {}),
                ...(this.connection.kubeconfig ? { kubeconfig: this.connection.kubeconfig } : {}),
                // @pulumi/kubernetes fills an unset kubeconfig from $KUBECONFIG, which the provider refuses
                // next to renderYamlToDirectory: rendering must not depend on the shell it runs in.
                ...(connection.renderYamlToDirectory ? { renderYamlToDirectory: connection.renderYamlToDirectory, kubeconfig: "" } : {}),
                // An object that names no namespace must not land in "default".
                namespace: args.namespace,
            },
            { parent: this },
        );
        this.namespaceResource = new k8s.core.v1.Namespace(name, buildNamespace(args.namespace, pulumi.getProject()), {
            parent: this,
            provider: this.provider,
        });
        this.registerOutputs({ namespace: this.namespaceResource.metadata.name });
    }
}
