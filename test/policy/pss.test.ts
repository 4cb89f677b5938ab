import * as assert from "node:assert/strict";
import { type Container, WORKLOAD_TYPES } from "../../policy/kubernetes";
import { podSecurityStandardsRules } from "../../policy/pss";
import {
    compliantContainer,
    compliantPodSpec,
    podViolations,
    podWithContainer,
    UNKNOWN_VALUE,
    violations,
    withContainerContext,
    withPodContext,
    workload,
} from "./fixtures";

const APP = 'container "app" (spec.template.spec.containers[0])';
const POD = "pod spec (spec.template.spec)";

/** A compliant pod whose container has `context` merged into its securityContext. */
function podWithContainerContext(context: Parameters<typeof withContainerContext>[1]) {
    return podWithContainer(withContainerContext(compliantContainer(), context));
}

describe("policy/pss", () => {
    it("passes a compliant pod under every Pod Security Standards rule", () => {
        for (const rule of podSecurityStandardsRules) {
            assert.deepEqual(podViolations(rule.name, compliantPodSpec()), [], rule.name);
        }
    });

    it("checks init and ephemeral containers like regular ones", () => {
        const privileged = withContainerContext(compliantContainer("debug"), { privileged: true });
        const spec = compliantPodSpec({ initContainers: [privileged], ephemeralContainers: [privileged] });
        assert.deepEqual(podViolations("pss-privileged", spec), [
            'container "debug" (spec.template.spec.initContainers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "debug" (spec.template.spec.ephemeralContainers[0]): securityContext.privileged is true; it must be false or unset.',
        ]);
    });

    it("checks the pod of every workload kind at its own path", () => {
        const spec = podWithContainerContext({ privileged: true });
        const paths = Object.values(WORKLOAD_TYPES).map((type) => violations("pss-privileged", workload(type, spec))[0]);
        assert.deepEqual(paths, [
            `${APP}: securityContext.privileged is true; it must be false or unset.`,
            'container "app" (spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "app" (spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "app" (spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "app" (spec.jobTemplate.spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "app" (spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
            'container "app" (spec.template.spec.containers[0]): securityContext.privileged is true; it must be false or unset.',
        ]);
    });

    describe("pss-host-process", () => {
        it("fails hostProcess on the pod or a container", () => {
            const spec = withPodContext(podWithContainerContext({ windowsOptions: { hostProcess: true } }), {
                windowsOptions: { hostProcess: true },
            });
            assert.deepEqual(podViolations("pss-host-process", spec), [
                `${POD}: securityContext.windowsOptions.hostProcess is true; it must be false or unset.`,
                `${APP}: securityContext.windowsOptions.hostProcess is true; it must be false or unset.`,
            ]);
        });

        it("passes hostProcess false", () => {
            assert.deepEqual(podViolations("pss-host-process", podWithContainerContext({ windowsOptions: { hostProcess: false } })), []);
        });
    });

    describe("pss-host-namespaces", () => {
        it("fails each shared host namespace", () => {
            const spec = compliantPodSpec({ hostNetwork: true, hostPID: true, hostIPC: true });
            assert.deepEqual(podViolations("pss-host-namespaces", spec), [
                `${POD}: hostNetwork is true; it must be false or unset.`,
                `${POD}: hostPID is true; it must be false or unset.`,
                `${POD}: hostIPC is true; it must be false or unset.`,
            ]);
        });

        it("passes explicit false", () => {
            assert.deepEqual(podViolations("pss-host-namespaces", compliantPodSpec({ hostNetwork: false, hostPID: false, hostIPC: false })), []);
        });
    });

    describe("pss-privileged", () => {
        it("fails a privileged container and passes privileged: false", () => {
            assert.equal(podViolations("pss-privileged", podWithContainerContext({ privileged: true })).length, 1);
            assert.deepEqual(podViolations("pss-privileged", podWithContainerContext({ privileged: false })), []);
        });
    });

    describe("pss-capabilities", () => {
        it("fails a container that does not drop ALL", () => {
            assert.deepEqual(podViolations("pss-capabilities", podWithContainerContext({ capabilities: { drop: ["NET_RAW"] } })), [
                `${APP}: securityContext.capabilities.drop is ["NET_RAW"]; it must include "ALL".`,
            ]);
            assert.deepEqual(podViolations("pss-capabilities", podWithContainerContext({ capabilities: undefined })), [
                `${APP}: securityContext.capabilities.drop is not set; it must include "ALL".`,
            ]);
        });

        it("allows adding back NET_BIND_SERVICE only", () => {
            const adding = (add: string[]) => podWithContainerContext({ capabilities: { drop: ["ALL"], add } });
            assert.deepEqual(podViolations("pss-capabilities", adding(["NET_BIND_SERVICE"])), []);
            assert.deepEqual(podViolations("pss-capabilities", adding(["NET_BIND_SERVICE", "SYS_ADMIN"])), [
                `${APP}: securityContext.capabilities.add is ["NET_BIND_SERVICE","SYS_ADMIN"]; only "NET_BIND_SERVICE" may be added.`,
            ]);
        });

        it("takes the allowed additions from config", () => {
            const spec = podWithContainerContext({ capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } });
            assert.deepEqual(podViolations("pss-capabilities", spec, { allowedAddCapabilities: [] }), [
                `${APP}: securityContext.capabilities.add is ["NET_BIND_SERVICE"]; no capability may be added.`,
            ]);
        });

        it("exempts Windows pods, as the restricted profile does", () => {
            const spec = { ...podWithContainerContext({ capabilities: undefined }), os: { name: "windows" } };
            assert.deepEqual(podViolations("pss-capabilities", spec), []);
        });
    });

    describe("pss-volume-types", () => {
        it("fails hostPath and other non-core volume types", () => {
            const spec = compliantPodSpec({
                volumes: [
                    { name: "tmp", emptyDir: {} },
                    { name: "host", hostPath: { path: "/var/run" } },
                    { name: "nfs", nfs: { server: "nfs", path: "/" } },
                ],
            });
            const messages = podViolations("pss-volume-types", spec);
            assert.equal(messages.length, 2);
            assert.match(messages[0] ?? "", /^volume "host" \(spec\.template\.spec\.volumes\[1\]\): its type is "hostPath"; allowed types are configMap, csi/);
            assert.match(messages[1] ?? "", /^volume "nfs" \(spec\.template\.spec\.volumes\[2\]\): its type is "nfs"/);
        });

        it("passes every allowed type and a volume without a source (defaulted to emptyDir)", () => {
            const spec = compliantPodSpec({
                volumes: [
                    { name: "a", configMap: { name: "c" } },
                    { name: "b", csi: { driver: "d" } },
                    { name: "c", downwardAPI: {} },
                    { name: "d", emptyDir: {} },
                    { name: "e", ephemeral: {} },
                    { name: "f", persistentVolumeClaim: { claimName: "p" } },
                    { name: "g", projected: { sources: [] } },
                    { name: "h", secret: { secretName: "s" } },
                    { name: "i", hostPath: null },
                    { name: "j" },
                ],
            });
            assert.deepEqual(podViolations("pss-volume-types", spec), []);
        });
    });

    describe("pss-host-ports", () => {
        const withPorts = (ports: Container["ports"]) => podWithContainer({ ...compliantContainer(), ports });

        it("fails a host port", () => {
            assert.deepEqual(podViolations("pss-host-ports", withPorts([{ containerPort: 8080, hostPort: 8080 }])), [
                `${APP}: ports[0].hostPort is 8080; it must be 0 or unset.`,
            ]);
        });

        it("passes 0, unset, and ports allowed by config", () => {
            assert.deepEqual(podViolations("pss-host-ports", withPorts([{ containerPort: 1, hostPort: 0 }, { containerPort: 2 }])), []);
            assert.deepEqual(podViolations("pss-host-ports", withPorts([{ containerPort: 53, hostPort: 53 }]), { allowedHostPorts: [53] }), []);
        });
    });

    describe("pss-host-probes", () => {
        it("fails probes and lifecycle hooks aimed at another host", () => {
            const container: Container = {
                ...compliantContainer(),
                livenessProbe: { httpGet: { host: "169.254.169.254", path: "/", port: 80 } },
                lifecycle: { preStop: { tcpSocket: { host: "10.0.0.1", port: 22 } } },
            };
            assert.deepEqual(podViolations("pss-host-probes", podWithContainer(container)), [
                `${APP}: livenessProbe.httpGet.host is "169.254.169.254"; it must be empty or unset.`,
                `${APP}: lifecycle.preStop.tcpSocket.host is "10.0.0.1"; it must be empty or unset.`,
            ]);
        });

        it("passes an empty host", () => {
            const container = { ...compliantContainer(), readinessProbe: { httpGet: { host: "", path: "/readyz", port: 8080 } } };
            assert.deepEqual(podViolations("pss-host-probes", podWithContainer(container)), []);
        });
    });

    describe("pss-apparmor", () => {
        const annotated = (value: string) => {
            const view = workload(WORKLOAD_TYPES.pod, compliantPodSpec(), {
                name: "hello",
                annotations: { "container.apparmor.security.beta.kubernetes.io/app": value, unrelated: "unconfined" },
            });
            return violations("pss-apparmor", view);
        };

        it("fails an unconfined AppArmor annotation", () => {
            assert.deepEqual(annotated("unconfined"), [
                'pod metadata (metadata): annotations["container.apparmor.security.beta.kubernetes.io/app"] is "unconfined"; it must be "runtime/default" or "localhost/<profile>".',
            ]);
        });

        it("passes runtime/default and localhost profiles", () => {
            assert.deepEqual(annotated("runtime/default"), []);
            assert.deepEqual(annotated("localhost/k8s-apparmor"), []);
        });

        it("fails an Unconfined appArmorProfile on the pod or a container and passes RuntimeDefault", () => {
            const spec = withPodContext(podWithContainerContext({ appArmorProfile: { type: "Unconfined" } }), {
                appArmorProfile: { type: "RuntimeDefault" },
            });
            assert.deepEqual(podViolations("pss-apparmor", spec), [
                `${APP}: securityContext.appArmorProfile.type is "Unconfined"; it must be "RuntimeDefault" or "Localhost".`,
            ]);
        });
    });

    describe("pss-selinux", () => {
        it("fails a custom type, user or role", () => {
            const spec = withPodContext(podWithContainerContext({ seLinuxOptions: { type: "spc_t" } }), {
                seLinuxOptions: { user: "system_u", role: "system_r" },
            });
            assert.deepEqual(podViolations("pss-selinux", spec), [
                `${POD}: securityContext.seLinuxOptions.user is "system_u"; it must be unset.`,
                `${POD}: securityContext.seLinuxOptions.role is "system_r"; it must be unset.`,
                `${APP}: securityContext.seLinuxOptions.type is "spc_t"; it must be unset or "container_t", "container_init_t", "container_kvm_t" or "container_engine_t".`,
            ]);
        });

        it("passes container types and a level alone", () => {
            const spec = podWithContainerContext({ seLinuxOptions: { type: "container_init_t" } });
            assert.deepEqual(podViolations("pss-selinux", withPodContext(spec, { seLinuxOptions: { type: "" } })), []);
        });
    });

    describe("pss-proc-mount", () => {
        it("fails an unmasked /proc and passes Default", () => {
            assert.deepEqual(podViolations("pss-proc-mount", podWithContainerContext({ procMount: "Unmasked" })), [
                `${APP}: securityContext.procMount is "Unmasked"; it must be "Default" or unset.`,
            ]);
            assert.deepEqual(podViolations("pss-proc-mount", podWithContainerContext({ procMount: "Default" })), []);
        });
    });

    describe("pss-seccomp", () => {
        it("passes a profile set on every container instead of the pod", () => {
            const spec = withPodContext(podWithContainerContext({ seccompProfile: { type: "Localhost", localhostProfile: "p.json" } }), {
                seccompProfile: undefined,
            });
            assert.deepEqual(podViolations("pss-seccomp", spec), []);
        });

        it("fails a container without a profile when the pod has none", () => {
            const spec = withPodContext(compliantPodSpec(), { seccompProfile: undefined });
            assert.deepEqual(podViolations("pss-seccomp", spec), [
                `${APP}: securityContext.seccompProfile.type is not set; it must be "RuntimeDefault" or "Localhost", here or in spec.template.spec.securityContext.`,
            ]);
        });

        it("fails Unconfined on a container even when the pod sets RuntimeDefault (container overrides pod)", () => {
            assert.deepEqual(podViolations("pss-seccomp", podWithContainerContext({ seccompProfile: { type: "Unconfined" } })), [
                `${APP}: securityContext.seccompProfile.type is "Unconfined"; it must be "RuntimeDefault" or "Localhost".`,
            ]);
        });

        it("fails Unconfined on the pod, and each container that relies on it", () => {
            const spec = withPodContext(compliantPodSpec(), { seccompProfile: { type: "Unconfined" } });
            assert.equal(podViolations("pss-seccomp", spec).length, 2);
        });

        it("exempts Windows pods", () => {
            const spec = { ...withPodContext(compliantPodSpec(), { seccompProfile: undefined }), os: { name: "windows" } };
            assert.deepEqual(podViolations("pss-seccomp", spec), []);
        });
    });

    describe("pss-sysctls", () => {
        it("fails an unsafe sysctl and passes safe ones in either separator style", () => {
            const spec = withPodContext(compliantPodSpec(), {
                sysctls: [
                    { name: "net.ipv4.tcp_syncookies", value: "1" },
                    { name: "net/ipv4/ip_local_port_range", value: "1024 65535" },
                    { name: "kernel.msgmax", value: "65536" },
                ],
            });
            const messages = podViolations("pss-sysctls", spec);
            assert.equal(messages.length, 1);
            assert.match(
                messages[0] ?? "",
                /^pod spec \(spec\.template\.spec\): securityContext\.sysctls\[2\]\.name is "kernel\.msgmax"; allowed sysctls are kernel\.shm_rmid_forced/,
            );
        });
    });

    describe("pss-privilege-escalation", () => {
        it("fails unset or true and passes false", () => {
            assert.deepEqual(podViolations("pss-privilege-escalation", podWithContainerContext({ allowPrivilegeEscalation: undefined })), [
                `${APP}: securityContext.allowPrivilegeEscalation is not set; it must be false.`,
            ]);
            assert.equal(podViolations("pss-privilege-escalation", podWithContainerContext({ allowPrivilegeEscalation: true })).length, 1);
            assert.deepEqual(podViolations("pss-privilege-escalation", compliantPodSpec()), []);
        });

        it("exempts Windows pods", () => {
            const spec = { ...podWithContainerContext({ allowPrivilegeEscalation: undefined }), os: { name: "windows" } };
            assert.deepEqual(podViolations("pss-privilege-escalation", spec), []);
        });
    });

    describe("pss-run-as-non-root", () => {
        it("passes runAsNonRoot set on every container instead of the pod", () => {
            const spec = withPodContext(podWithContainerContext({ runAsNonRoot: true }), { runAsNonRoot: undefined });
            assert.deepEqual(podViolations("pss-run-as-non-root", spec), []);
        });

        it("fails a container that sets nothing when the pod sets nothing", () => {
            const spec = withPodContext(compliantPodSpec(), { runAsNonRoot: undefined });
            assert.deepEqual(podViolations("pss-run-as-non-root", spec), [
                `${APP}: securityContext.runAsNonRoot is not set; it must be true, here or in spec.template.spec.securityContext.`,
            ]);
        });

        it("fails a container that sets false although the pod sets true (container overrides pod)", () => {
            assert.deepEqual(podViolations("pss-run-as-non-root", podWithContainerContext({ runAsNonRoot: false })), [
                `${APP}: securityContext.runAsNonRoot is false; it must be true.`,
            ]);
        });

        it("fails the pod setting false even when every container sets true", () => {
            const spec = withPodContext(podWithContainerContext({ runAsNonRoot: true }), { runAsNonRoot: false });
            assert.deepEqual(podViolations("pss-run-as-non-root", spec), [`${POD}: securityContext.runAsNonRoot is false; it must be true.`]);
        });

        it("fails runAsUser 0 on the pod or a container", () => {
            const spec = withPodContext(podWithContainerContext({ runAsUser: 0 }), { runAsUser: 0 });
            assert.deepEqual(podViolations("pss-run-as-non-root", spec), [
                `${POD}: securityContext.runAsUser is 0; it must not be 0 (root).`,
                `${APP}: securityContext.runAsUser is 0; it must not be 0 (root).`,
            ]);
        });
    });

    describe("values unknown during preview", () => {
        it("skips a check that reads an unknown value and keeps the other containers' findings", () => {
            const spec = compliantPodSpec({
                containers: [
                    withContainerContext(compliantContainer("app"), { allowPrivilegeEscalation: UNKNOWN_VALUE as unknown as boolean }),
                    withContainerContext(compliantContainer("sidecar"), { allowPrivilegeEscalation: true }),
                ],
            });
            assert.deepEqual(podViolations("pss-privilege-escalation", spec), [
                'container "sidecar" (spec.template.spec.containers[1]): securityContext.allowPrivilegeEscalation is true; it must be false.',
            ]);
        });

        it("skips containers that inherit an unknown pod-level setting, but not an explicit bad one", () => {
            const spec = withPodContext(
                compliantPodSpec({
                    containers: [compliantContainer("inherits"), withContainerContext(compliantContainer("explicit"), { runAsNonRoot: false })],
                }),
                { runAsNonRoot: UNKNOWN_VALUE as unknown as boolean },
            );
            assert.deepEqual(podViolations("pss-run-as-non-root", spec), [
                'container "explicit" (spec.template.spec.containers[1]): securityContext.runAsNonRoot is false; it must be true.',
            ]);
        });

        it("reports nothing when the whole pod spec is unknown", () => {
            const view = workload(WORKLOAD_TYPES.deployment, UNKNOWN_VALUE as unknown as never);
            for (const rule of podSecurityStandardsRules) {
                assert.deepEqual(violations(rule.name, view), [], rule.name);
            }
        });

        it("names a container whose name is unknown by its path", () => {
            const spec = podWithContainer({ ...withContainerContext(compliantContainer(), { privileged: true }), name: UNKNOWN_VALUE });
            assert.deepEqual(podViolations("pss-privileged", spec), [
                "container spec.template.spec.containers[0]: securityContext.privileged is true; it must be false or unset.",
            ]);
        });
    });
});
