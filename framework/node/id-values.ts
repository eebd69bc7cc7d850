// The global identifiers an emulated node can show through get_id_value, rendered the
// way Zeek's to_json() renders them: ports as {"port":N,"proto":"tcp"}, intervals and
// times as seconds (doubles), enums and functions by name, records as objects of their
// set fields in declaration order, string-indexed tables as objects.
// Values come from the node's real launch configuration, never from constants.

import type { NodeLaunchSpec } from './launch-spec';
import type { ClusterEndpoint } from '../supervisor/records';
import { SETTINGS } from '../settings/registry';
import type { NetworkInfo, PortValue, SettingValue } from '../settings/types';
import { effectiveRotationInterval } from '../logs/log-settings';

/** A JSON number as Zeek's writer emits doubles: always with a fraction. */
class Double {
  constructor(readonly value: number) {}
}

type J = string | number | boolean | null | Double | J[] | { [k: string]: J };

function render(v: J): string {
  if (v instanceof Double) return Number.isInteger(v.value) ? v.value.toFixed(1) : String(v.value);
  if (Array.isArray(v)) return `[${v.map(render).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${render(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

const port = (p: number, proto = 'tcp'): J => ({ port: p, proto });
const portValue = (p: PortValue): J => port(p.port, p.proto);

const NODE_TYPES: Record<string, string> = {
  LOGGER: 'Cluster::LOGGER', MANAGER: 'Cluster::MANAGER', PROXY: 'Cluster::PROXY', WORKER: 'Cluster::WORKER', NONE: 'Cluster::NONE',
};

function managerName(cluster: Record<string, ClusterEndpoint>): string | null {
  for (const [name, e] of Object.entries(cluster)) if (e.role === 'MANAGER') return name;
  return null;
}

/** Cluster::Node as base/frameworks/cluster/supervisor.zeek builds it from the Supervisor's table. */
function clusterNode(name: string, e: ClusterEndpoint, manager: string | null): J {
  const rec: { [k: string]: J } = {
    node_type: NODE_TYPES[e.role],
    ip: e.host,
    zone_id: '',
    p: e.p === 0 ? port(0, 'unknown') : port(e.p),
  };
  if (manager !== null && e.role !== 'MANAGER') rec.manager = manager;
  if (e.metrics_port !== null) rec.metrics_port = port(e.metrics_port);
  void name;
  return rec;
}

function settingJson(name: string, v: SettingValue): J {
  const def = SETTINGS.get(name)!;
  switch (def.type) {
    case 'port': return portValue(v as PortValue);
    case 'interval':
    case 'double': return new Double(v as number);
    case 'network-info': {
      const n = v as NetworkInfo;
      return { address: n.address, bound_port: portValue(n.bound_port) };
    }
    default: return v as J;
  }
}

export type IdValue = { ok: true; json: string } | { ok: false; error: string };

/** Looks an identifier up the way Management::Node's dispatch_get_id_value does. */
export function lookupIdValue(spec: NodeLaunchSpec, id: string): IdValue {
  const v = nodeGlobal(spec, id);
  if (v === undefined) return { ok: false, error: 'unknown id' };
  return { ok: true, json: render(v) };
}

/** Names of every identifier the node knows, for documentation and tests. */
export function knownIds(spec: NodeLaunchSpec): string[] {
  return [...new Set([...DERIVED, ...Object.keys(spec.globals)])].sort();
}

const DERIVED = [
  'Cluster::node', 'Cluster::nodes', 'Cluster::local_node_type', 'Cluster::local_node_metrics_port', 'Cluster::manager_is_logger',
  'Cluster::is_enabled', 'Management::role', 'Telemetry::metrics_port', 'Log::default_rotation_interval', 'Supervisor::node',
];

function nodeGlobal(spec: NodeLaunchSpec, id: string): J | undefined {
  const self = spec.cluster[spec.name];
  const manager = managerName(spec.cluster);
  switch (id) {
    case 'Cluster::node':
      return spec.name;
    case 'Cluster::nodes': {
      const out: { [k: string]: J } = {};
      for (const name of Object.keys(spec.cluster).sort()) out[name] = clusterNode(name, spec.cluster[name], manager);
      return out;
    }
    case 'Cluster::manager_is_logger':
      return !Object.values(spec.cluster).some((e) => e.role === 'LOGGER');
    case 'Management::role':
      return 'Management::NODE';
    case 'Telemetry::metrics_port':
      return self?.metrics_port ? port(self.metrics_port) : port(0, 'unknown');
    case 'Log::default_rotation_interval':
      return new Double(rotationInterval(spec));
    // Functions render by name, as to_json() does for function values.
    case 'Cluster::local_node_type':
    case 'Cluster::local_node_metrics_port':
    case 'Cluster::is_enabled':
    case 'Supervisor::node':
      return id;
    default:
      if (Object.prototype.hasOwnProperty.call(spec.globals, id) && SETTINGS.has(id)) return settingJson(id, spec.globals[id]);
      return undefined;
  }
}

/**
 * Log::default_rotation_interval as this node actually rotates: under management every
 * emulated node writes (and rotates) its own logs, hourly unless set explicitly.
 */
export function rotationInterval(spec: NodeLaunchSpec): number {
  return effectiveRotationInterval(spec.globals, spec.explicitGlobals);
}
