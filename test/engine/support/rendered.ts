/**
 * What the Kubernetes provider writes with `renderYamlToDirectory`, and the ways it is known to
 * differ from what the program declares (the mocked `npm run synth`): each one named, so that a
 * comparison fails on any other difference.
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { KubernetesObject } from "../../../scripts/lib/manifests";

/** Every object of every YAML file under `directory` (the provider writes 0-crd/ and 1-manifest/). */
export function renderedObjects(directory: string): KubernetesObject[] {
    const files = fs.readdirSync(directory, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".yaml"));
    return files.flatMap((file) =>
        parseAllDocuments(fs.readFileSync(path.join(directory, file), "utf8"))
            .map((document) => document.toJS() as KubernetesObject | null)
            .filter((object): object is KubernetesObject => object !== null),
    );
}

/** A difference the provider makes to every object it renders. */
export interface Normalisation {
    readonly description: string;
    /** The declared object as the provider renders it (a new object; the argument is left alone). */
    readonly apply: (object: KubernetesObject) => KubernetesObject;
}

/** Applies `change` to every plain object inside `value`, depth first, on a copy. */
function everyObject(value: unknown, change: (object: Record<string, unknown>) => Record<string, unknown>): unknown {
    if (Array.isArray(value)) {
        return value.map((item) => everyObject(item, change));
    }
    if (typeof value === "object" && value !== null) {
        return change(Object.fromEntries(Object.entries(value).map(([key, item]) => [key, everyObject(item, change)])));
    }
    return value;
}

/** The known normalisations of pulumi-kubernetes 4.34.2 in YAML rendering mode (client-side apply). */
export const knownNormalisations: readonly Normalisation[] = [
    {
        // The provider round-trips each object through its Go type (clients.Normalize), which leaves
        // out the zero value of an omitempty field: of the fields the program sets, only this one.
        description: "a probe's initialDelaySeconds: 0 (the API default) is left out",
        apply: (object) =>
            everyObject(object, (entry) => {
                if (entry.initialDelaySeconds !== 0) {
                    return entry;
                }
                const { initialDelaySeconds, ...rest } = entry;
                return rest;
            }) as KubernetesObject,
    },
];
