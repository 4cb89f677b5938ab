/**
 * An autoscaled service under real CPU load: metrics-server (started by scripts/cluster)
 * scrapes the kubelet, the controller-manager's HorizontalPodAutoscaler reads the
 * metrics.k8s.io API and scales the Deployment out, then back in once the load stops, while
 * the PodDisruptionBudget keeps holding. Declared by stacks.e2e.ts for each Deployment with an
 * HPA, after every other suite of the stack.
 */
import * as assert from "assert";
import { KubernetesObject } from "../../scripts/lib/manifests";
import { getObject, kubectl, podReady, podsOf, selectorOf, serverSideApply } from "./support/cluster";
import { DeclaredWorkload } from "./support/deployments";
import { Figures, LoadFigures } from "./support/figures";
import { HttpOutcome, HttpTarget } from "./support/http";
import { FixedRateLoad, summarize } from "./support/loadGenerator";
import { pollUntil } from "./support/wait";

/** How the suite loads the service, and the HPA it applies for it (the stack's, evaluated with the test's autoscaling settings). */
export interface AutoscalingLoad {
    readonly hpa: KubernetesObject;
    /** What the test changed in the stack's config, for the messages and figures. */
    readonly adjustments: string;
    readonly target: () => Promise<HttpTarget>;
    readonly path: string;
    readonly ratePerSecond: number;
    readonly timeoutMs: number;
    readonly accept: (answer: Extract<HttpOutcome, { kind: "response" }>) => boolean;
    readonly fieldManager: string;
}

/** Longest the metrics pipeline (metrics-server's 10 s resolution, the HPA's 15 s sync) and a scale may take, on a busy machine. */
const scaleDeadlineMs = 300_000;

interface HpaState {
    readonly spec: { readonly minReplicas?: number; readonly maxReplicas: number };
    readonly status?: {
        readonly currentReplicas?: number;
        readonly desiredReplicas?: number;
        readonly currentMetrics?: readonly { readonly resource?: { readonly name: string; readonly current: { readonly averageUtilization?: number } } }[];
    };
}

interface DeploymentState {
    readonly spec: { readonly replicas?: number };
    readonly status: { readonly readyReplicas?: number };
}

interface PdbState {
    readonly status?: {
        readonly currentHealthy?: number;
        readonly desiredHealthy?: number;
        readonly expectedPods?: number;
        readonly disruptionsAllowed?: number;
    };
}

/** One look at the scaling objects. */
interface Sample {
    readonly at: number;
    readonly replicas: number;
    readonly ready: number;
    readonly utilization?: number;
    readonly pdb?: PdbState["status"];
}

