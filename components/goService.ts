/**
 * GoService: one Go service from source folder to hardened Kubernetes workload. It
 * checks its arguments, then wires Outputs between its children; the objects themselves
 * come from the pure builders.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildHorizontalPodAutoscaler, buildPodDisruptionBudget } from "./availability";
import { EcrRepository } from "./ecrRepository";
import { KubernetesEnvironment } from "./kubernetesEnvironment";
import { recommendedLabels, ServiceIdentity } from "./labels";
import { buildDashboardConfigMap, buildPrometheusRule, buildServiceMonitor, MonitoringSpec } from "./monitoring";
import { buildNetworkPolicy, buildService, buildServiceAccount, clusterDnsName } from "./networking";
import { localServiceDirectories } from "./serviceDirectory";
import { ImageDestination, ServiceImage } from "./serviceImage";
import { checkServiceName, ResolvedSettings, resolveServiceSettings, ServiceDirectoryCheck, ServiceSettings } from "./serviceSettings";
import { platformNodes, releaseCommit, ResolvedStackSettings, resolveStackSettings, StackSettings } from "./stackSettings";
import { joinPath, Problems, repositoryOf } from "./validation";
import { analysisMetricNames, buildAnalysisTemplate, buildRollout, podTemplateRevision, promotionDeadlineSeconds } from "./canary";
import { RolloutPromotion } from "./rolloutPromotion";
import { CanaryRelease, resolveCanaryRelease } from "./rolloutStrategy";
import { buildDeployment, WorkloadSpec } from "./workload";

/**
 * Arguments of {@link GoService}: the service's own settings plus the stack's shared ones.
 * With `image` set, nothing is built or pushed: no repository, no docker.Image, no cloud call.
 */
export interface GoServiceArgs extends ServiceSettings {
    /** Settings every service of the stack shares (version, registry, platform). */
    stack: StackSettings;
    /** Provider and namespace to deploy into. */
    environment: KubernetesEnvironment;
    /** Container ports of the other services of the stack, for `network.egress` service rules. */
    servicePorts?: ReadonlyMap<string, number>;
    /** Service directory checks. Default: the local file system, relative to the project directory. */
    directories?: ServiceDirectoryCheck;
}

/** Everything the component builds from, after checking. */
export interface GoServicePlan {
    identity: ServiceIdentity;
    settings: ResolvedSettings;
    stack: ResolvedStackSettings;
    /** The version: the image tag built, or the one a given image was built as. */
    tag: string;
    commit: string;
    /** Set with `rollout.strategy: canary`. */
    canary?: CanaryRelease;
}

/**
 * Checks a GoService's arguments and resolves every default. Throws one error listing
 * every bad argument, before the component registers anything.
 */
export function planGoService(name: string, args: GoServiceArgs, context: { stack: string; project: string }): GoServicePlan {
    const subject = `GoService "${name}"`;
    const problems = new Problems();
    checkServiceName(name, `${subject} name`, context.stack, problems);
    // Everything but the component's own arguments is a service setting; the schema refuses an unknown key.
    const { stack: stackInput, environment, servicePorts, directories = localServiceDirectories, ...settingsInput } = args;
    const stack = resolveStackSettings(stackInput, `${subject} stack`, context, problems);
    const settings = resolveServiceSettings(settingsInput, subject, { name, servicePorts, directories }, problems);
    const canary =
        stack && settings
            ? resolveCanaryRelease(
                  settings.rollout,
                  stack.monitoring,
                  settings.alerts,
                  { service: subject, monitoring: `${subject} stack.monitoring` },
                  problems,
              )
            : undefined;
    const resolved = stack && settings ? { stack, settings } : undefined;
    const { stack: stackSettings, settings: serviceSettings } = problems.valueOrThrow(subject, resolved);
    const tag = serviceSettings.imageTag ?? stackSettings.imageTag;
    if (tag === undefined) {
        const given = serviceSettings.image !== undefined;
        problems.add(
            given ? joinPath(subject, "imageTag") : `${subject} stack.imageTag`,
            undefined,
            given
                ? "is required with image (or stack.imageTag): the version the image was built as, for the app.kubernetes.io/version label"
                : "is required (or the service's imageTag): the version the image is built and deployed as",
        );
    }
    const version = problems.valueOrThrow(subject, tag);
    return {
        identity: {
            name,
            namespace: environment.namespace,
            stack: context.stack,
            project: context.project,
            version,
            component: serviceSettings.component,
        },
        settings: serviceSettings,
        stack: stackSettings,
        tag: version,
        commit: releaseCommit(stackSettings, version),
        ...(canary ? { canary } : {}),
    };
}

