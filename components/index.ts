/**
 * The go-services component library: compose Go services into a Pulumi program of your own.
 *
 *     const environment = new KubernetesEnvironment("cluster", { namespace: "apps" });
 *     const stack = { imageTag: "v1.4.2" };
 *     new GoService("quotes", { stack, environment, replicas: 2 });
 *     new GoService("hello", { stack, environment, network: { egress: [{ service: "quotes" }] } });
 */
export { buildHorizontalPodAutoscaler, buildPodDisruptionBudget } from "./availability";
export { EcrRepository, buildLifecyclePolicy, buildRepositoryArgs } from "./ecrRepository";
export type { EcrRepositoryArgs } from "./ecrRepository";
export { ecrDefaults } from "./ecrSettings";
export type { EcrSettings } from "./ecrSettings";
export type { KubernetesConnection } from "./environmentSettings";
export { GoService, planGoService } from "./goService";
export type { GoServiceArgs, GoServicePlan } from "./goService";
export { KubernetesEnvironment } from "./kubernetesEnvironment";
export type { KubernetesEnvironmentArgs } from "./kubernetesEnvironment";
export { recommendedLabels, selectorLabels } from "./labels";
export type { ServiceIdentity } from "./labels";
export { buildNamespace } from "./namespace";
export { buildNetworkPolicy, buildService, buildServiceAccount, clusterDnsName } from "./networking";
export { resourcePresets } from "./presets";
export type { PresetName, ResourceRequirements } from "./presets";
export { ServiceImage } from "./serviceImage";
export type { ServiceImageArgs } from "./serviceImage";
export type { ServiceSettings } from "./serviceSettings";
export type { Platform, RegistryChoice, StackSettings } from "./stackSettings";
export { InvalidInputError } from "./validation";
export { buildDeployment } from "./workload";
export type { WorkloadSpec } from "./workload";
