/**
 * How a service is reached and what it may reach: its ClusterIP Service and a default-deny
 * NetworkPolicy that opens only the service port inwards and DNS (plus configured
 * destinations) outwards.
 */
import type { types } from "@pulumi/kubernetes";
import { recommendedLabels, selectorLabels, ServiceIdentity } from "./labels";
import { metricsPortName } from "./monitoring";
import { ResolvedMonitoring } from "./monitoringSettings";
import { ResolvedEgressRule, ResolvedSettings } from "./serviceSettings";
import { httpPortName } from "./workload";

type NetworkPolicyPeer = types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyEgressRule = types.input.networking.v1.NetworkPolicyEgressRule;

/** The in-cluster DNS name of a service. */
export function clusterDnsName(identity: Pick<ServiceIdentity, "name" | "namespace">): string {
    return `${identity.name}.${identity.namespace}.svc.cluster.local`;
}

/**
 * The ClusterIP Service in front of the pods. With the Prometheus Operator it also names the
 * metrics port, which the ServiceMonitor's endpoint refers to (the NetworkPolicy still admits
 * only the monitoring namespaces to it).
 */
export function buildService(
    identity: ServiceIdentity,
    settings: Pick<ResolvedSettings, "servicePort" | "metricsPort">,
    monitoring: Pick<ResolvedMonitoring, "mode"> = { mode: "none" },
): types.input.core.v1.Service {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            type: "ClusterIP",
            selector: selectorLabels(identity),
            ports: [
                { name: httpPortName, port: settings.servicePort, targetPort: httpPortName, protocol: "TCP" },
                ...(monitoring.mode === "prometheusOperator"
                    ? [{ name: metricsPortName, port: settings.metricsPort, targetPort: metricsPortName, protocol: "TCP" }]
                    : []),
            ],
        },
    };
}

/** The ServiceAccount the pods run as; its token is not mounted unless the service asks. */
export function buildServiceAccount(identity: ServiceIdentity, settings: Pick<ResolvedSettings, "security">): types.input.core.v1.ServiceAccount {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        automountServiceAccountToken: settings.security.automountServiceAccountToken,
    };
}

function namespacePeer(namespace: string): NetworkPolicyPeer {
    return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

/** Cluster DNS: CoreDNS/kube-dns pods in kube-system, UDP and TCP 53. */
export const dnsEgressRule: NetworkPolicyEgressRule = {
    to: [{ ...namespacePeer("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ],
};

function egressRule(identity: ServiceIdentity, rule: ResolvedEgressRule): NetworkPolicyEgressRule {
    if (rule.kind === "service") {
        return {
            to: [{ podSelector: { matchLabels: selectorLabels({ name: rule.service, stack: identity.stack }) } }],
            ports: [{ protocol: "TCP", port: rule.port }],
        };
    }
    return {
        to: [{ ipBlock: { cidr: rule.cidr, ...(rule.except.length > 0 ? { except: rule.except } : {}) } }],
        ...(rule.ports.length > 0 ? { ports: rule.ports.map((port) => ({ protocol: "TCP", port })) } : {}),
    };
}

/**
 * Default deny in both directions, then: in, the service port from pods of the same
 * namespace and of the configured namespaces, and the metrics port from the monitoring
 * namespaces only (unless monitoring is `none`); out, cluster DNS and the configured
 * destinations.
 */
export function buildNetworkPolicy(
    identity: ServiceIdentity,
    settings: Pick<ResolvedSettings, "port" | "metricsPort" | "network">,
    monitoring: Pick<ResolvedMonitoring, "mode" | "namespaces"> = { mode: "none", namespaces: [] },
): types.input.networking.v1.NetworkPolicy {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: identity.name, namespace: identity.namespace, labels: recommendedLabels(identity) },
        spec: {
            podSelector: { matchLabels: selectorLabels(identity) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [{ podSelector: {} }, ...settings.network.ingressNamespaces.map(namespacePeer)],
                    ports: [{ protocol: "TCP", port: settings.port }],
                },
                ...(monitoring.mode === "none"
                    ? []
                    : [{ from: monitoring.namespaces.map(namespacePeer), ports: [{ protocol: "TCP", port: settings.metricsPort }] }]),
            ],
            egress: [dnsEgressRule, ...settings.network.egress.map((rule) => egressRule(identity, rule))],
        },
    };
}