/** Declares the autoscaling suite of one Deployment with an HPA. */
export function describeAutoscaling(stack: string, namespace: string, workload: DeclaredWorkload, load: () => AutoscalingLoad, figures: Figures): void {
    const name = workload.deployment.metadata?.name ?? workload.service;
    const selector = selectorOf(workload.deployment.spec?.selector.matchLabels ?? {});

    const sample = async (): Promise<Sample> => {
        const [hpa, deployment, pdb] = await Promise.all([
            getObject<HpaState>(["hpa", name, "--namespace", namespace]),
            getObject<DeploymentState>(["deployment", name, "--namespace", namespace]),
            getObject<PdbState>(["pdb", name, "--namespace", namespace]),
        ]);
        const cpu = hpa.status?.currentMetrics?.find((metric) => metric.resource?.name === "cpu")?.resource?.current.averageUtilization;
        return { at: Date.now(), replicas: deployment.spec.replicas ?? 0, ready: deployment.status.readyReplicas ?? 0, utilization: cpu, pdb: pdb.status };
    };

    describe(`${stack}/${workload.service}: scales on CPU through its HorizontalPodAutoscaler (metrics-server)`, function () {
        it("has its pods' CPU and memory shown by kubectl top (the metrics.k8s.io API)", async function () {
            await pollUntil(
                `kubectl top to show every ready pod of ${name}`,
                async () => {
                    const ready = (await podsOf(namespace, selector)).filter(podReady).map((pod) => pod.metadata.name);
                    const lines = (await kubectl(["top", "pods", "--namespace", namespace, "--selector", selector, "--no-headers"])).trim().split("\n");
                    const shown = new Map(lines.map((line) => line.trim().split(/\s+/)).map(([pod, cpu, memory]) => [pod ?? "", { cpu, memory }]));
                    return ready.length > 0 && ready.every((pod) => /^\d+m$/.test(shown.get(pod)?.cpu ?? "") && /^\d+Mi$/.test(shown.get(pod)?.memory ?? ""))
                        ? true
                        : undefined;
                },
                { timeoutMs: scaleDeadlineMs, intervalMs: 2000 },
            );
        });

        it("scales out under load with no failed request, back in after it, and the PodDisruptionBudget holds throughout", async function () {
            const settings = load();
            await serverSideApply([settings.hpa], settings.fieldManager);
            const minimum = (await getObject<HpaState>(["hpa", name, "--namespace", namespace])).spec.minReplicas ?? 1;
            await pollUntil(
                `the HPA of ${name} to read its pods' CPU utilization`,
                async () => ((await sample()).utilization !== undefined ? true : undefined),
                { timeoutMs: scaleDeadlineMs, intervalMs: 1000 },
            );
            const samples: Sample[] = [];
            const traffic = new FixedRateLoad({
                target: await settings.target(),
                path: settings.path,
                ratePerSecond: settings.ratePerSecond,
                timeoutMs: settings.timeoutMs,
                accept: settings.accept,
            });
            const loadStarted = Date.now();
            traffic.start();
            let scaledOut: Sample;
            try {
                scaledOut = await pollUntil(
                    `${name} to scale out beyond ${minimum} ready replicas under ${settings.ratePerSecond} requests/s`,
                    async () => {
                        const now = await sample();
                        samples.push(now);
                        return now.ready > minimum ? now : undefined;
                    },
                    { timeoutMs: scaleDeadlineMs, intervalMs: 500, lastSeen: () => JSON.stringify(samples.at(-1)) },
                );
            } finally {
                await traffic.finish();
            }
            const loadStopped = Date.now();
            const summary = summarize(traffic.records);
            const scaledIn = await pollUntil(
                `${name} to scale back in to ${minimum} replicas once the load stopped`,
                async () => {
                    const now = await sample();
                    samples.push(now);
                    return now.replicas === minimum && now.ready === minimum ? now : undefined;
                },
                { timeoutMs: scaleDeadlineMs, intervalMs: 1000, lastSeen: () => JSON.stringify(samples.at(-1)) },
            );
            const peak = Math.max(...samples.map((entry) => entry.replicas));
            const loadFigures: LoadFigures = {
                ratePerSecond: settings.ratePerSecond,
                requests: summary.requests,
                failed: summary.failed,
                p99Ms: summary.p99Ms,
            };
            figures.record(stack, {
                autoscaling: {
                    [workload.service]: {
                        adjustments: settings.adjustments,
                        scaleOutMs: scaledOut.at - loadStarted,
                        scaleInMs: scaledIn.at - loadStopped,
                        peakReplicas: peak,
                        peakUtilization: Math.max(...samples.map((entry) => entry.utilization ?? 0)),
                        load: loadFigures,
                    },
                },
            });
            // New pods count in expectedPods before they are ready, so currentHealthy may lag
            // desiredHealthy during the scale-out; the budget holds if it then allows no disruption.
            const broken = samples.filter(
                (entry) => (entry.pdb?.disruptionsAllowed ?? 0) > Math.max(0, (entry.pdb?.currentHealthy ?? 0) - (entry.pdb?.desiredHealthy ?? 0)),
            );
            assert.deepStrictEqual(broken, [], "the PodDisruptionBudget allowed more disruptions than its healthy pods above the requirement");
            assert.ok((scaledIn.pdb?.currentHealthy ?? 0) >= (scaledIn.pdb?.desiredHealthy ?? 1), "after the scale-in, the budget's pods are not all healthy");
            assert.ok(
                samples.some((entry) => entry.replicas > minimum && entry.pdb?.expectedPods === entry.replicas),
                "the PodDisruptionBudget never counted the pods added by the scale-out",
            );
            assert.strictEqual(
                summary.failed,
                0,
                `${summary.failed} of ${summary.requests} requests failed during the scale-out: ${summary.failures.join("; ")}`,
            );
        });
    });
}
