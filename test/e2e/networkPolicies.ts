/**
 * The stacks' NetworkPolicies as the cluster enforces them (kube-router's network-policy
 * controller, started by scripts/cluster), seen from inside pods: the node itself is always
 * let through (the kubelet's probes rely on it), so every connection here starts in a pod's
 * network namespace. What each probe should see is read from the declared policies, so a
 * selector that admits everyone, or one that cuts the ingress controller or Prometheus off,
 * fails here. Declared by stacks.e2e.ts for each stack, once its Deployments are rolled out.
 */
import * as assert from "assert";
import { KubernetesObject } from "../../scripts/lib/manifests";
import { kubectl, kubectlResult, PodState, podReady, podsOf, selectorOf, serverSideApply, waitNamespaceGone } from "./support/cluster";
import { DeclaredWorkload } from "./support/deployments";
import { Figures } from "./support/figures";
import { attachProbe, probeConnect, ProbeOutcome, startProbePod } from "./support/netprobe";
import { pollUntil } from "./support/wait";

/** A namespace no policy of any stack names. */
const outsiderNamespace = "e2e-netpol-outsider";

/** The port the outsider's listener accepts on: a destination no service's egress names. */
const listenerPort = 8080;

/** The labels the probe pods carry (startProbePod). */
const probeLabels = { "app.kubernetes.io/name": "e2e-netprobe" };

/** How long kube-router may take to apply a policy change, on a busy machine. */
const enforcementDeadlineMs = 60_000;

interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
}

interface PolicyPeer {
    readonly podSelector?: LabelSelector;
    readonly namespaceSelector?: LabelSelector;
}

interface PolicyRule {
    readonly from?: readonly PolicyPeer[];
    readonly to?: readonly PolicyPeer[];
    readonly ports?: readonly { readonly port?: number | string; readonly protocol?: string }[];
}

/** The fields of a declared networking.k8s.io/v1 NetworkPolicy the tests read. */
interface DeclaredPolicy {
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: { readonly podSelector: LabelSelector; readonly ingress?: readonly PolicyRule[]; readonly egress?: readonly PolicyRule[] };
}

/** Where a connection comes from or goes to: a pod's namespace, its labels and, for a destination, the port. */
interface Endpoint {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
}

function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
    return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Whether a peer of a policy in `policyNamespace` matches a pod (namespaces carry only their kubernetes.io/metadata.name label here). */
function peerMatches(peer: PolicyPeer, policyNamespace: string, pod: Endpoint): boolean {
    const namespaceMatches = peer.namespaceSelector
        ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": pod.namespace })
        : pod.namespace === policyNamespace;
    return namespaceMatches && selects(peer.podSelector, pod.labels);
}

function rulePermits(rule: PolicyRule, peers: readonly PolicyPeer[] | undefined, policyNamespace: string, pod: Endpoint, port: number): boolean {
    const portMatches = rule.ports === undefined || rule.ports.some((entry) => entry.port === port && (entry.protocol ?? "TCP") === "TCP");
    return portMatches && (peers === undefined || peers.some((peer) => peerMatches(peer, policyNamespace, pod)));
}

/** Whether `policy` lets `source` connect to its pods' `port`. */
function admits(policy: DeclaredPolicy, source: Endpoint, port: number): boolean {
    return (policy.spec.ingress ?? []).some((rule) => rulePermits(rule, rule.from, policy.metadata.namespace, source, port));
}

/** Whether `policy` lets its pods connect to `destination` on `port`. */
function letsOut(policy: DeclaredPolicy, destination: Endpoint, port: number): boolean {
    return (policy.spec.egress ?? []).some((rule) => rulePermits(rule, rule.to, policy.metadata.namespace, destination, port));
}

/** The declared policy that selects a workload's pods; the stacks declare exactly one per service. */
function policyOf(declared: readonly KubernetesObject[], workload: DeclaredWorkload): DeclaredPolicy {
    const labels = workload.deployment.spec?.template.metadata?.labels ?? {};
    const policies = declared.filter(
        (object) => object.kind === "NetworkPolicy" && selects((object as unknown as DeclaredPolicy).spec.podSelector, labels),
    ) as unknown as DeclaredPolicy[];
    assert.strictEqual(policies.length, 1, `${workload.service}: ${policies.length} NetworkPolicies select its pods, expected 1`);
    return policies[0] as DeclaredPolicy;
}

