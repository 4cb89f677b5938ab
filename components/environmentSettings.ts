/**
 * The cluster a stack deploys to and the namespace its services share, checked the same
 * way for a stack file (`go-services:namespace`, `go-services:kubernetes`) and TypeScript.
 */
import { checkDnsLabel, checkObject, checkRelativePath, joinPath, Problems } from "./validation";

/** How a stack reaches its cluster; at most one field is set. Default: the ambient kubeconfig's current context. */
export interface KubernetesConnection<TSecret = unknown> {
    /** A context of the ambient kubeconfig. */
    context?: string;
    /** A kubeconfig document. Stack files name a secret config key holding it; TypeScript passes a Pulumi secret. */
    kubeconfig?: TSecret;
    /** Write YAML manifests to this directory instead of talking to a cluster (no cluster needed). */
    renderYamlToDirectory?: string;
}

/** Checks a connection: known keys, one way of connecting, usable values. */
export function checkKubernetesConnection(raw: unknown, path: string, problems: Problems): boolean {
    const before = problems.count;
    const input = checkObject(raw ?? {}, path, ["context", "kubeconfig", "renderYamlToDirectory"], problems);
    if (!input) {
        return false;
    }
    const given = Object.keys(input).filter((key) => input[key] !== undefined);
    if (given.length > 1) {
        problems.add(
            path,
            Object.fromEntries(given.map((key) => [key, key === "kubeconfig" ? "(secret)" : input[key]])),
            "must set at most one of context, kubeconfig, renderYamlToDirectory",
        );
    }
    if (input.context !== undefined && (typeof input.context !== "string" || input.context.length === 0)) {
        problems.add(joinPath(path, "context"), input.context, "must be the name of a kubeconfig context");
    }
    if (input.renderYamlToDirectory !== undefined) {
        checkRelativePath(input.renderYamlToDirectory, joinPath(path, "renderYamlToDirectory"), problems);
    }
    return problems.count === before;
}

/** Checks the namespace name. */
export function checkNamespace(value: unknown, path: string, problems: Problems): value is string {
    if (!checkDnsLabel(value, path, problems)) {
        return false;
    }
    if (["default", "kube-system", "kube-public", "kube-node-lease"].includes(value)) {
        problems.add(
            path,
            value,
            "must be a namespace of its own: go-services labels it to enforce Pod Security 'restricted', which must not be imposed on a system namespace",
        );
        return false;
    }
    return true;
}
