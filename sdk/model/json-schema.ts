// The JSON Schema of a cluster configuration file in JSON form (the layout of
// `zeek-client get-config --as-json`), generated from the zod schema that validates such
// files (configuration-file-schema.ts), so the two cannot disagree. The package ships it
// as schema/cluster-configuration.schema.json (written by `npm run schema`; a test keeps
// the committed file equal to this).

import { z } from 'zod';
import { ConfigurationFileSchema } from './configuration-file-schema';

/** Where the generated schema lives, relative to the package root. */
export const CLUSTER_CONFIGURATION_SCHEMA_PATH = 'schema/cluster-configuration.schema.json';

/** The JSON Schema (draft 2020-12) describing what parseConfigurationJson accepts. */
export function clusterConfigurationJsonSchema(): Record<string, unknown> {
  // io 'input': fields with defaults are optional, as they are in files.
  return z.toJSONSchema(ConfigurationFileSchema, { io: 'input' }) as Record<string, unknown>;
}

/** The schema file's exact text. */
export function clusterConfigurationJsonSchemaText(): string {
  return JSON.stringify(clusterConfigurationJsonSchema(), null, 2) + '\n';
}
