/**
 * npm run schema
 *
 * Writes what is derived from the configuration schema: schema/stack-config.schema.json (the
 * stack files' JSON Schema, which each Pulumi.<stack>.yaml names in its yaml-language-server
 * modeline) and the README's key tables between their markers. `npm test` fails when either
 * committed copy differs from the schema.
 */
import * as fs from "fs";
import * as path from "path";
import { readReadme, repositoryRoot, stackFileJsonSchemaText, stackFileSchemaPath, withReadmeTables } from "./lib/configSchema";

fs.mkdirSync(path.dirname(path.join(repositoryRoot, stackFileSchemaPath)), { recursive: true });
fs.writeFileSync(path.join(repositoryRoot, stackFileSchemaPath), stackFileJsonSchemaText());
fs.writeFileSync(path.join(repositoryRoot, "README.md"), withReadmeTables(readReadme()));
console.log(`wrote ${stackFileSchemaPath} and the README's key tables`);
