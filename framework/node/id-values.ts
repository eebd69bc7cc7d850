// The global identifiers an emulated node can show through get_id_value, rendered the
// way Zeek's to_json() renders them: ports as {"port":N,"proto":"tcp"}, intervals as Zeek
// describes them ("1.0 hr", "1.0 min 30.0 secs"), times as seconds (doubles), enums and
// functions by name, records as objects of their set fields in declaration order,
// string-indexed tables as objects. Checked against Zeek 8.0.9 (test/real-zeek-*.test.ts).
// Values come from the node's real launch configuration, never from constants.

import type { NodeLaunchSpec } from './launch-spec';
import type { ClusterEndpoint } from '../supervisor/records';
import { SETTINGS } from '../settings/registry';
import type { NetworkInfo, PortValue, SettingValue } from '../settings/types';

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

/** A double as Zeek's describe writes it (modp_dtoa2, six decimals, trailing zeros cut, ".0" on whole numbers). */
export function describeDouble(d: number): string {
  if (!Number.isFinite(d)) return String(d);
  const neg = d < 0;
  let v = Math.abs(d);
  let text: string;
  if (v > 0x7fffffff) {
    // modp_dtoa2 falls back to printf's %e here; C writes at least two exponent digits.
    text = v.toExponential(6).replace(/e([+-])(\d)$/, 'e$10$2');
  } else {
    let whole = Math.floor(v);
    const scaled = (v - whole) * 1e6;
    let frac = Math.floor(scaled);
    const rest = scaled - frac;
    if (rest > 0.5 || (rest === 0.5 && (frac === 0 || frac % 2 === 1))) frac += 1;
    if (frac >= 1e6) {
      frac = 0;
      whole += 1;
    }
    text = frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  }
  if (neg && text !== '0') text = `-${text}`;
  if (!text.includes('.') && !text.includes('e')) text += '.0';
  return text;
}

const INTERVAL_UNITS: Array<[number, string]> = [[86400, 'day'], [3600, 'hr'], [60, 'min'], [1, 'sec'], [1e-3, 'msec'], [1e-6, 'usec']];

/** An interval as Zeek's IntervalVal describes it, and so as to_json() renders it. */
export function describeInterval(seconds: number): string {
  if (seconds === 0) return '0 secs';
  let v = seconds;
  const parts: string[] = [];
  INTERVAL_UNITS.forEach(([unit, word], i) => {
    let n: number;
    if (i === INTERVAL_UNITS.length - 1) {
      n = v / unit;
      if (Math.abs(n) < 1e-6) {
        if (parts.length === 0) parts.push('0 secs');
        return;
      }
    } else {
      if (!(v >= unit || v <= -unit)) return;
      n = v / unit;
      n = n < 0 ? Math.ceil(n) : Math.floor(n);
      v -= n * unit;
    }
    const one = Math.abs(n - 1) < 1e-6 || Math.abs(n + 1) < 1e-6;
    parts.push(`${describeDouble(n)} ${word}${one ? '' : 's'}`);
  });
  return parts.join(' ');
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
    case 'interval': return describeInterval(v as number);
    case 'double': return new Double(v as number);
    case 'network-info': {
      const n = v as NetworkInfo;
      return { address: n.address, bound_port: portValue(n.bound_port) };
    }
    default: return v as J;
  }
}

/**
 * Broker::default_listen_address as a cluster node has it: the management boot scripts set
 * 127.0.0.1 only for the Supervisor and agent, so a node keeps Broker's default (the
 * environment's ZEEK_DEFAULT_LISTEN_ADDRESS, else "", every address) unless it is set
 * explicitly for the node.
 */
export function nodeListenAddress(spec: NodeLaunchSpec): string {
  if (spec.explicitGlobals.includes('Broker::default_listen_address')) return String(spec.globals['Broker::default_listen_address'] ?? '');
  return process.env.ZEEK_DEFAULT_LISTEN_ADDRESS ?? '';
}

export type IdValue = { ok: true; json: string } | { ok: false; error: string };

/** Looks an identifier up the way Management::Node's dispatch_get_id_value does. */
export function lookupIdValue(spec: NodeLaunchSpec, id: string): IdValue {
  const site = spec.siteValues && Object.prototype.hasOwnProperty.call(spec.siteValues, id) ? spec.siteValues[id] : undefined;
  const v = nodeGlobal(spec, id);
  // A node global the site redefs was applied to the globals already; other identifiers the site sets answer from it.
  if (v === undefined || (site !== undefined && !SETTINGS.has(id))) {
    if (site !== undefined) return { ok: true, json: site };
    return { ok: false, error: 'unknown id' };
  }
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
    case 'Broker::default_listen_address':
      return nodeListenAddress(spec);
    case 'Log::default_rotation_interval':
      return describeInterval(reportedRotationInterval(spec));
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
 * Log::default_rotation_interval as a Zeek cluster node has it unless set explicitly:
 * base/frameworks/cluster/nodes/*.zeek give loggers (and a manager that is also the
 * logger) one hour and every other node 24 hours.
 */
function reportedRotationInterval(spec: NodeLaunchSpec): number {
  const v = spec.globals['Log::default_rotation_interval'];
  if (spec.explicitGlobals.includes('Log::default_rotation_interval') && typeof v === 'number') return v;
  const role = spec.cluster[spec.name]?.role;
  const hasLogger = Object.values(spec.cluster).some((e) => e.role === 'LOGGER');
  return role === 'LOGGER' || (role === 'MANAGER' && !hasLogger) ? 3600 : 86400;
}
