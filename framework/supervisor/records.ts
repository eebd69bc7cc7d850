// The Supervisor's records (Zeek's base/frameworks/supervisor/api.zeek) and their Broker
// form: vectors in field order, unset optional fields as none.
//
//   Supervisor::ClusterEndpoint: role, host, p, interface?, pcap_file?, metrics_port?
//   Supervisor::NodeConfig:      name, interface?, pcap_file?, directory?, stdout_file?,
//                                stderr_file?, bare_mode?, addl_base_scripts,
//                                addl_user_scripts, env, cpu_affinity?, cluster
//                                + (zeek-mgmt extension) runtime?
//   Supervisor::NodeStatus:      node, pid?
//   Supervisor::Status:          nodes (table[string] of NodeStatus)
//
// `runtime` is a trailing field of our own: which node runtime ("emulated" or "zeek")
// the agent asks for. Zeek's own decoders would ignore it; ours tolerate its absence.

import { B, BrokerData } from '../../sdk/broker/data';
import { ShapeError } from '../../sdk/broker/errors';

export type SupervisorRole = 'NONE' | 'LOGGER' | 'MANAGER' | 'PROXY' | 'WORKER';
const ROLES: readonly SupervisorRole[] = ['NONE', 'LOGGER', 'MANAGER', 'PROXY', 'WORKER'];

export interface ClusterEndpoint {
  role: SupervisorRole;
  host: string;
  /** Broker port; 0 means 0/unknown, "don't listen". */
  p: number;
  interface: string | null;
  pcap_file: string | null;
  metrics_port: number | null;
}

export interface NodeConfig {
  name: string;
  interface: string | null;
  pcap_file: string | null;
  directory: string | null;
  stdout_file: string | null;
  stderr_file: string | null;
  bare_mode: boolean | null;
  addl_base_scripts: string[];
  addl_user_scripts: string[];
  env: Record<string, string>;
  cpu_affinity: number | null;
  cluster: Record<string, ClusterEndpoint>;
  runtime: string | null;
}

export interface SupervisedNodeStatus {
  node: NodeConfig;
  pid: number | null;
}

export interface SupervisorStatus {
  nodes: Record<string, SupervisedNodeStatus>;
}

export function nodeConfig(name: string, fields: Partial<Omit<NodeConfig, 'name'>> = {}): NodeConfig {
  return {
    name, interface: null, pcap_file: null, directory: null, stdout_file: null, stderr_file: null, bare_mode: null,
    addl_base_scripts: [], addl_user_scripts: [], env: {}, cpu_affinity: null, cluster: {}, runtime: null, ...fields,
  };
}

// ---- encoding ----------------------------------------------------------------------

const portData = (p: number): BrokerData => (p === 0 ? B.port(0, '?') : B.port(p, 'tcp'));
const sortedTable = <T>(o: Record<string, T>, f: (v: T) => BrokerData): BrokerData =>
  B.table(Object.keys(o).sort().map((k) => [B.str(k), f(o[k])]));

export function clusterEndpointToData(e: ClusterEndpoint): BrokerData {
  return B.vec([
    B.enum(`Supervisor::${e.role}`),
    B.addr(e.host),
    portData(e.p),
    B.opt(e.interface, B.str),
    B.opt(e.pcap_file, B.str),
    B.opt(e.metrics_port, (p) => B.port(p, 'tcp')),
  ]);
}

/** Supervisor::NodeConfig$cluster: a table of ClusterEndpoint by node name. */
export function clusterToData(cluster: Record<string, ClusterEndpoint>): BrokerData {
  return sortedTable(cluster, clusterEndpointToData);
}

/**
 * A NodeConfig as Broker data. `cluster` may be given already encoded (clusterToData of
 * n.cluster): the agent sends every node of a deployment the same layout, and builds it once.
 */
export function nodeConfigToData(n: NodeConfig, cluster: BrokerData = clusterToData(n.cluster)): BrokerData {
  return B.vec([
    B.str(n.name),
    B.opt(n.interface, B.str),
    B.opt(n.pcap_file, B.str),
    B.opt(n.directory, B.str),
    B.opt(n.stdout_file, B.str),
    B.opt(n.stderr_file, B.str),
    B.opt(n.bare_mode, B.bool),
    B.vec(n.addl_base_scripts.map(B.str)),
    B.vec(n.addl_user_scripts.map(B.str)),
    sortedTable(n.env, B.str),
    B.opt(n.cpu_affinity, B.int),
    cluster,
    B.opt(n.runtime, B.str),
  ]);
}

/** `nodeData` gives each NodeConfig's Broker form (the Supervisor passes ones it built once). */
export function statusToData(s: SupervisorStatus, nodeData: (n: NodeConfig) => BrokerData = (n) => nodeConfigToData(n)): BrokerData {
  return B.vec([sortedTable(s.nodes, (ns) => B.vec([nodeData(ns.node), B.opt(ns.pid, B.int)]))]);
}

// ---- decoding ----------------------------------------------------------------------

const NONE: BrokerData = { type: 'none' };

