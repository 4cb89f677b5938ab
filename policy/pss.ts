// The Pod Security Standards "restricted" profile, and the "baseline" controls it includes, as
// the pod-security-admission controller checks them (k8s.io/pod-security-admission/policy):
// https://kubernetes.io/docs/concepts/security/pod-security-standards/
// Every control covers init, regular and ephemeral containers, as the admission controller does.

import { checkContainers, type Container, type Handler, isWindowsPod, podLabel, type PodView, type SharedSecurityContext } from "./kubernetes";
import { fieldViolation, oneOf, quoteList } from "./messages";
import { integerListOption, stringListOption } from "./options";
import { podRule, type ResourceRule } from "./rule";
import { known, UNKNOWN, unlessUnknown } from "./unknowns";

/** Volume types the restricted profile allows. */
const ALLOWED_VOLUME_TYPES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"] as const;

/** Sysctls the baseline profile allows (the "safe" set as of Kubernetes 1.32). */
const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
] as const;

const PROFILE_TYPES = ["RuntimeDefault", "Localhost"];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const HOST_NAMESPACES = ["hostNetwork", "hostPID", "hostIPC"] as const;

/** Checks the pod's `securityContext` and every container's, each on its own. */
function checkSecurityContexts(pod: PodView, check: (context: SharedSecurityContext, where: string) => readonly string[]): string[] {
    return [
        ...unlessUnknown(() => check(pod.spec.securityContext ?? {}, podLabel(pod))),
        ...checkContainers(pod, "all", ({ container, label }) => check(container.securityContext ?? {}, label)),
    ];
}

/**
 * Checks a setting a container inherits from the pod unless it sets its own (runAsNonRoot,
 * seccompProfile): an invalid explicit value fails wherever it is set, and a container that sets
 * nothing fails unless the pod sets a valid value.
 */
function checkInheritedSetting<T>(
    pod: PodView,
    field: string,
    read: (context: SharedSecurityContext) => T | undefined,
    valid: (value: T) => boolean,
    allowed: string,
): string[] {
    const podValue = known(() => read(pod.spec.securityContext ?? {}));
    const podMessages = podValue !== UNKNOWN && podValue !== undefined && !valid(podValue) ? [fieldViolation(podLabel(pod), field, podValue, allowed)] : [];
    const podIsValid = podValue === UNKNOWN ? UNKNOWN : podValue !== undefined && valid(podValue);
    return [
        ...podMessages,
        ...checkContainers(pod, "all", ({ container, label }) => {
            const value = read(container.securityContext ?? {});
            if (value !== undefined) {
                return valid(value) ? [] : [fieldViolation(label, field, value, allowed)];
            }
            return podIsValid === UNKNOWN || podIsValid ? [] : [fieldViolation(label, field, value, `${allowed}, here or in ${pod.specPath}.securityContext`)];
        }),
    ];
}

const hostProcess = podRule({
    name: "pss-host-process",
    description: "Pod Security Standards (baseline): Windows HostProcess containers are forbidden.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        checkSecurityContexts(pod, (context, where) =>
            context.windowsOptions?.hostProcess === true
                ? [fieldViolation(where, "securityContext.windowsOptions.hostProcess", true, "it must be false or unset")]
                : [],
        ),
});

const hostNamespaces = podRule({
    name: "pss-host-namespaces",
    description: "Pod Security Standards (baseline): pods must not share the host's network, PID or IPC namespace.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        HOST_NAMESPACES.flatMap((field) =>
            unlessUnknown(() => (pod.spec[field] === true ? [fieldViolation(podLabel(pod), field, true, "it must be false or unset")] : [])),
        ),
});

const privileged = podRule({
    name: "pss-privileged",
    description: "Pod Security Standards (baseline): privileged containers are forbidden.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        checkContainers(pod, "all", ({ container, label }) =>
            container.securityContext?.privileged === true ? [fieldViolation(label, "securityContext.privileged", true, "it must be false or unset")] : [],
        ),
});

const capabilities = podRule({
    name: "pss-capabilities",
    description: "Pod Security Standards (restricted): containers must drop ALL capabilities and may add back only NET_BIND_SERVICE (Linux pods).",
    enforcementLevel: "mandatory",
    options: {
        allowedAddCapabilities: stringListOption(
            ["NET_BIND_SERVICE"],
            "Capabilities a container may add back after dropping ALL. The restricted profile allows NET_BIND_SERVICE only.",
            "^[A-Z_]+$",
        ),
    },
    check: (pod, { allowedAddCapabilities }) =>
        isWindowsPod(pod)
            ? []
            : checkContainers(pod, "all", ({ container, label }) => {
                  const drop = container.securityContext?.capabilities?.drop;
                  const added = container.securityContext?.capabilities?.add ?? [];
                  const forbidden = added.filter((capability) => !allowedAddCapabilities.includes(capability));
                  return [
                      ...((drop ?? []).includes("ALL") ? [] : [fieldViolation(label, "securityContext.capabilities.drop", drop, 'it must include "ALL"')]),
                      ...(forbidden.length === 0
                          ? []
                          : [
                                fieldViolation(
                                    label,
                                    "securityContext.capabilities.add",
                                    added,
                                    allowedAddCapabilities.length === 0 ? "no capability may be added" : `only ${oneOf(allowedAddCapabilities)} may be added`,
                                ),
                            ]),
                  ];
              }),
});

