// The Management data model (Zeek's policy/frameworks/management/types.zeek) as zod
// schemas. These are the one source of truth: TypeScript types are inferred from
// them, and the shipped JSON Schema of a cluster configuration is generated from them.
// Unset optional fields are null, as zeek-client's JSON shows them.

import { z } from 'zod';
import { CLUSTER_ROLES, MANAGEMENT_ROLES, STATES } from './enums';

export const ClusterRoleSchema = z.enum(CLUSTER_ROLES);
export type ClusterRole = z.infer<typeof ClusterRoleSchema>;

export const ManagementRoleSchema = z.enum(MANAGEMENT_ROLES);
export type ManagementRole = z.infer<typeof ManagementRoleSchema>;

export const StateSchema = z.enum(STATES);
export type State = z.infer<typeof StateSchema>;

export const PortNumberSchema = z.number().int().min(1).max(65535);

export const OptionSchema = z.object({
  name: z.string(),
  value: z.string(),
});
export type Option = z.infer<typeof OptionSchema>;

export const InstanceSchema = z.object({
  name: z.string().min(1).describe('Unique name of the instance (its agent), e.g. agent-<hostname>.'),
  host: z.string().default('0.0.0.0').describe('Address of the agent; 0.0.0.0 when the agent connects to the controller.'),
  listen_port: PortNumberSchema.nullable().default(null).describe('Port the agent listens on when the controller connects to it; null when the agent connects to the controller.'),
});
export type Instance = z.infer<typeof InstanceSchema>;

export const NodeSchema = z.object({
  name: z.string().min(1).describe('Cluster-unique node name.'),
  instance: z.string().min(1).describe('Name of the instance where the node runs.'),
  role: ClusterRoleSchema.describe('The node\'s role in the Zeek cluster.'),
  state: StateSchema.default('RUNNING'),
  port: PortNumberSchema.nullable().default(null).describe('Broker listening port (TCP); null lets the controller pick one.'),
  scripts: z.array(z.string()).nullable().default(null).describe('Additional Zeek scripts for the node.'),
  options: z.array(OptionSchema).nullable().default(null),
  interface: z.string().nullable().default(null).describe('Interface to sniff (workers).'),
  cpu_affinity: z.number().int().nullable().default(null).describe('CPU to pin the node to.'),
  env: z.record(z.string(), z.string()).default({}).describe('Environment variables for the node.'),
  metrics_port: PortNumberSchema.nullable().default(null).describe('Prometheus metrics port (TCP); null lets the controller pick one.'),
});
export type Node = z.infer<typeof NodeSchema>;
export type NodeInput = z.input<typeof NodeSchema>;

export const ConfigurationSchema = z.object({
  id: z.string().describe('Identifier chosen by the client.'),
  instances: z.array(InstanceSchema).default([]),
  nodes: z.array(NodeSchema).default([]),
});
export type Configuration = z.infer<typeof ConfigurationSchema>;
export type ConfigurationInput = z.input<typeof ConfigurationSchema>;

export const NodeStatusSchema = z.object({
  node: z.string(),
  state: StateSchema,
  mgmt_role: ManagementRoleSchema.default('NONE'),
  cluster_role: ClusterRoleSchema.default('NONE'),
  pid: z.number().int().nullable().default(null),
  port: PortNumberSchema.nullable().default(null),
  metrics_port: PortNumberSchema.nullable().default(null),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeOutputsSchema = z.object({ stdout: z.string(), stderr: z.string() });
export type NodeOutputs = z.infer<typeof NodeOutputsSchema>;
