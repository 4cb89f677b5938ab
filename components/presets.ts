/**
 * Resource presets: the one table of exact requests and limits a service can pick by name.
 *
 * Memory request equals the memory limit (a Go service's heap does not shrink back on
 * demand, so memory above the request is memory the node may not have); CPU may burst to
 * twice the request. ephemeral-storage covers /tmp and the container's logs.
 */

/** Requests or limits for the three resources every container declares. */
export interface ResourceAmounts {
    /** CPU as a Kubernetes quantity, e.g. "250m". */
    readonly cpu: string;
    /** Memory as a Kubernetes quantity, e.g. "256Mi". */
    readonly memory: string;
    /** Ephemeral storage as a Kubernetes quantity, e.g. "256Mi". */
    readonly ephemeralStorage: string;
}

/** Requests and limits of a container; limits are at least the requests. */
export interface ResourceRequirements {
    readonly requests: ResourceAmounts;
    readonly limits: ResourceAmounts;
}

/** The preset names, smallest first. */
export const presetNames = ["nano", "micro", "small", "medium", "large", "xlarge"] as const;

/** A preset name. */
export type PresetName = (typeof presetNames)[number];

function preset(cpu: string, cpuLimit: string, memory: string, ephemeral: string, ephemeralLimit: string): ResourceRequirements {
    return {
        requests: { cpu, memory, ephemeralStorage: ephemeral },
        limits: { cpu: cpuLimit, memory, ephemeralStorage: ephemeralLimit },
    };
}

/** The presets; README.md shows the same table. */
export const resourcePresets: Readonly<Record<PresetName, ResourceRequirements>> = {
    nano: preset("50m", "100m", "64Mi", "32Mi", "128Mi"),
    micro: preset("100m", "250m", "128Mi", "64Mi", "256Mi"),
    small: preset("250m", "500m", "256Mi", "64Mi", "512Mi"),
    medium: preset("500m", "1", "512Mi", "128Mi", "1Gi"),
    large: preset("1", "2", "1Gi", "256Mi", "2Gi"),
    xlarge: preset("2", "4", "2Gi", "512Mi", "4Gi"),
};

/** The preset a service gets when it names none. */
export const defaultPreset: PresetName = "small";
