// Management records on the wire. Zeek sends records as Broker vectors in field order,
// unset optional fields as none. Decoding follows Zeek's rule for a vector received as a
// record (src/broker/Data.cc, data_to_val): a vector with fewer elements than the record
// has fields is refused, even where the missing fields are &optional or &default; extra
// trailing elements (fields a newer Zeek may append) are ignored; none leaves a field
// unset, so &optional fields are absent and &default ones take their default. Where Zeek
// would accept none for a field that is neither and fail later, when a script reads it,
// we refuse at once (Zeek 8.0.9 stages a Node whose name is none as no node at all);
// Instance's host is the exception (see instanceFromData). Checked against Zeek 8.0.9.

import { B, BrokerData } from '../broker/data';
import { ShapeError } from '../broker/errors';
import { CLUSTER_ROLES, MANAGEMENT_ROLES, STATES } from './enums';
// Types only: records.ts is on the CLI's start-up path and must not load zod.
import type {
  ClusterRole, Configuration, Instance, ManagementRole, Node, NodeOutputs, NodeStatus, Option, State,
} from './schemas';

/** Management::Result. `data` is Zeek's `any`: left as Broker data for the caller to interpret. */
export interface Result {
  reqid: string;
  success: boolean;
  instance: string | null;
  data: BrokerData | null;
  error: string | null;
  node: string | null;
}

export function makeResult(reqid: string, fields: Partial<Omit<Result, 'reqid'>> = {}): Result {
  return { reqid, success: true, instance: null, data: null, error: null, node: null, ...fields };
}

// ---- field readers -------------------------------------------------------------

const NONE: BrokerData = { type: 'none' };

/**
 * The elements of a record sent as a vector: at least one per field of the record type
 * (`names`, Zeek's field names in order), extras ignored, as Zeek decodes records.
 */
function fields(d: BrokerData, record: string, names: readonly string[], path: string, olderLength = names.length): BrokerData[] {
  if (d.type !== 'vector') throw new ShapeError(`${record} must be a vector, got ${d.type}`, path);
  const n = d.value.length;
  if (n === olderLength) return [...d.value, ...names.slice(n).map(() => NONE)];
  if (n < names.length) {
    const missing = names.slice(n).map((f, i) => `'${f}' (position ${n + i + 1})`).join(', ');
    throw new ShapeError(`${record} has ${names.length} fields, got a vector of ${n}: missing ${names.length - n === 1 ? 'field' : 'fields'} ${missing}`, path);
  }
  return d.value;
}

const at = (v: BrokerData[], i: number): BrokerData => v[i];

/**
 * Decoding options. `olderZeek`: also accept the layouts of Zeek versions before
 * metrics_port (a Node of 10 fields, a NodeStatus of 6), as zeek-client does when reading
 * a controller's responses. Only clients set it; Zeek's controller and agent refuse them.
 */
export interface DecodeRecordOptions {
  olderZeek?: boolean;
}

// Zeek's field names (types.zeek), in order.
const OPTION_FIELDS = ['name', 'value'] as const;
const INSTANCE_FIELDS = ['name', 'host', 'listen_port'] as const;
const NODE_FIELDS = ['name', 'instance', 'role', 'state', 'p', 'scripts', 'options', 'interface', 'cpu_affinity', 'env', 'metrics_port'] as const;
const CONFIGURATION_FIELDS = ['id', 'instances', 'nodes'] as const;
const NODE_STATUS_FIELDS = ['node', 'state', 'mgmt_role', 'cluster_role', 'pid', 'p', 'metrics_port'] as const;
const RESULT_FIELDS = ['reqid', 'success', 'instance', 'data', 'error', 'node'] as const;
const NODE_OUTPUTS_FIELDS = ['stdout', 'stderr'] as const;

export function readString(d: BrokerData, what: string, path: string): string {
  if (d.type !== 'string') throw new ShapeError(`${what} must be a string, got ${d.type}`, path);
  return d.value;
}

function optString(d: BrokerData, what: string, path: string): string | null {
  return d.type === 'none' ? null : readString(d, what, path);
}

function optPort(d: BrokerData, what: string, path: string): number | null {
  if (d.type === 'none') return null;
  if (d.type !== 'port') throw new ShapeError(`${what} must be a port, got ${d.type}`, path);
  return d.value.number;
}

function optInt(d: BrokerData, what: string, path: string): number | null {
  if (d.type === 'none') return null;
  if (d.type !== 'integer' && d.type !== 'count') throw new ShapeError(`${what} must be an integer, got ${d.type}`, path);
  const n = Number(d.value);
  if (!Number.isSafeInteger(n)) throw new ShapeError(`${what} ${d.value} is out of range`, path);
  return n;
}