const volumeTypes = podRule({
    name: "pss-volume-types",
    description: `Pod Security Standards (restricted): volumes may only be of the types ${ALLOWED_VOLUME_TYPES.join(", ")} (no hostPath).`,
    enforcementLevel: "mandatory",
    check: (pod) =>
        (pod.spec.volumes ?? []).flatMap((volume, index) =>
            unlessUnknown(() => {
                const types = Object.keys(volume).filter((key) => key !== "name" && volume[key] != null);
                const forbidden = types.filter((type) => !(ALLOWED_VOLUME_TYPES as readonly string[]).includes(type));
                return forbidden.length === 0
                    ? []
                    : [
                          `volume ${JSON.stringify(volume.name ?? "")} (${pod.specPath}.volumes[${index}]): its type is ${quoteList(forbidden)}; ` +
                              `allowed types are ${ALLOWED_VOLUME_TYPES.join(", ")}.`,
                      ];
            }),
        ),
});

const hostPorts = podRule({
    name: "pss-host-ports",
    description: "Pod Security Standards (baseline): containers must not bind host ports.",
    enforcementLevel: "mandatory",
    options: {
        allowedHostPorts: integerListOption([], "Host ports a container may bind (the baseline profile's optional allow-list).", 1, 65535),
    },
    check: (pod, { allowedHostPorts }) =>
        checkContainers(pod, "all", ({ container, label }) =>
            (container.ports ?? []).flatMap((port, index) => {
                const hostPort = port.hostPort;
                return hostPort == null || hostPort === 0 || allowedHostPorts.includes(hostPort)
                    ? []
                    : [
                          fieldViolation(
                              label,
                              `ports[${index}].hostPort`,
                              hostPort,
                              `it must be 0 or unset${allowedHostPorts.length > 0 ? `, or one of ${allowedHostPorts.join(", ")}` : ""}`,
                          ),
                      ];
            }),
        ),
});

const HOST_CHECKED_HANDLERS: readonly (readonly [string, (container: Container) => Handler | undefined])[] = [
    ["livenessProbe", (container) => container.livenessProbe],
    ["readinessProbe", (container) => container.readinessProbe],
    ["startupProbe", (container) => container.startupProbe],
    ["lifecycle.postStart", (container) => container.lifecycle?.postStart],
    ["lifecycle.preStop", (container) => container.lifecycle?.preStop],
];

const hostProbes = podRule({
    name: "pss-host-probes",
    description: "Pod Security Standards (baseline, Kubernetes 1.34+): probes and lifecycle hooks must not target another host (httpGet.host, tcpSocket.host).",
    enforcementLevel: "mandatory",
    check: (pod) =>
        checkContainers(pod, "all", ({ container, label }) =>
            HOST_CHECKED_HANDLERS.flatMap(([field, handlerOf]) => {
                const handler = handlerOf(container);
                return (["httpGet", "tcpSocket"] as const).flatMap((action) => {
                    const host = handler?.[action]?.host;
                    return host == null || host === "" ? [] : [fieldViolation(label, `${field}.${action}.host`, host, "it must be empty or unset")];
                });
            }),
        ),
});

const appArmor = podRule({
    name: "pss-apparmor",
    description: "Pod Security Standards (baseline): AppArmor may not be disabled or set to a profile other than RuntimeDefault or Localhost.",
    enforcementLevel: "mandatory",
    check: (pod) => [
        ...Object.keys(pod.metadata?.annotations ?? {})
            .filter((key) => key.startsWith(APPARMOR_ANNOTATION_PREFIX))
            .flatMap((key) =>
                unlessUnknown(() => {
                    const value = pod.metadata?.annotations?.[key] ?? "";
                    return value === "" || value === "runtime/default" || value.startsWith("localhost/")
                        ? []
                        : [
                              fieldViolation(
                                  `pod metadata (${pod.metadataPath})`,
                                  `annotations[${JSON.stringify(key)}]`,
                                  value,
                                  'it must be "runtime/default" or "localhost/<profile>"',
                              ),
                          ];
                }),
            ),
        ...checkSecurityContexts(pod, (context, where) => {
            const profile = context.appArmorProfile;
            return profile == null || PROFILE_TYPES.includes(profile.type ?? "")
                ? []
                : [fieldViolation(where, "securityContext.appArmorProfile.type", profile.type, `it must be ${oneOf(PROFILE_TYPES)}`)];
        }),
    ],
});

