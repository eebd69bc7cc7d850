// The JSON form of a cluster configuration file: the layout `zeek-client get-config
// --as-json` prints, accepted back as input by our CLI and Pulumi provider. It differs
// from the in-memory Configuration (schemas.ts) the way zeek-client's JSON does:
// an instance's listening port is "port" (not listen_port) and "host" is left out for
// agents that connect to the controller; a node has no "state". For hand-written files,
// fields may be left out: "id" (a fresh UUID is used), "instances" (implied by the
// nodes' instance names, as zeek-client does for .ini files without [instances]), a
// node's "instance" (all nodes then run on "agent-<hostname>"), and unset node fields.
// Unknown fields are rejected. The published JSON Schema is generated from this
// (json-schema.ts).

import { isIP } from 'node:net';
import { z } from 'zod';
import { ClusterRoleSchema, InstanceSchema, NodeSchema, PortNumberSchema } from './schemas';

/** An IP address as Node's net.isIP() accepts it (the check the .ini reader uses too). */
export const IpAddressSchema = z.string()
  .refine((s) => isIP(s) !== 0, { error: 'must be an IPv4 or IPv6 address' })
  .meta({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] });

export const InstanceFileSchema = z.strictObject({
  name: InstanceSchema.shape.name,
  host: IpAddressSchema.optional()
    .describe('IP address where the controller reaches this instance\'s agent. Omitted (or "0.0.0.0") when the agent connects to the controller.'),
  port: PortNumberSchema.nullable().optional()
    .describe('TCP port the agent listens on, for a controller that connects to the agent. Omitted or null when the agent connects to the controller.'),
}).describe('An instance: a system running a Management agent.');
export type InstanceFile = z.infer<typeof InstanceFileSchema>;

export const OptionFileSchema = z.strictObject({
  name: z.string().describe('Name of the Zeek option.'),
  value: z.string().describe('Value of the Zeek option, as Zeek script text.'),
}).describe('A Zeek option setting for a node.');

export const NodeFileSchema = z.strictObject({
  name: NodeSchema.shape.name,
  instance: NodeSchema.shape.instance.optional()
    .describe('Name of the instance where the node runs. When no node names an instance, all run on "agent-<hostname>" of the machine reading the file.'),
  role: ClusterRoleSchema.describe('The node\'s role in the Zeek cluster.'),
  port: PortNumberSchema.nullable().default(null)
    .describe('Broker listening port (TCP). null lets the controller pick one (workers need none).'),
  scripts: z.array(z.string()).nullable().default(null)
    .describe('Additional Zeek scripts the node loads; they must exist on the instance.'),
  options: z.array(OptionFileSchema).nullable().default(null)
    .describe('Zeek options for the node (not yet acted upon by Zeek).'),
  interface: z.string().nullable().default(null).describe('Network interface the node sniffs (workers).'),
  cpu_affinity: z.number().int().nullable().default(null).describe('CPU/core number to pin the node to.'),
  env: z.record(z.string(), z.string()).default({}).describe('Environment variables for the node process.'),
  metrics_port: PortNumberSchema.nullable().default(null)
    .describe('Prometheus metrics port (TCP). null lets the controller pick one.'),
}).describe('A Zeek cluster node process.');
export type NodeFile = z.infer<typeof NodeFileSchema>;

export const ConfigurationFileSchema = z.strictObject({
  id: z.string().min(1).optional()
    .describe('Identifier of this configuration. When omitted, a fresh UUID is used.'),
  instances: z.array(InstanceFileSchema).optional()
    .describe('The instances in the cluster. When omitted, one instance per distinct node instance name, each with an agent that connects to the controller.'),
  nodes: z.array(NodeFileSchema).default([])
    .describe('The nodes of the cluster, distributed over the instances.'),
}).meta({
  title: 'Zeek cluster configuration',
  description: 'A cluster configuration for Zeek\'s Management Framework, in the JSON layout of `zeek-client get-config --as-json`.',
});
export type ConfigurationFile = z.infer<typeof ConfigurationFileSchema>;
export type ConfigurationFileInput = z.input<typeof ConfigurationFileSchema>;
