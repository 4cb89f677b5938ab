/**
 * The go-services stack: read and check Pulumi.<stack>.yaml, read the source stack of a
 * promoting stack, then declare one GoService per configured service. README.md lists the
 * configuration keys.
 *
 * Stack outputs: `namespace`, the namespace every service runs in, and `services`, per
 * service: image (repository@sha256:...), version, repositoryUrl, dnsName, port.
 * A stack promoting from this one reads `services.<name>.image` and `services.<name>.version`.
 */
import { program } from "./components/program";
import { quietSdkDebugLogs } from "./components/sdkDebugLogs";

// An async program: the source stack of a promotion is read before anything is registered.
// The SDK's per-resource debug lines are dropped first (components/sdkDebugLogs.ts).
export = () => {
    quietSdkDebugLogs();
    return program();
};
