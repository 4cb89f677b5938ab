import * as assert from "assert";
import { resourcePresets } from "../components/presets";
import { defaultProbes, nonRootId } from "../components/serviceSettings";
import { everyDirectoryExists, only, resolvedSettings, settingsProblems } from "./support/fixtures";
import { Problem, Problems } from "../components/validation";
import { resolveServiceSettings } from "../components/serviceSettings";

function onlyProblem(raw: unknown, servicePorts?: ReadonlyMap<string, number>): Problem {
    return only(settingsProblems(raw, "hello", servicePorts), "problem");
}

describe("service settings", () => {
    it("fills in the secure defaults", () => {
        const settings = resolvedSettings({});
        assert.strictEqual(settings.path, "services/hello");
        assert.strictEqual(settings.dockerfile, "docker/go-service.Dockerfile");
        assert.strictEqual(settings.port, 8080);
        assert.strictEqual(settings.servicePort, 80);
        assert.strictEqual(settings.replicas, 1);
        assert.deepStrictEqual(settings.resources, resourcePresets.small);
        assert.deepStrictEqual(settings.shutdown, { drainSeconds: 5, timeoutSeconds: 20, gracePeriodSeconds: 30 });
        assert.deepStrictEqual(settings.probes, defaultProbes);
        assert.deepStrictEqual(settings.security, {
            runAsUser: nonRootId,
            runAsGroup: nonRootId,
            fsGroup: nonRootId,
            readOnlyRootFilesystem: true,
            automountServiceAccountToken: false,
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepStrictEqual(settings.network, { ingressNamespaces: [], egress: [] });
        assert.strictEqual(settings.autoscaling, undefined);
        assert.strictEqual(settings.imagePullPolicy, "IfNotPresent");
    });

    it("accepts a preset by name and explicit resources", () => {
        assert.deepStrictEqual(resolvedSettings({ resources: "large" }).resources, resourcePresets.large);
        const explicit = resolvedSettings({
            resources: { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "1", memory: "100Mi", ephemeralStorage: "1Gi" } },
        });
        assert.deepStrictEqual(explicit.resources, {
            requests: { cpu: "100m", memory: "100Mi", ephemeralStorage: resourcePresets.small.requests.ephemeralStorage },
            limits: { cpu: "1", memory: "100Mi", ephemeralStorage: "1Gi" },
        });
    });

    it("has presets whose limits are at least their requests", () => {
        for (const [name, preset] of Object.entries(resourcePresets)) {
            const problems = settingsProblems({ resources: { requests: preset.requests, limits: preset.limits } });
            assert.deepStrictEqual(problems, [], name);
        }
    });

    it("refuses a limit below its request, naming the limit", () => {
        const problem = onlyProblem({ resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "250m", memory: "256Mi" } } });
        assert.strictEqual(problem.path, "services.hello.resources.limits.cpu");
        assert.match(problem.allowed, /at least the request \(500m\)/);
    });

    it("refuses replicas together with autoscaling", () => {
        const problem = onlyProblem({ replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } });
        assert.strictEqual(problem.path, "services.hello.replicas");
    });

    it("refuses autoscaling whose maximum is below its minimum", () => {
        assert.strictEqual(onlyProblem({ autoscaling: { minReplicas: 5, maxReplicas: 2 } }).path, "services.hello.autoscaling.maxReplicas");
    });

    it("defaults the CPU target of autoscaling to 70%", () => {
        assert.deepStrictEqual(resolvedSettings({ autoscaling: { minReplicas: 2, maxReplicas: 4 } }).autoscaling, {
            minReplicas: 2,
            maxReplicas: 4,
            targetCPUUtilization: 70,
        });
    });

    it("keeps the grace period above drain + timeout", () => {
        assert.strictEqual(resolvedSettings({ shutdown: { drainSeconds: 10, timeoutSeconds: 30 } }).shutdown.gracePeriodSeconds, 45);
        const problem = onlyProblem({ shutdown: { drainSeconds: 10, timeoutSeconds: 30, gracePeriodSeconds: 40 } });
        assert.strictEqual(problem.path, "services.hello.shutdown.gracePeriodSeconds");
        assert.match(problem.allowed, /more than drainSeconds \+ timeoutSeconds/);
    });

    it("refuses variables the component owns and a variable both plain and secret", () => {
        assert.strictEqual(onlyProblem({ env: { PORT: "9090" } }).path, "services.hello.env.PORT");
        const problem = onlyProblem({ env: { TOKEN: "x" }, secretEnv: { TOKEN: "tokenKey" } });
        assert.strictEqual(problem.path, "services.hello.secretEnv.TOKEN");
        assert.strictEqual(problem.value, "(secret, not shown)");
    });

    it("checks LOG_LEVEL against what the service accepts", () => {
        assert.strictEqual(onlyProblem({ env: { LOG_LEVEL: "verbose" } }).path, "services.hello.env.LOG_LEVEL");
        assert.strictEqual(resolvedSettings({ env: { LOG_LEVEL: "warn", RETRIES: 3 } }).env.RETRIES, "3");
    });

    it("resolves egress to another service with that service's port", () => {
        const settings = resolveServiceSettings(
            { network: { egress: [{ service: "quotes" }, { cidr: "10.0.0.0/16", ports: [5432] }] } },
            "s",
            {
                name: "hello",
                servicePorts: new Map([
                    ["quotes", 9000],
                    ["hello", 8080],
                ]),
                directories: everyDirectoryExists,
            },
            new Problems(),
        );
        assert.deepStrictEqual(settings?.network.egress, [
            { kind: "service", service: "quotes", port: 9000 },
            { kind: "cidr", cidr: "10.0.0.0/16", except: [], ports: [5432] },
        ]);
    });

    it("refuses egress to a service the stack does not have, and bad CIDRs", () => {
        const ports = new Map([["hello", 8080]]);
        assert.strictEqual(onlyProblem({ network: { egress: [{ service: "nope" }] } }, ports).path, "services.hello.network.egress[0].service");
        assert.strictEqual(onlyProblem({ network: { egress: [{ cidr: "10.0.0.0/33" }] } }).path, "services.hello.network.egress[0].cidr");
    });

    it("refuses ports a non-root process cannot bind", () => {
        assert.match(onlyProblem({ port: 80 }).allowed, /1024 to 65535/);
    });

    it("requires a Localhost seccomp profile to name its file", () => {
        assert.strictEqual(
            onlyProblem({ security: { seccompProfile: { type: "Localhost" } } }).path,
            "services.hello.security.seccompProfile.localhostProfile",
        );
        assert.strictEqual(onlyProblem({ security: { seccompProfile: { type: "Unconfined" } } }).path, "services.hello.security.seccompProfile.type");
    });

    it("offers the pull policies IfNotPresent and Always, and names the key of any other", () => {
        assert.strictEqual(resolvedSettings({ imagePullPolicy: "Always" }).imagePullPolicy, "Always");
        const problem = onlyProblem({ imagePullPolicy: "always" });
        assert.strictEqual(problem.path, "services.hello.imagePullPolicy");
        assert.strictEqual(problem.value, '"always"');
        assert.match(problem.allowed, /one of: IfNotPresent, Always/);
    });

    it("keeps /tmp within the ephemeral-storage limit", () => {
        assert.strictEqual(onlyProblem({ resources: "nano", tmpSizeLimit: "1Gi" }).path, "services.hello.tmpSizeLimit");
    });

    it("reports a missing service directory with the command that creates one", () => {
        const problems = new Problems();
        resolveServiceSettings(
            {},
            "go-services:services.hello",
            { name: "hello", directories: { missing: () => ["go.mod"], fileExists: () => true } },
            problems,
        );
        assert.throws(
            () => problems.throwIfAny("x"),
            /go-services:services\.hello\.path = "services\/hello": must be a Go service directory; missing: go\.mod \(create one with: npm run new-service -- hello\)/,
        );
    });

    it("requires the service directory directly under services/", () => {
        assert.strictEqual(onlyProblem({ path: "apps/hello" }).path, "services.hello.path");
        assert.strictEqual(onlyProblem({ path: "services/platform" }).path, "services.hello.path");
        assert.strictEqual(onlyProblem({ path: "../outside" }).path, "services.hello.path");
    });
});