function vec(d: BrokerData, what: string, min: number, path: string): BrokerData[] {
  if (d.type !== 'vector') throw new ShapeError(`${what} must be a vector, got ${d.type}`, path);
  if (d.value.length < min) throw new ShapeError(`${what} needs at least ${min} fields, got ${d.value.length}`, path);
  return d.value;
}

function str(d: BrokerData, what: string, path: string): string {
  if (d.type !== 'string') throw new ShapeError(`${what} must be a string, got ${d.type}`, path);
  return d.value;
}

function optStr(d: BrokerData | undefined, what: string, path: string): string | null {
  return d === undefined || d.type === 'none' ? null : str(d, what, path);
}

function optInt(d: BrokerData | undefined, what: string, path: string): number | null {
  if (d === undefined || d.type === 'none') return null;
  if (d.type !== 'integer' && d.type !== 'count') throw new ShapeError(`${what} must be an integer, got ${d.type}`, path);
  return Number(d.value);
}

function port(d: BrokerData | undefined, what: string, path: string): number | null {
  if (d === undefined || d.type === 'none') return null;
  if (d.type !== 'port') throw new ShapeError(`${what} must be a port, got ${d.type}`, path);
  return d.value.number;
}

function strings(d: BrokerData | undefined, what: string, path: string): string[] {
  if (d === undefined || d.type === 'none') return [];
  if (d.type !== 'vector' && d.type !== 'set') throw new ShapeError(`${what} must be a vector, got ${d.type}`, path);
  return d.value.map((x, i) => str(x, what, `${path}[${i}]`));
}

function table<T>(d: BrokerData | undefined, what: string, path: string, f: (v: BrokerData, p: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  if (d === undefined || d.type === 'none') return out;
  if (d.type !== 'table') throw new ShapeError(`${what} must be a table, got ${d.type}`, path);
  d.value.forEach(([k, v], i) => {
    const key = str(k, `${what} key`, `${path}[${i}].key`);
    out[key] = f(v, `${path}[${i}].value`);
  });
  return out;
}

export function clusterEndpointFromData(d: BrokerData, path = '$'): ClusterEndpoint {
  const f = vec(d, 'Supervisor::ClusterEndpoint', 3, path);
  const role = f[0];
  if (role.type !== 'enum-value' && role.type !== 'string') throw new ShapeError(`cluster role must be an enum, got ${role.type}`, `${path}[0]`);
  const bare = role.value.replace(/^Supervisor::/, '') as SupervisorRole;
  if (!ROLES.includes(bare)) throw new ShapeError(`unknown cluster role ${role.value}`, `${path}[0]`);
  const host = f[1];
  if (host.type !== 'address' && host.type !== 'string') throw new ShapeError(`host must be an address, got ${host.type}`, `${path}[1]`);
  return {
    role: bare,
    host: host.value,
    p: port(f[2], 'p', `${path}[2]`) ?? 0,
    interface: optStr(f[3], 'interface', `${path}[3]`),
    pcap_file: optStr(f[4], 'pcap_file', `${path}[4]`),
    metrics_port: port(f[5], 'metrics_port', `${path}[5]`),
  };
}

/** A Supervisor::NodeConfig$cluster table (name → ClusterEndpoint). */
export function clusterFromData(d: BrokerData, path = '$'): Record<string, ClusterEndpoint> {
  return table(d, 'cluster', path, clusterEndpointFromData);
}

export function nodeConfigFromData(d: BrokerData, path = '$'): NodeConfig {
  const f = vec(d, 'Supervisor::NodeConfig', 1, path);
  const bare = f[6] ?? NONE;
  if (bare.type !== 'none' && bare.type !== 'boolean') throw new ShapeError(`bare_mode must be a bool, got ${bare.type}`, `${path}[6]`);
  return {
    name: str(f[0], 'node name', `${path}[0]`),
    interface: optStr(f[1], 'interface', `${path}[1]`),
    pcap_file: optStr(f[2], 'pcap_file', `${path}[2]`),
    directory: optStr(f[3], 'directory', `${path}[3]`),
    stdout_file: optStr(f[4], 'stdout_file', `${path}[4]`),
    stderr_file: optStr(f[5], 'stderr_file', `${path}[5]`),
    bare_mode: bare.type === 'boolean' ? bare.value : null,
    addl_base_scripts: strings(f[7], 'addl_base_scripts', `${path}[7]`),
    addl_user_scripts: strings(f[8], 'addl_user_scripts', `${path}[8]`),
    env: table(f[9], 'env', `${path}[9]`, (v, p) => str(v, 'env value', p)),
    cpu_affinity: optInt(f[10], 'cpu_affinity', `${path}[10]`),
    cluster: table(f[11], 'cluster', `${path}[11]`, clusterEndpointFromData),
    runtime: optStr(f[12], 'runtime', `${path}[12]`),
  };
}

export function statusFromData(d: BrokerData, path = '$'): SupervisorStatus {
  const f = vec(d, 'Supervisor::Status', 1, path);
  return {
    nodes: table(f[0], 'nodes', `${path}[0]`, (v, p) => {
      const ns = vec(v, 'Supervisor::NodeStatus', 1, p);
      return { node: nodeConfigFromData(ns[0], `${p}[0]`), pid: optInt(ns[1], 'pid', `${p}[1]`) };
    }),
  };
}
