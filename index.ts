/**
 * The go-services stack: read and check Pulumi.<stack>.yaml, then declare one GoService
 * per configured service. README.md lists the configuration keys.
 */
import { program } from "./components/program";

const outputs = program();

/** The namespace every service runs in. */
export const namespace = outputs.namespace;
/** Per service: image (by digest), repositoryUrl, dnsName, port. */
export const services = outputs.services;
