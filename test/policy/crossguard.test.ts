import * as assert from "node:assert/strict";
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { toPolicy } from "../../policy/crossguard";
import { WORKLOAD_TYPES } from "../../policy/kubernetes";
import type { OptionValues } from "../../policy/options";
import type { PolicyResourceView } from "../../policy/rule";
import { rules } from "../../policy/rules";
import { known, UNKNOWN } from "../../policy/unknowns";
import { asCrossGuardSees, compliantContainer, compliantPodSpec, deployment, PINNED_IMAGE, UNKNOWN_VALUE, withPodContext } from "./fixtures";

const OPTIONS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function notApplicable(reason?: string): never {
    throw new Error(`not applicable: ${reason}`);
}

/** The args CrossGuard passes a resource policy: props wrapped so that unknowns throw, and the policy's config. */
function resourceArgs(view: PolicyResourceView, config: OptionValues = {}): ResourceValidationArgs {
    const seen = asCrossGuardSees(view);
    return {
        type: seen.type,
        name: seen.name,
        urn: seen.urn ?? "",
        props: seen.props,
        opts: OPTIONS,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        // The SDK's signature: the caller names the config type it expects.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

function stackArgs(views: readonly PolicyResourceView[], config: OptionValues = {}): StackValidationArgs {
    return {
        resources: views.map((view) => {
            const seen = asCrossGuardSees(view);
            return { ...seen, urn: seen.urn ?? "", opts: OPTIONS, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined };
        }),
        stackTags: new Map(),
        // The SDK's signature: the caller names the config type it expects.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

function policyNamed(name: string) {
    const rule = rules.find((candidate) => candidate.name === name);
    assert.ok(rule !== undefined);
    return toPolicy(rule);
}

/** Runs a resource policy as CrossGuard does and collects what it reports. */
function runResourcePolicy(name: string, view: PolicyResourceView, config?: OptionValues): { message: string; urn?: string }[] {
    const reported: { message: string; urn?: string }[] = [];
    const report: ReportViolation = (message, urn) => reported.push({ message, ...(urn === undefined ? {} : { urn }) });
    const policy = policyNamed(name) as ResourceValidationPolicy;
    assert.equal(typeof policy.validateResource, "function");
    (policy.validateResource as (args: ResourceValidationArgs, report: ReportViolation) => void)(resourceArgs(view, config), report);
    return reported;
}

describe("policy/crossguard", () => {
    it("reads a proxied unknown only through the guard (the premise: a bare read throws)", () => {
        const props = asCrossGuardSees(deployment(compliantPodSpec({ containers: [{ ...compliantContainer(), image: UNKNOWN_VALUE }] }))).props as {
            spec: { template: { spec: { containers: { image: string }[] } } };
        };
        assert.throws(() => props.spec.template.spec.containers[0]?.image, /can't be known during preview/);
        assert.equal(
            known(() => props.spec.template.spec.containers[0]?.image),
            UNKNOWN,
        );
    });

    it("reports each violation of a resource policy, and nothing for other types", () => {
        const writable = { ...compliantContainer(), image: "hello:latest" };
        const reported = runResourcePolicy("image-pinned", deployment(compliantPodSpec({ containers: [writable] })));
        assert.equal(reported.length, 1);
        assert.match(reported[0]?.message ?? "", /it uses the tag latest/);
        assert.deepEqual(runResourcePolicy("ecr-scan-on-push", deployment()), []);
    });

    it('does not throw on an unknown image, so the SDK never reports "can\'t run policy during preview"', () => {
        const spec = compliantPodSpec({
            containers: [
                { ...compliantContainer(), image: UNKNOWN_VALUE },
                { ...compliantContainer("sidecar"), image: "busybox" },
            ],
        });
        const reported = runResourcePolicy("image-pinned", deployment(spec));
        assert.deepEqual(
            reported.map((entry) => entry.message.split(":")[0]),
            ['container "sidecar" (spec.template.spec.containers[1])'],
        );
        assert.deepEqual(
            runResourcePolicy("image-pinned", deployment(compliantPodSpec({ containers: [{ ...compliantContainer(), image: PINNED_IMAGE }] }))),
            [],
        );
    });

    it("passes the policy's config from getConfig to the rule", () => {
        const lowIds = withPodContext(compliantPodSpec(), { runAsUser: 2000, runAsGroup: 2000 });
        assert.equal(runResourcePolicy("high-uid-gid", deployment(lowIds)).length, 2);
        assert.deepEqual(runResourcePolicy("high-uid-gid", deployment(lowIds), { minimumId: 1000 }), []);
        assert.throws(() => runResourcePolicy("high-uid-gid", deployment(lowIds), { minimumId: "1000" }), /option "minimumId" is "1000"/);
    });

    it("reports a stack finding against the resource it concerns", async () => {
        const reported: { message: string; urn?: string }[] = [];
        const policy = policyNamed("deployment-has-service") as StackValidationPolicy;
        await policy.validateStack(stackArgs([deployment()]), (message, urn) => reported.push({ message, ...(urn === undefined ? {} : { urn }) }));
        assert.equal(reported.length, 1);
        assert.equal(reported[0]?.urn, `urn:pulumi:dev::go-services::${WORKLOAD_TYPES.deployment}::hello`);
    });

    describe("the pack's policies", () => {
        const policies = rules.map(toPolicy);

        it("have unique, valid names and a description", () => {
            const names = policies.map((policy) => policy.name);
            assert.equal(new Set(names).size, names.length);
            for (const policy of policies) {
                assert.match(policy.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
                assert.notEqual(policy.name, "all");
                assert.ok(policy.description.length > 20, policy.name);
            }
        });

        it("make security rules mandatory, hygiene rules advisory and stack-specific rules opt-in by default", () => {
            const named = (level: string) => policies.filter((policy) => policy.enforcementLevel === level).map((policy) => policy.name);
            assert.deepEqual(named("advisory"), [
                "container-resources",
                "container-probes",
                "ecr-lifecycle-policy",
                "deployment-has-service",
                "deployment-has-network-policy",
                "deployment-has-pdb",
            ]);
            assert.deepEqual(named("disabled"), ["image-promoted"]);
            assert.ok(policies.every((policy) => ["advisory", "mandatory", "disabled"].includes(policy.enforcementLevel ?? "")));
        });

        it("publish config schemas whose defaults the rules accept", () => {
            for (const rule of rules) {
                const properties = rule.configSchema?.properties ?? {};
                assert.ok(!("enforcementLevel" in properties), rule.name);
                const defaults = Object.fromEntries(
                    Object.entries(properties).map(([key, schema]) => [key, typeof schema === "object" ? schema.default : undefined]),
                );
                assert.doesNotThrow(() => (rule.kind === "resource" ? rule.validate(deployment(), defaults) : rule.validate([], defaults)), rule.name);
            }
        });
    });
});