/** The container port of a workload by name. */
function portNamed(workload: DeclaredWorkload, name: string): number {
    const port = workload.container.ports?.find((entry) => entry.name === name)?.containerPort;
    assert.ok(port !== undefined, `${workload.service} declares no container port named ${name}`);
    return port;
}

/** Every namespace a stack's policies admit by a namespaceSelector (the ingress controller's, Prometheus'). */
function admittedNamespaces(policies: readonly DeclaredPolicy[]): string[] {
    const names = policies.flatMap((policy) =>
        (policy.spec.ingress ?? [])
            .flatMap((rule) => rule.from ?? [])
            .flatMap((peer) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? []),
    );
    return [...new Set(names)].sort();
}

/** A ready pod of a workload, with its IP. */
async function readyPod(namespace: string, workload: DeclaredWorkload): Promise<PodState & { status: { podIP: string } }> {
    const pods = await podsOf(namespace, selectorOf(workload.deployment.spec?.selector.matchLabels ?? {}));
    const pod = pods.find((candidate) => podReady(candidate) && candidate.metadata.deletionTimestamp === undefined && candidate.status.podIP);
    assert.ok(pod?.status.podIP, `${workload.service}: no ready pod with an IP`);
    return pod as PodState & { status: { podIP: string } };
}

/** A probe pod and what the policies see of it. */
interface Probe extends Endpoint {
    readonly pod: string;
    /** Why this namespace takes part: for the messages. */
    readonly role: string;
}

const accepted = (outcome: ProbeOutcome): boolean => outcome === "accepted";