const seLinux = podRule({
    name: "pss-selinux",
    description: "Pod Security Standards (baseline): SELinux type must be a container type, and user and role must not be set.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        checkSecurityContexts(pod, (context, where) => {
            const options = context.seLinuxOptions;
            if (options == null) {
                return [];
            }
            return [
                ...(SELINUX_TYPES.includes(options.type ?? "")
                    ? []
                    : [
                          fieldViolation(
                              where,
                              "securityContext.seLinuxOptions.type",
                              options.type,
                              `it must be unset or ${oneOf(SELINUX_TYPES.filter((type) => type !== ""))}`,
                          ),
                      ]),
                ...(["user", "role"] as const)
                    .filter((field) => (options[field] ?? "") !== "")
                    .map((field) => fieldViolation(where, `securityContext.seLinuxOptions.${field}`, options[field], "it must be unset")),
            ];
        }),
});

const procMount = podRule({
    name: "pss-proc-mount",
    description: "Pod Security Standards (baseline): containers must use the default /proc mount.",
    enforcementLevel: "mandatory",
    check: (pod) =>
        checkContainers(pod, "all", ({ container, label }) => {
            const value = container.securityContext?.procMount;
            return value == null || value === "Default" ? [] : [fieldViolation(label, "securityContext.procMount", value, 'it must be "Default" or unset')];
        }),
});

const seccomp = podRule({
    name: "pss-seccomp",
    description:
        "Pod Security Standards (restricted): the seccomp profile must be RuntimeDefault or Localhost, set on the pod or on every container (Linux pods).",
    enforcementLevel: "mandatory",
    check: (pod) =>
        isWindowsPod(pod)
            ? []
            : checkInheritedSetting(
                  pod,
                  "securityContext.seccompProfile.type",
                  (context) => (context.seccompProfile == null ? undefined : (context.seccompProfile.type ?? "")),
                  (type) => PROFILE_TYPES.includes(type),
                  `it must be ${oneOf(PROFILE_TYPES)}`,
              ),
});

const sysctls = podRule({
    name: "pss-sysctls",
    description: 'Pod Security Standards (baseline): only namespaced, node-isolated ("safe") sysctls may be set.',
    enforcementLevel: "mandatory",
    check: (pod) =>
        (pod.spec.securityContext?.sysctls ?? []).flatMap((sysctl, index) =>
            unlessUnknown(() => {
                const name = sysctl.name ?? "";
                return (SAFE_SYSCTLS as readonly string[]).includes(name.replace(/\//g, "."))
                    ? []
                    : [fieldViolation(podLabel(pod), `securityContext.sysctls[${index}].name`, name, `allowed sysctls are ${SAFE_SYSCTLS.join(", ")}`)];
            }),
        ),
});

const privilegeEscalation = podRule({
    name: "pss-privilege-escalation",
    description: "Pod Security Standards (restricted): every container must set allowPrivilegeEscalation to false (Linux pods).",
    enforcementLevel: "mandatory",
    check: (pod) =>
        isWindowsPod(pod)
            ? []
            : checkContainers(pod, "all", ({ container, label }) => {
                  const value = container.securityContext?.allowPrivilegeEscalation;
                  return value === false ? [] : [fieldViolation(label, "securityContext.allowPrivilegeEscalation", value, "it must be false")];
              }),
});

const runAsNonRoot = podRule({
    name: "pss-run-as-non-root",
    description: "Pod Security Standards (restricted): runAsNonRoot must be true on the pod or on every container, and runAsUser must not be 0.",
    enforcementLevel: "mandatory",
    check: (pod) => [
        ...checkInheritedSetting(
            pod,
            "securityContext.runAsNonRoot",
            (context) => context.runAsNonRoot,
            (value) => value,
            "it must be true",
        ),
        ...checkSecurityContexts(pod, (context, where) =>
            context.runAsUser === 0 ? [fieldViolation(where, "securityContext.runAsUser", 0, "it must not be 0 (root)")] : [],
        ),
    ],
});

/** The Pod Security Standards rules, restricted profile plus the baseline controls it includes. */
export const podSecurityStandardsRules: readonly ResourceRule[] = [
    hostProcess,
    hostNamespaces,
    privileged,
    capabilities,
    volumeTypes,
    hostPorts,
    hostProbes,
    appArmor,
    seLinux,
    procMount,
    seccomp,
    sysctls,
    privilegeEscalation,
    runAsNonRoot,
];