/** Maps both the scoped ("Management::RUNNING") and bare ("RUNNING") spelling to the bare name. */
function enumLookup<T extends string>(scope: string, options: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const o of options) {
    m.set(`${scope}::${o}`, o);
    m.set(o, o);
  }
  return m;
}

function readEnum<T extends string>(d: BrokerData, scope: string, lookup: Map<string, T>, what: string, path: string): T {
  if (d.type !== 'enum-value' && d.type !== 'string') throw new ShapeError(`${what} must be an enum value, got ${d.type}`, path);
  const v = lookup.get(d.value);
  if (v === undefined) {
    const names = [...new Set(lookup.values())].map((o) => `${scope}::${o}`);
    throw new ShapeError(`${what} ${JSON.stringify(d.value)} is not one of ${names.join(', ')}`, path);
  }
  return v;
}

function elements(d: BrokerData, what: string, path: string): BrokerData[] {
  if (d.type !== 'vector' && d.type !== 'set') throw new ShapeError(`${what} must be a vector or set, got ${d.type}`, path);
  return d.value;
}

// ---- enums ---------------------------------------------------------------------

/** Enum values on the wire: one shared, frozen BrokerData per member. */
function enumValues<T extends string>(scope: string, options: readonly T[]): Map<T, BrokerData> {
  return new Map(options.map((o) => [o, Object.freeze(B.enum(`${scope}::${o}`)) as BrokerData]));
}
const CLUSTER_ROLE_DATA = enumValues<ClusterRole>('Supervisor', CLUSTER_ROLES);
const MANAGEMENT_ROLE_DATA = enumValues<ManagementRole>('Management', MANAGEMENT_ROLES);
const STATE_DATA = enumValues<State>('Management', STATES);
export const clusterRoleToData = (r: ClusterRole): BrokerData => CLUSTER_ROLE_DATA.get(r) ?? B.enum(`Supervisor::${r}`);
export const managementRoleToData = (r: ManagementRole): BrokerData => MANAGEMENT_ROLE_DATA.get(r) ?? B.enum(`Management::${r}`);
export const stateToData = (s: State): BrokerData => STATE_DATA.get(s) ?? B.enum(`Management::${s}`);
const CLUSTER_ROLE_LOOKUP = enumLookup<ClusterRole>('Supervisor', CLUSTER_ROLES);
const MANAGEMENT_ROLE_LOOKUP = enumLookup<ManagementRole>('Management', MANAGEMENT_ROLES);
const STATE_LOOKUP = enumLookup<State>('Management', STATES);
export const clusterRoleFromData = (d: BrokerData, path = '$'): ClusterRole => readEnum(d, 'Supervisor', CLUSTER_ROLE_LOOKUP, 'cluster role', path);
export const managementRoleFromData = (d: BrokerData, path = '$'): ManagementRole => readEnum(d, 'Management', MANAGEMENT_ROLE_LOOKUP, 'management role', path);
export const stateFromData = (d: BrokerData, path = '$'): State => readEnum(d, 'Management', STATE_LOOKUP, 'state', path);

// ---- records -------------------------------------------------------------------

export function optionToData(o: Option): BrokerData {
  return B.vec([B.str(o.name), B.str(o.value)]);
}

export function optionFromData(d: BrokerData, path = '$'): Option {
  const f = fields(d, 'Management::Option', OPTION_FIELDS, path);
  return { name: readString(f[0], 'option name', `${path}[0]`), value: readString(f[1], 'option value', `${path}[1]`) };
}

export function instanceToData(i: Instance): BrokerData {
  return B.vec([B.str(i.name), B.addr(i.host), B.opt(i.listen_port, (p) => B.port(p))]);
}

/** A host of none reads as 0.0.0.0, zeek-client's spelling of "no address" (Zeek would leave it unset). */
export function instanceFromData(d: BrokerData, path = '$'): Instance {
  const f = fields(d, 'Management::Instance', INSTANCE_FIELDS, path);
  const host = f[1];
  if (host.type !== 'address' && host.type !== 'none') throw new ShapeError(`instance host must be an address, got ${host.type}`, `${path}[1]`);
  return {
    name: readString(f[0], 'instance name', `${path}[0]`),
    host: host.type === 'address' ? host.value : '0.0.0.0',
    listen_port: optPort(at(f, 2), 'instance listen_port', `${path}[2]`),
  };
}

