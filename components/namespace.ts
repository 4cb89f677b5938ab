/**
 * The namespace all services of a stack run in. The API server itself enforces the Pod
 * Security Standards "restricted" profile there, so even a hand-written pod cannot run
 * privileged next to the services.
 */
import type { types } from "@pulumi/kubernetes";

/** Pod Security Admission labels: enforce, audit and warn at "restricted". */
export const podSecurityLabels: Readonly<Record<string, string>> = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
};

/** The Namespace object. */
export function buildNamespace(name: string, project: string): types.input.core.v1.Namespace {
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name,
            labels: {
                ...podSecurityLabels,
                "app.kubernetes.io/part-of": project,
                "app.kubernetes.io/managed-by": "pulumi",
            },
        },
    };
}
