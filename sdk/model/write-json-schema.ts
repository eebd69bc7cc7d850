// Build step (`npm run schema`): writes the generated cluster configuration JSON Schema
// into the package at schema/cluster-configuration.schema.json.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLUSTER_CONFIGURATION_SCHEMA_PATH, clusterConfigurationJsonSchemaText } from './json-schema';

/** The nearest directory upwards holding package.json. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export function writeClusterConfigurationSchema(root: string = packageRoot()): string {
  const file = path.join(root, CLUSTER_CONFIGURATION_SCHEMA_PATH);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, clusterConfigurationJsonSchemaText());
  return file;
}

if (require.main === module) {
  console.log(`wrote ${writeClusterConfigurationSchema()}`);
}
