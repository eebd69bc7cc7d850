// The canonical cluster configuration and the per-node results a ZeekCluster reports:
// the plain shapes its outputs (and the `zeek-mgmt/pulumi` declarations) are made of.
// Kept apart from inputs.ts so that the package's public types do not pull in zod's, whose
// declarations need esModuleInterop (Pulumi's project template leaves it off).

/**
 * The canonical node form kept in checked inputs and in outputs: roles in Zeek's case,
 * unset fields (and empty scripts, env, options) left out.
 */
export interface CanonicalNode {
  instance: string;
  role: 'MANAGER' | 'LOGGER' | 'PROXY' | 'WORKER' | 'NONE';
  port?: number;
  metrics_port?: number;
  scripts?: string[];
  env?: Record<string, string>;
  interface?: string;
  cpu_affinity?: number;
  options?: Record<string, string>;
}

/** The canonical instance form: host left out when it is 0.0.0.0 (the agent connects to the controller). */
export interface CanonicalInstance {
  host?: string;
  listen_port?: number;
}

export interface CanonicalConfiguration {
  instances: Record<string, CanonicalInstance>;
  nodes: Record<string, CanonicalNode>;
}

/** Per node, what the agent reported when deploying (zeek-client deploy-config's "nodes"). */
export interface NodeDeployResult {
  instance: string;
  success: boolean;
  stdout?: string;
  stderr?: string;
  /** Why the node failed when the result says (e.g. its instance did not answer the deployment). */
  error?: string;
}

/** Per node (cluster nodes, agents and the controller), as get_nodes reports it. */
export interface NodeStatusOutput {
  instance: string;
  state: string;
  mgmt_role?: string;
  cluster_role?: string;
  pid?: number;
  port?: number;
  metrics_port?: number;
}
