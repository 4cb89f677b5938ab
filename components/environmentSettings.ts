/**
 * The cluster a stack deploys to and the namespace its services share, checked the same
 * way for a stack file (`go-services:namespace`, `go-services:kubernetes`) and TypeScript.
 */
import { z } from "zod";
import { allowing, crossField, dnsLabel, parseInto, Problems, relativePath, secretValue } from "./validation";

const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The namespace all services share: a namespace of its own, which go-services labels for Pod Security. */
export const namespaceSchema = dnsLabel().refine((name) => !systemNamespaces.includes(name), {
    error: "must be a namespace of its own: go-services labels it to enforce Pod Security 'restricted', which must not be imposed on a system namespace",
});

/** How a stack reaches its cluster; at most one key is set. Default: the ambient kubeconfig's current context. */
export const kubernetesConnectionSchema = z
    .strictObject({
        context: allowing(z.string().min(1), "must be the name of a kubeconfig context")
            .optional()
            .meta({ description: "A context of the ambient kubeconfig." }),
        kubeconfig: secretValue("must be the name of a secret config key holding a kubeconfig (in TypeScript, a Pulumi secret)")
            .optional()
            .meta({ description: 'A kubeconfig document, kept a secret: `pulumi config set --secret go-services:kubeconfig "$(cat kubeconfig)"`.' }),
        renderYamlToDirectory: relativePath
            .optional()
            .meta({ description: "Write YAML manifests to this directory instead of talking to a cluster (no cluster needed)." }),
    })
    .check(
        crossField(["context", "kubeconfig", "renderYamlToDirectory"], (connection, report) => {
            const given = (["context", "kubeconfig", "renderYamlToDirectory"] as const).filter((key) => connection[key] !== undefined);
            if (given.length > 1) {
                report(
                    [],
                    Object.fromEntries(given.map((key) => [key, key === "kubeconfig" ? "(secret)" : connection[key]])),
                    "must set at most one of context, kubeconfig, renderYamlToDirectory",
                );
            }
        }),
    );

/** How a stack reaches its cluster. */
export type KubernetesConnection = z.input<typeof kubernetesConnectionSchema>;

/** Checks a connection: known keys, one way of connecting, usable values. */
export function checkKubernetesConnection(raw: unknown, path: string, problems: Problems): boolean {
    return parseInto(kubernetesConnectionSchema, raw ?? {}, path, problems) !== undefined;
}

/** Checks the namespace name. */
export function checkNamespace(value: unknown, path: string, problems: Problems): value is string {
    return parseInto(namespaceSchema, value, path, problems) !== undefined;
}