/** A Go service: image repository, image, and the Kubernetes objects that run it. */
export class GoService extends pulumi.ComponentResource {
    /** The image the Deployment runs: repository@sha256:... (the tag for local builds). */
    public readonly imageRef: pulumi.Output<string>;
    /** The repository the image was pushed to (its local name for local builds; a given image's repository). */
    public readonly repositoryUrl: pulumi.Output<string>;
    /** The version the image was built as: the app.kubernetes.io/version label. */
    public readonly version: pulumi.Output<string>;
    /** In-cluster DNS name of the Service. */
    public readonly dnsName: pulumi.Output<string>;
    /** Port of the Service. */
    public readonly port: pulumi.Output<number>;
    /** The Deployment; undefined with `rollout.strategy: canary`, which runs the pods through {@link rollout}. */
    public readonly deployment?: k8s.apps.v1.Deployment;
    /** The Argo Rollouts Rollout, with `rollout.strategy: canary`. */
    public readonly rollout?: k8s.apiextensions.CustomResource;
    /**
     * With `rollout.strategy: canary` (unless the stack renders YAML): what `pulumi up` waits on
     * until the new revision is fully promoted, and fails on when the canary is aborted.
     */
    public readonly promotion?: RolloutPromotion;
    /** What the component was built from, after defaults. */
    public readonly plan: GoServicePlan;

