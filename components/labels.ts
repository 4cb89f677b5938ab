/**
 * The Kubernetes recommended labels (app.kubernetes.io/*) every object of a service carries.
 */

/** Who a service is; everything the labels and object names are derived from. */
export interface ServiceIdentity {
    /** The service name, a DNS-1123 label; also the name of its Deployment, Service and ServiceAccount. */
    readonly name: string;
    /** The namespace its objects live in. */
    readonly namespace: string;
    /** The stack (environment) deploying it. */
    readonly stack: string;
    /** The Pulumi project, used as app.kubernetes.io/part-of. */
    readonly project: string;
    /** The image tag being deployed, used as app.kubernetes.io/version. */
    readonly version: string;
    /** The app.kubernetes.io/component label. */
    readonly component: string;
}

/** The value of app.kubernetes.io/instance: unique per service and stack. */
export function instanceName(identity: Pick<ServiceIdentity, "name" | "stack">): string {
    return `${identity.name}-${identity.stack}`;
}

/**
 * The labels that select a service's pods. They never change for the life of a
 * Deployment (its selector is immutable), so the version is not among them.
 */
export function selectorLabels(identity: Pick<ServiceIdentity, "name" | "stack">): Record<string, string> {
    return {
        "app.kubernetes.io/name": identity.name,
        "app.kubernetes.io/instance": instanceName(identity),
    };
}

/** All recommended labels, for every object of the service. */
export function recommendedLabels(identity: ServiceIdentity): Record<string, string> {
    return {
        ...selectorLabels(identity),
        "app.kubernetes.io/version": identity.version,
        "app.kubernetes.io/component": identity.component,
        "app.kubernetes.io/part-of": identity.project,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}
