// The shipped JSON Schema of cluster configuration files is generated from the zod
// schema and must not go stale.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configurationToJsonData } from '../sdk/config/configuration-to-json';
import { CLUSTER_CONFIGURATION_SCHEMA_PATH, clusterConfigurationJsonSchema, clusterConfigurationJsonSchemaText } from '../sdk/model/json-schema';

type Schema = { properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; description?: string; required?: string[] };

const schema = clusterConfigurationJsonSchema() as Schema;
const nodeSchema = (schema.properties?.nodes.items) as Schema;
const instanceSchema = (schema.properties?.instances.items) as Schema;

describe('config json-schema: the generated cluster configuration schema', () => {
  it(`is what ${CLUSTER_CONFIGURATION_SCHEMA_PATH} holds (else run: npm run schema)`, () => {
    const committed = readFileSync(path.resolve(__dirname, '..', CLUSTER_CONFIGURATION_SCHEMA_PATH), 'utf8');
    assert.equal(committed, clusterConfigurationJsonSchemaText(), `${CLUSTER_CONFIGURATION_SCHEMA_PATH} is stale: run npm run schema`);
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (s: Schema, where: string): void => {
      for (const [name, sub] of Object.entries(s.properties ?? {})) {
        if (!sub.description) missing.push(`${where}.${name}`);
        walk(sub, `${where}.${name}`);
      }
      if (s.items) walk(s.items, `${where}[]`);
      for (const alt of s.anyOf ?? []) walk(alt, where);
    };
    walk(schema, '$');
    assert.deepEqual(missing, []);
  });

  it('has a property for every field get-config --as-json prints, and requires only what must be there', () => {
    const data = configurationToJsonData({
      id: 'x',
      instances: [{ name: 'a', host: '10.0.0.1', listen_port: 1 }],
      nodes: [{ name: 'n', instance: 'a', role: 'WORKER', state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null }],
    }) as { instances: Record<string, unknown>[]; nodes: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), Object.keys(data).sort());
    assert.deepEqual(Object.keys(instanceSchema.properties ?? {}).sort(), Object.keys(data.instances[0]).sort());
    assert.deepEqual(Object.keys(nodeSchema.properties ?? {}).sort(), Object.keys(data.nodes[0]).sort());
    assert.deepEqual(instanceSchema.required, ['name']);
    assert.deepEqual(nodeSchema.required, ['name', 'role']);
  });
});