/** Declares the NetworkPolicy suite of one stack, its objects applied and its Deployments rolled out. */
export function describeNetworkPolicies(
    stack: string,
    namespace: string,
    declared: readonly KubernetesObject[],
    workloads: readonly DeclaredWorkload[],
    probeImage: () => string,
    figures: Figures,
): void {
    const policies = workloads.map((workload) => policyOf(declared, workload));
    const createdNamespaces: string[] = [];
    const probes: Probe[] = [];
    let listenerIp = "";

    describe(`${stack}: NetworkPolicies enforced by the cluster (kube-router), seen from inside pods`, function () {
        before(async function () {
            const extra = [outsiderNamespace, ...admittedNamespaces(policies)].filter((name) => name !== namespace);
            for (const name of extra) {
                if ((await kubectlResult(["get", "namespace", name])).code !== 0) {
                    await kubectl(["create", "namespace", name]);
                    createdNamespaces.push(name);
                }
            }
            for (const name of [namespace, ...extra]) {
                const role =
                    name === namespace
                        ? "the stack's own namespace"
                        : name === outsiderNamespace
                          ? "a namespace no policy names"
                          : "a namespace a policy admits";
                await startProbePod(name, "e2e-netprobe", probeImage());
                probes.push({ namespace: name, labels: probeLabels, pod: "e2e-netprobe", role });
            }
            listenerIp = await startProbePod(outsiderNamespace, "e2e-listener", probeImage(), ["listen", String(listenerPort)]);
        });

        after(async function () {
            for (const probe of probes) {
                await kubectlResult(["delete", "pod", probe.pod, "--namespace", probe.namespace, "--wait=false"]);
            }
            await kubectlResult(["delete", "pod", "e2e-listener", "--namespace", outsiderNamespace, "--wait=false"]);
            for (const name of createdNamespaces) {
                await kubectl(["delete", "namespace", name, "--wait=false"]);
                await waitNamespaceGone(name, 180_000);
            }
        });

        workloads.forEach((workload, index) => {
            const policy = policies[index] as DeclaredPolicy;
            const servicePort = portNamed(workload, "http");
            const metricsPort = portNamed(workload, "metrics");

            it(`${workload.service}: each probe pod reaches the service port (${servicePort}) and the metrics port (${metricsPort}) exactly as its policy says`, async function () {
                const target = await readyPod(namespace, workload);
                const seen: string[] = [];
                const wrong: string[] = [];
                for (const probe of probes) {
                    for (const [portName, port] of [
                        ["service", servicePort],
                        ["metrics", metricsPort],
                    ] as const) {
                        const expected = admits(policy, probe, port);
                        const outcome = await probeConnect(probe.namespace, probe.pod, target.status.podIP, port);
                        const line = `from ${probe.namespace} (${probe.role}) to the ${portName} port: ${outcome}, the policy ${expected ? "admits" : "refuses"} it`;
                        seen.push(line);
                        if (accepted(outcome) !== expected) {
                            wrong.push(line);
                        }
                    }
                }
                assert.deepStrictEqual(wrong, [], `connections to ${target.metadata.name} not as declared:\n${seen.join("\n")}`);
                // What the suite must have covered for the claim to mean anything: a refused
                // outsider on both ports, and at least one admitted namespace on the service port.
                const outsider = probes.find((probe) => probe.namespace === outsiderNamespace);
                assert.ok(outsider && !admits(policy, outsider, servicePort) && !admits(policy, outsider, metricsPort), "the outsider must be refused");
                assert.ok(
                    probes.some((probe) => admits(policy, probe, servicePort)),
                    `no probe namespace is admitted to ${workload.service}'s service port`,
                );
            });

            it(`${workload.service}: reaches from its own pod what its network.egress names, and nothing else`, async function () {
                const source = await readyPod(namespace, workload);
                await attachProbe(namespace, source.metadata.name, probeImage());
                const self: Endpoint = { namespace, labels: workload.deployment.spec?.template.metadata?.labels ?? {} };
                const seen: string[] = [];
                const wrong: string[] = [];
                const check = async (what: string, host: string, port: number, expected: boolean): Promise<void> => {
                    const outcome = await probeConnect(namespace, source.metadata.name, host, port);
                    const line = `to ${what}:${port}: ${outcome}, the policies ${expected ? "allow" : "refuse"} it`;
                    seen.push(line);
                    if (accepted(outcome) !== expected) {
                        wrong.push(line);
                    }
                };
                for (const [otherIndex, other] of workloads.entries()) {
                    if (other === workload) {
                        continue;
                    }
                    const destination: Endpoint = { namespace, labels: other.deployment.spec?.template.metadata?.labels ?? {} };
                    const port = portNamed(other, "http");
                    const expected = letsOut(policy, destination, port) && admits(policies[otherIndex] as DeclaredPolicy, self, port);
                    await check(`service ${other.service}`, (await readyPod(namespace, other)).status.podIP, port, expected);
                }
                await check(
                    `a listener in ${outsiderNamespace}`,
                    listenerIp,
                    listenerPort,
                    letsOut(policy, { namespace: outsiderNamespace, labels: probeLabels }, listenerPort),
                );
                assert.deepStrictEqual(wrong, [], `connections from ${source.metadata.name} not as declared:\n${seen.join("\n")}`);
            });

            it(`${workload.service}: without its policy, the refused outsider gets through; the policy applied again refuses it (timed)`, async function () {
                const target = await readyPod(namespace, workload);
                const outsider = probes.find((probe) => probe.namespace === outsiderNamespace);
                assert.ok(outsider, "no outsider probe");
                assert.strictEqual(
                    await probeConnect(outsider.namespace, outsider.pod, target.status.podIP, servicePort),
                    "refused",
                    "refused with the policy",
                );
                const object = declared.find((candidate) => candidate.kind === "NetworkPolicy" && candidate.metadata.name === policy.metadata.name);
                assert.ok(object, `no declared NetworkPolicy ${policy.metadata.name}`);
                await kubectl(["delete", "networkpolicy", policy.metadata.name, "--namespace", namespace]);
                let gotThrough = false;
                try {
                    await pollUntil(
                        `${outsider.namespace} to reach ${target.metadata.name}:${servicePort} once the policy is deleted`,
                        async () => (accepted(await probeConnect(outsider.namespace, outsider.pod, target.status.podIP, servicePort)) ? true : undefined),
                        { timeoutMs: enforcementDeadlineMs, intervalMs: 100 },
                    );
                    assert.strictEqual(await probeConnect(outsider.namespace, outsider.pod, target.status.podIP, metricsPort), "accepted", "the metrics port");
                    gotThrough = true;
                } finally {
                    if (!gotThrough) {
                        await serverSideApply([object], "go-services-e2e");
                    }
                }
                const appliedAt = Date.now();
                await serverSideApply([object], "go-services-e2e");
                await pollUntil(
                    `the policy applied again to refuse ${outsider.namespace} at ${target.metadata.name}:${servicePort}`,
                    async () => (accepted(await probeConnect(outsider.namespace, outsider.pod, target.status.podIP, servicePort)) ? undefined : true),
                    { timeoutMs: enforcementDeadlineMs, intervalMs: 20 },
                );
                figures.record(stack, { policyEnforcementMs: { [workload.service]: Date.now() - appliedAt } });
            });
        });
    });
}
