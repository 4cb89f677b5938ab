/**
 * RolloutPromotion: the resource that makes `pulumi up` of a canary service succeed only once
 * Argo Rollouts has fully promoted the new revision, and fail soon after an abort with a message
 * naming the service, the metric, its measured value and threshold, and the way back.
 * pulumi-kubernetes cannot: it awaits a custom resource only through its `pulumi.com/waitFor`
 * annotation, which cannot fail early, and reads no string `status.observedGeneration` (Argo's).
 *
 * A Pulumi dynamic resource (`pulumi-nodejs:dynamic:RolloutPromotion`): the engine runs its
 * provider in a Node.js process of its own (the `pulumi-resource-pulumi-nodejs` plugin every
 * Pulumi distribution ships beside the CLI; scripts/build-tools puts tools/pulumi's there for the
 * CLI built here). Pulumi serializes the
 * provider's functions into the resource's state; they hold nothing but the path of the
 * provider's code (rolloutPromotionGate.ts) and load it when called, so that code is never
 * serialized and the state stays small.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { PromotionRequest, PromotionState } from "./rolloutPromotionGate";

/** The provider's code, loaded at run time by the serialized functions below (plain strings: they are serialized by value). */
const gateModule = path.join(__dirname, "rolloutPromotionGate");
const gateDirectory = __dirname;

/** The type name of the resource: pulumi-nodejs:dynamic:RolloutPromotion. */
export const rolloutPromotionType = "RolloutPromotion";

/**
 * Loads the provider's code. The provider process runs plain Node.js: TypeScript is loaded
 * the way the program itself is (ts-node, transpile only, with the project's tsconfig).
 */
function loadGate(): typeof import("./rolloutPromotionGate") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when called, in the provider's process (see the file comment)
    const tsNode = require(require.resolve("ts-node", { paths: [gateDirectory] })) as typeof import("ts-node");
    const registered = (process as unknown as Record<symbol, unknown>)[tsNode.REGISTER_INSTANCE];
    if (registered === undefined) {
        tsNode.register({ transpileOnly: true, projectSearchDir: gateDirectory });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    return require(gateModule) as typeof import("./rolloutPromotionGate");
}

/**
 * The provider. `diff` touches no cluster (a preview never waits); create and update wait for
 * the promotion; delete has nothing to remove (the Rollout is pulumi-kubernetes').
 */
export const rolloutPromotionProvider: pulumi.dynamic.ResourceProvider = {
    diff(_id: string, olds: PromotionState, news: PromotionRequest): Promise<pulumi.dynamic.DiffResult> {
        return Promise.resolve({ changes: loadGate().promotionChanged(olds, news) });
    },
    async create(inputs: PromotionRequest): Promise<pulumi.dynamic.CreateResult> {
        const gate = loadGate();
        const outs = await gate.awaitPromotion(inputs, gate.clusterReader(inputs));
        return { id: gate.promotionId(inputs), outs };
    },
    async update(_id: string, _olds: PromotionState, news: PromotionRequest): Promise<pulumi.dynamic.UpdateResult> {
        const gate = loadGate();
        return { outs: await gate.awaitPromotion(news, gate.clusterReader(news)) };
    },
};

/** Inputs of {@link RolloutPromotion}. */
export interface RolloutPromotionArgs {
    /** The service, as the messages name it. */
    service: string;
    /** The namespace of the Rollout. */
    namespace: string;
    /** The Rollout's name. */
    rollout: string;
    /** The version being released (app.kubernetes.io/version). */
    version: string;
    /** A hash of the Rollout's desired pod template: a new one is a release to wait for, the same one is not. */
    revision: pulumi.Input<string>;
    /** The analysis thresholds by metric name (error-ratio, latency-p99), for the messages. */
    thresholds: Record<string, number>;
    /** The analysis' PromQL range, e.g. 1m. */
    window: string;
    /** The Prometheus the analysis queries, for the message when it cannot be reached. */
    prometheusUrl: string;
    /** How long `pulumi up` waits for full promotion, in seconds. */
    deadlineSeconds: number;
    /** The kubeconfig context; default the current context. */
    context?: string;
    /** A kubeconfig document, kept secret; default the ambient kubeconfig. */
    kubeconfig?: pulumi.Input<string>;
}

/** Waits, in `pulumi up`, for Argo Rollouts to fully promote a canary service's new revision. */
export class RolloutPromotion extends pulumi.dynamic.Resource {
    // `declare`: the properties are set by the SDK in super(), which a class field would overwrite.
    /** True once the revision was fully promoted. */
    declare public readonly promoted: pulumi.Output<boolean>;
    /** The pod-template-hash of the stable ReplicaSet after promotion. */
    declare public readonly stableHash: pulumi.Output<string>;

    constructor(name: string, args: RolloutPromotionArgs, opts?: pulumi.CustomResourceOptions) {
        const { kubeconfig, ...rest } = args;
        const inputs: Record<string, pulumi.Input<unknown>> = {
            ...rest,
            ...(kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(kubeconfig) }),
            promoted: undefined,
            stableHash: undefined,
        };
        super(rolloutPromotionProvider, name, inputs, opts, undefined, rolloutPromotionType);
    }
}