const portData = (p: number | null): BrokerData => (p === null || p === undefined ? NONE : B.port(p));
const stringData = (v: string | null): BrokerData => (v === null || v === undefined ? NONE : { type: 'string', value: v });

/** An object's keys in sorted order; most env objects already list them so, and skip the sort. */
function sortedKeys(o: Record<string, string>): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) return keys.sort();
  }
  return keys;
}

export function nodeToData(n: Node): BrokerData {
  let scripts: BrokerData = NONE;
  if (n.scripts !== null && n.scripts !== undefined) {
    const xs = new Array<BrokerData>(n.scripts.length);
    for (let i = 0; i < xs.length; i++) xs[i] = { type: 'string', value: n.scripts[i] };
    scripts = B.vec(xs);
  }
  const envKeys = sortedKeys(n.env ?? {});
  const env = new Array<[BrokerData, BrokerData]>(envKeys.length);
  for (let i = 0; i < envKeys.length; i++) env[i] = [{ type: 'string', value: envKeys[i] }, { type: 'string', value: n.env[envKeys[i]] }];
  return B.vec([
    { type: 'string', value: n.name },
    { type: 'string', value: n.instance },
    clusterRoleToData(n.role),
    stateToData(n.state),
    portData(n.port),
    scripts,
    // zeek-client sends an empty or absent option set as none.
    n.options && n.options.length > 0 ? B.set(n.options.map(optionToData)) : NONE,
    stringData(n.interface),
    n.cpu_affinity === null || n.cpu_affinity === undefined ? NONE : B.int(n.cpu_affinity),
    B.table(env),
    portData(n.metrics_port),
  ]);
}

function readEnv(env: BrokerData, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.type === 'none') return out;
  if (env.type !== 'table') throw new ShapeError(`node env must be a table, got ${env.type}`, path);
  const entries = env.value;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const k = entry[0];
    const v = entry[1];
    if (k.type !== 'string') throw new ShapeError(`env key must be a string, got ${k.type}`, `${path}[${i}].key`);
    if (v.type !== 'string') throw new ShapeError(`env value must be a string, got ${v.type}`, `${path}[${i}].value`);
    // defineProperty, so that a variable named "__proto__" is kept as an ordinary entry.
    if (k.value === '__proto__') Object.defineProperty(out, k.value, { value: v.value, enumerable: true, writable: true, configurable: true });
    else out[k.value] = v.value;
  }
  return out;
}

function readScripts(d: BrokerData, path: string): string[] | null {
  if (d.type === 'none') return null;
  const xs = elements(d, 'node scripts', path);
  const out = new Array<string>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x.type !== 'string') throw new ShapeError(`script must be a string, got ${x.type}`, `${path}[${i}]`);
    out[i] = x.value;
  }
  return out;
}

