/**
 * What the Kubernetes provider writes with `renderYamlToDirectory`. The provider round-trips each
 * object through its Go type (clients.Normalize), which leaves out the zero value of an omitempty
 * field; the program declares none (a probe's initialDelaySeconds is left out at 0), so what it
 * writes must equal what the program declares (the mocked `npm run synth`), field for field.
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
