import * as assert from "assert";
import { buildNetworkPolicy, buildService, buildServiceAccount, clusterDnsName, dnsEgressRule } from "../components/networking";
import { at, helloIdentity, resolvedSettings } from "./support/fixtures";

describe("Service, ServiceAccount and NetworkPolicy builders", () => {
    it("exposes the http port through a ClusterIP Service selecting the pods", () => {
        const service = buildService(helloIdentity, resolvedSettings({ servicePort: 8081 }));
        assert.deepStrictEqual(service.spec, {
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello-dev" },
            ports: [{ name: "http", port: 8081, targetPort: "http", protocol: "TCP" }],
        });
        assert.strictEqual(clusterDnsName(helloIdentity), "hello.apps.svc.cluster.local");
    });

    it("does not mount the ServiceAccount token", () => {
        assert.strictEqual(buildServiceAccount(helloIdentity, resolvedSettings()).automountServiceAccountToken, false);
    });

    it("denies everything except the service port in and DNS out by default", () => {
        const policy = buildNetworkPolicy(helloIdentity, resolvedSettings());
        assert.deepStrictEqual(at(policy, "spec", "policyTypes"), ["Ingress", "Egress"]);
        assert.deepStrictEqual(at(policy, "spec", "podSelector"), {
            matchLabels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello-dev" },
        });
        assert.deepStrictEqual(at(policy, "spec", "ingress"), [{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }]);
        assert.deepStrictEqual(at(policy, "spec", "egress"), [dnsEgressRule]);
    });

    it("opens ingress to configured namespaces and egress to configured destinations", () => {
        const settings = resolvedSettings({
            network: {
                ingressNamespaces: ["ingress-nginx"],
                egress: [
                    { service: "quotes", port: 9000 },
                    { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"], ports: [5432] },
                ],
            },
        });
        const policy = buildNetworkPolicy(helloIdentity, settings);
        assert.deepStrictEqual(at(policy, "spec", "ingress", 0, "from", 1), {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
        });
        assert.deepStrictEqual(at(policy, "spec", "egress", 1), {
            to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "quotes", "app.kubernetes.io/instance": "quotes-dev" } } }],
            ports: [{ protocol: "TCP", port: 9000 }],
        });
        assert.deepStrictEqual(at(policy, "spec", "egress", 2), {
            to: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] } }],
            ports: [{ protocol: "TCP", port: 5432 }],
        });
    });

    it("allows DNS over UDP and TCP to kube-dns only", () => {
        assert.deepStrictEqual(dnsEgressRule.ports, [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ]);
    });
});