export function nodeFromData(d: BrokerData, path = '$', opts: DecodeRecordOptions = {}): Node {
  const f = fields(d, 'Management::Node', NODE_FIELDS, path, opts.olderZeek ? NODE_FIELDS.length - 1 : undefined);
  const options = at(f, 6);
  return {
    name: readString(f[0], 'node name', `${path}[0]`),
    instance: readString(f[1], 'node instance', `${path}[1]`),
    role: clusterRoleFromData(f[2], `${path}[2]`),
    state: stateFromData(f[3], `${path}[3]`),
    port: optPort(at(f, 4), 'node port', `${path}[4]`),
    scripts: readScripts(at(f, 5), `${path}[5]`),
    options: options.type === 'none' ? null : elements(options, 'node options', `${path}[6]`).map((o, i) => optionFromData(o, `${path}[6][${i}]`)),
    interface: optString(at(f, 7), 'node interface', `${path}[7]`),
    cpu_affinity: optInt(at(f, 8), 'node cpu_affinity', `${path}[8]`),
    env: readEnv(at(f, 9), `${path}[9]`),
    metrics_port: optPort(at(f, 10), 'node metrics_port', `${path}[10]`),
  };
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function configurationToData(c: Configuration): BrokerData {
  return B.vec([
    B.str(c.id),
    B.set(sortedByName([...c.instances]).map(instanceToData)),
    B.set(sortedByName([...c.nodes]).map(nodeToData)),
  ]);
}

/** Decodes a Configuration; instances and nodes come back sorted by name, as zeek-client keeps them. */
export function configurationFromData(d: BrokerData, path = '$', opts: DecodeRecordOptions = {}): Configuration {
  const f = fields(d, 'Management::Configuration', CONFIGURATION_FIELDS, path);
  const inst = at(f, 1);
  const nodes = at(f, 2);
  // id has &default=unique_id(""): none gets a fresh one, as Zeek's controller stages it.
  // node:crypto is required only then: clients that read records (the CLI's get-instances,
  // say) would otherwise load it, ~15 of node's modules, at every start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const id = f[0].type === 'none' ? (require('node:crypto') as typeof import('node:crypto')).randomUUID() : readString(f[0], 'configuration id', `${path}[0]`);
  const instances: Instance[] = [];
  if (inst.type !== 'none') {
    const xs = elements(inst, 'instances', `${path}[1]`);
    for (let i = 0; i < xs.length; i++) instances.push(instanceFromData(xs[i], `${path}[1][${i}]`));
  }
  const nodeList: Node[] = [];
  if (nodes.type !== 'none') {
    const xs = elements(nodes, 'nodes', `${path}[2]`);
    for (let i = 0; i < xs.length; i++) nodeList.push(nodeFromData(xs[i], `${path}[2][${i}]`, opts));
  }
  return { id, instances: sortedByName(instances), nodes: sortedByName(nodeList) };
}

/** Sorts in place by name, skipping the sort when already in order (as Broker sends sets). */
function sortedByName<T extends { name: string }>(xs: T[]): T[] {
  for (let i = 1; i < xs.length; i++) {
    if (byName(xs[i - 1], xs[i]) > 0) return xs.sort(byName);
  }
  return xs;
}

export function nodeStatusToData(s: NodeStatus): BrokerData {
  return B.vec([
    B.str(s.node),
    stateToData(s.state),
    managementRoleToData(s.mgmt_role),
    clusterRoleToData(s.cluster_role),
    B.opt(s.pid, B.int),
    B.opt(s.port, (p) => B.port(p)),
    B.opt(s.metrics_port, (p) => B.port(p)),
  ]);
}

export function nodeStatusFromData(d: BrokerData, path = '$', opts: DecodeRecordOptions = {}): NodeStatus {
  const f = fields(d, 'Management::NodeStatus', NODE_STATUS_FIELDS, path, opts.olderZeek ? NODE_STATUS_FIELDS.length - 1 : undefined);
  const mg = at(f, 2);
  const cr = at(f, 3);
  return {
    node: readString(f[0], 'node status name', `${path}[0]`),
    state: stateFromData(f[1], `${path}[1]`),
    mgmt_role: mg.type === 'none' ? 'NONE' : managementRoleFromData(mg, `${path}[2]`),
    cluster_role: cr.type === 'none' ? 'NONE' : clusterRoleFromData(cr, `${path}[3]`),
    pid: optInt(at(f, 4), 'pid', `${path}[4]`),
    port: optPort(at(f, 5), 'port', `${path}[5]`),
    metrics_port: optPort(at(f, 6), 'metrics_port', `${path}[6]`),
  };
}

export function resultToData(r: Result): BrokerData {
  return B.vec([
    B.str(r.reqid),
    B.bool(r.success),
    B.opt(r.instance, B.str),
    r.data ?? B.none(),
    B.opt(r.error, B.str),
    B.opt(r.node, B.str),
  ]);
}

export function resultFromData(d: BrokerData, path = '$'): Result {
  const f = fields(d, 'Management::Result', RESULT_FIELDS, path);
  const success = at(f, 1);
  if (success.type !== 'boolean' && success.type !== 'none') throw new ShapeError(`result success must be a boolean, got ${success.type}`, `${path}[1]`);
  const data = at(f, 3);
  return {
    reqid: readString(f[0], 'result reqid', `${path}[0]`),
    success: success.type === 'boolean' ? success.value : true,
    instance: optString(at(f, 2), 'result instance', `${path}[2]`),
    data: data.type === 'none' ? null : data,
    error: optString(at(f, 4), 'result error', `${path}[4]`),
    node: optString(at(f, 5), 'result node', `${path}[5]`),
  };
}

export function resultVecToData(rs: Result[]): BrokerData {
  return B.vec(rs.map(resultToData));
}

export function resultVecFromData(d: BrokerData, path = '$'): Result[] {
  return elements(d, 'result vector', path).map((x, i) => resultFromData(x, `${path}[${i}]`));
}

export function nodeOutputsToData(o: NodeOutputs): BrokerData {
  return B.vec([B.str(o.stdout), B.str(o.stderr)]);
}

export function nodeOutputsFromData(d: BrokerData, path = '$'): NodeOutputs {
  const f = fields(d, 'Management::NodeOutputs', NODE_OUTPUTS_FIELDS, path);
  return { stdout: readString(f[0], 'stdout', `${path}[0]`), stderr: readString(f[1], 'stderr', `${path}[1]`) };
}