    constructor(name: string, args: GoServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planGoService(name, args, { stack: pulumi.getStack(), project: pulumi.getProject() });
        super("go-services:index:GoService", name, {}, opts);
        this.plan = plan;
        const { identity, settings, stack } = plan;

        if (settings.image === undefined) {
            const destination = this.imageDestination(name, plan);
            this.repositoryUrl = pulumi.output(destination.kind === "local" ? destination.localName : destination.repositoryUrl);
            const image = new ServiceImage(
                name,
                {
                    serviceDirectory: settings.directory,
                    dockerfile: settings.dockerfile,
                    tag: plan.tag,
                    commit: plan.commit,
                    platform: stack.platform,
                    buildOnPreview: stack.buildOnPreview,
                    destination,
                    baseImages: stack.baseImages,
                    sourceUrl: stack.sourceUrl,
                    // Its own tag first: a re-run of the same deploy reuses every layer.
                    cacheFrom: [...new Set([plan.tag, ...stack.buildCacheFrom])].map((tag) => pulumi.interpolate`${this.repositoryUrl}:${tag}`),
                },
                { parent: this },
            );
            this.imageRef = image.imageRef;
        } else {
            // Built elsewhere, once: deployed exactly as given, by digest.
            this.repositoryUrl = pulumi.output(repositoryOf(settings.image));
            this.imageRef = pulumi.output(settings.image);
        }
        this.version = pulumi.output(plan.tag);

        const environment = args.environment;
        const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider: environment.provider, dependsOn: [environment.namespaceResource] };
        new k8s.core.v1.ServiceAccount(name, buildServiceAccount(identity, settings), k8sOpts);
        const secretEnv = this.secretEnv(name, identity, settings, args.secretEnv ?? {}, k8sOpts);
        const platform = platformNodes[stack.platform];
        const workload: WorkloadSpec = { identity, settings, platform, image: this.imageRef, secretEnv, monitoring: stack.monitoring.mode };
        const canary = plan.canary;
        let rollout: { resource: k8s.apiextensions.CustomResource; template: k8s.types.input.core.v1.PodTemplateSpec } | undefined;
        if (canary) {
            const analysis = new k8s.apiextensions.CustomResource(
                name,
                buildAnalysisTemplate(identity, canary.canary, canary.thresholds, canary.prometheusUrl),
                k8sOpts,
            );
            const object = buildRollout({ ...workload, canary: canary.canary });
            this.rollout = new k8s.apiextensions.CustomResource(name, object, { ...k8sOpts, dependsOn: [environment.namespaceResource, analysis] });
            rollout = { resource: this.rollout, template: object.spec.template };
        } else {
            this.deployment = new k8s.apps.v1.Deployment(name, buildDeployment(workload), {
                ...k8sOpts,
                customTimeouts: { create: settings.rollout.timeout, update: settings.rollout.timeout },
            });
        }
        new k8s.core.v1.Service(name, buildService(identity, settings, stack.monitoring), k8sOpts);
        const networkPolicy = new k8s.networking.v1.NetworkPolicy(name, buildNetworkPolicy(identity, settings, stack.monitoring), k8sOpts);
        const connection = environment.connection;
        // A stack that renders YAML has no cluster to wait on.
        if (canary && rollout && connection.renderYamlToDirectory === undefined) {
            this.promotion = new RolloutPromotion(
                `${name}-promotion`,
                {
                    service: name,
                    namespace: identity.namespace,
                    rollout: identity.name,
                    version: identity.version,
                    revision: pulumi.output(rollout.template).apply(podTemplateRevision),
                    thresholds: {
                        [analysisMetricNames.errorRatio]: canary.thresholds.errorRatio,
                        [analysisMetricNames.latencyP99Seconds]: canary.thresholds.latencyP99Seconds,
                    },
                    window: canary.canary.analysis.window,
                    prometheusUrl: canary.prometheusUrl,
                    deadlineSeconds: promotionDeadlineSeconds(canary.canary, settings.rollout),
                    ...(connection.context === undefined ? {} : { context: connection.context }),
                    ...(connection.kubeconfig === undefined ? {} : { kubeconfig: connection.kubeconfig }),
                },
                // Judged through the pods' metrics, which Prometheus scrapes through the NetworkPolicy.
                { parent: this, dependsOn: [rollout.resource, networkPolicy] },
            );
        }
        const pdb = buildPodDisruptionBudget(identity, settings);
        if (pdb) {
            new k8s.policy.v1.PodDisruptionBudget(name, pdb, k8sOpts);
        }
        const hpa = buildHorizontalPodAutoscaler(identity, settings);
        if (hpa) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, hpa, k8sOpts);
        }
        this.monitoring(name, plan, k8sOpts);

        this.dnsName = pulumi.output(clusterDnsName(identity));
        this.port = pulumi.output(settings.servicePort);
        this.registerOutputs({ imageRef: this.imageRef, repositoryUrl: this.repositoryUrl, version: this.version, dnsName: this.dnsName, port: this.port });
    }

    private imageDestination(name: string, plan: GoServicePlan): ImageDestination {
        const registry = plan.stack.registry;
        switch (registry.kind) {
            case "local":
                return { kind: "local", localName: `localhost/${plan.identity.project}/${name}` };
            case "existing":
                return { kind: "ecr", repositoryUrl: `${registry.url}/${name}`, registryId: registry.registryId };
            case "oci": {
                const credentials = registry.credentials;
                return {
                    kind: "oci",
                    repositoryUrl: `${registry.url}/${name}`,
                    ...(credentials ? { credentials: { username: credentials.username, password: credentials.password } } : {}),
                };
            }
            case "managed": {
                const repository = new EcrRepository(
                    name,
                    {
                        ...registry.ecr,
                        repositoryName: `${registry.repositoryPrefix}/${name}`,
                        tags: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": plan.identity.project, "pulumi-stack": plan.identity.stack },
                    },
                    { parent: this },
                );
                return { kind: "ecr", repositoryUrl: repository.repositoryUrl, registryId: repository.registryId };
            }
        }
    }

    /**
     * What the stack's monitoring asks for: with the Prometheus Operator a ServiceMonitor and a
     * PrometheusRule holding the service's alerts; unless monitoring is `none`, the dashboard.
     */
    private monitoring(name: string, plan: GoServicePlan, opts: pulumi.CustomResourceOptions): void {
        const { identity, settings, stack } = plan;
        const monitoring = stack.monitoring;
        if (monitoring.mode === "none") {
            return;
        }
        const spec: MonitoringSpec = { identity, monitoring, alerts: { ...monitoring.alerts, ...settings.alerts }, metricsPort: settings.metricsPort };
        if (monitoring.mode === "prometheusOperator") {
            new k8s.apiextensions.CustomResource(name, buildServiceMonitor(spec), opts);
            new k8s.apiextensions.CustomResource(name, buildPrometheusRule(spec), opts);
        }
        if (monitoring.dashboard.enabled) {
            new k8s.core.v1.ConfigMap(`${name}-dashboard`, buildDashboardConfigMap(spec), opts);
        }
    }

    /** The Secret holding the secret variables, or undefined when there are none. */
    private secretEnv(
        name: string,
        identity: ServiceIdentity,
        settings: ResolvedSettings,
        values: Record<string, pulumi.Input<string>>,
        opts: pulumi.CustomResourceOptions,
    ): { secretName: pulumi.Output<string>; names: string[] } | undefined {
        if (settings.secretEnvNames.length === 0) {
            return undefined;
        }
        // No fixed name: a changed value makes a new Secret, whose new name rolls the pods.
        const secret = new k8s.core.v1.Secret(
            `${name}-env`,
            {
                metadata: { namespace: identity.namespace, labels: recommendedLabels(identity) },
                type: "Opaque",
                stringData: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, pulumi.secret(value)])),
            },
            opts,
        );
        return { secretName: secret.metadata.name, names: settings.secretEnvNames };
    }
}
