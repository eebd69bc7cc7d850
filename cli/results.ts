// The JSON documents zeek-client prints for the controller's responses (cli.py's
// cmd_* functions): which results become `errors`, which `results`, how they are keyed
// and sorted. Pure functions of the decoded Result records, so that the same responses
// always print the same text as zeek-client.

import { BrokerData } from '../sdk/broker/data';
import { formatTimespan, formatTimestamp } from '../sdk/broker/json-codec';
import { PythonFloat, pythonJsonDumps } from '../sdk/config/python-json';
import { Result } from '../sdk/model/records';
import { instanceToJsonData } from '../sdk/config/configuration-to-json';
import { pySortedBy } from '../sdk/config/python-string';
import { Instance, NodeOutputs, NodeStatus } from '../sdk/model/schemas';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** zeek-client's ordering of results (Result.__lt__): by instance (unset last), then node. */
export function resultLessThan(a: Result, b: Result): boolean {
  if (a.instance === null && b.instance !== null) return false;
  if (a.instance !== null && b.instance === null) return true;
  if (a.instance !== null && b.instance !== null) {
    if (a.instance < b.instance) return true;
    if (a.instance > b.instance) return false;
  }
  if (a.node !== null && b.node !== null) return a.node < b.node;
  return false;
}

/** Python's sorted() with Result.__lt__ (both are stable merge sorts over `<`). */
export function sortedResults(results: readonly Result[]): Result[] {
  return [...results].sort((a, b) => (resultLessThan(a, b) ? -1 : resultLessThan(b, a) ? 1 : 0));
}

/** Broker data as its JSON encoding, as a Python value (zeek-client's repr() of brokertypes). */
export function brokerJson(d: BrokerData): Json {
  const wrap = (type: string, data: Json): Json => ({ '@data-type': type, data });
  switch (d.type) {
    case 'none': return wrap('none', {});
    case 'boolean': return wrap('boolean', d.value);
    case 'count':
    case 'integer': return wrap(d.type, d.value);
    case 'real': return wrap('real', new PythonFloat(d.value));
    case 'timespan': return wrap('timespan', formatTimespan(d.value));
    case 'timestamp': return wrap('timestamp', formatTimestamp(d.value));
    case 'string':
    case 'enum-value':
    case 'address':
    case 'subnet': return wrap(d.type, d.value);
    case 'port': return wrap('port', `${d.value.number}/${d.value.protocol}`);
    case 'vector':
    case 'set': return wrap(d.type, d.value.map(brokerJson));
    case 'table': return wrap('table', d.value.map(([k, v]) => ({ key: brokerJson(k), value: brokerJson(v) })));
  }
}

/**
 * Broker data as zeek-client's json_dumps() renders a brokertype it meets in a result:
 * ports as their number in a string, timespans as "<n>us", other values as Python ones.
 */
export function brokerPy(d: BrokerData): Json {
  switch (d.type) {
    case 'none': return null;
    case 'boolean':
    case 'string':
    case 'enum-value':
    case 'address':
    case 'subnet': return d.value;
    case 'count':
    case 'integer': return d.value;
    case 'real': return new PythonFloat(d.value);
    case 'timespan': return `${Number((d.value / 1000n) % 1000000n)}us`;
    case 'timestamp': return formatTimestamp(d.value);
    case 'port': return String(d.value.number);
    case 'vector':
    case 'set': return d.value.map(brokerPy);
    case 'table': return Object.fromEntries(d.value.map(([k, v]) => [String(brokerPy(k)), brokerPy(v)]));
  }
}

function describeResult(r: Result): string {
  return `Result(reqid=${r.reqid}, success=${r.success ? 'True' : 'False'}, instance=${r.instance ?? 'None'}, node=${r.node ?? 'None'}, error=${r.error ?? 'None'})`;
}

export interface DeployReport {
  json: { results: Json; errors: Json[] };
  ok: boolean;
  /** Results zeek-client logs a warning for and skips. */
  skipped: string[];
}

/** cmd_deploy: controller/agent errors, the deployed id, per-node success and outputs of failed nodes. */
export function deployReport(results: readonly Result[], nodeOutputs: (r: Result) => NodeOutputs | null): DeployReport {
  const json: { results: Json; errors: Json[] } = { results: {}, errors: [] };
  let ok = true;
  const skipped: string[] = [];
  for (const res of results) {
    if (!res.success) ok = false;
    if (!res.success && res.node === null && res.error) {
      json.errors.push(res.error);
      continue;
    }
    if (res.success && res.node === null && res.instance === null && res.data !== null && isTruthy(res.data)) {
      json.results.id = brokerPy(res.data);
      continue;
    }
    if (res.instance === null) {
      skipped.push(`skipping unexpected response ${describeResult(res)}`);
      continue;
    }
    if (res.node === null) {
      // Ours: what each instance did with the deployment's site (checked, or not and why).
      // Only deployments with a site have these, so other output stays zeek-client's.
      if (res.success && res.data?.type === 'string' && res.data.value.startsWith('site ')) (json.results.site ??= []).push(`${res.instance}: ${res.data.value}`);
      continue;
    }
    json.results.nodes ??= {};
    const entry: Json = { success: res.success, instance: res.instance };
    if (res.data !== null && isTruthy(res.data)) {
      const out = nodeOutputs(res);
      if (out) {
        entry.stdout = out.stdout;
        entry.stderr = out.stderr;
      }
    }
    json.results.nodes[res.node] = entry;
  }
  return { json, ok, skipped };
}

/** cmd_stage_config_impl: errors (with "no reason given" for silent failures) and the staged id. */
export function stageReport(results: readonly Result[]): { json: { results: Json; errors: Json[] }; ok: boolean } {
  const json: { results: Json; errors: Json[] } = { results: {}, errors: [] };
  let ok = true;
  for (const res of results) {
    if (!res.success) {
      ok = false;
      json.errors.push(res.error ? res.error : 'no reason given');
      continue;
    }
    if (res.data !== null && isTruthy(res.data)) json.results.id = brokerPy(res.data);
  }
  return { json, ok };
}

/** Python truthiness of a brokertype (objects are truthy unless they define __len__/__bool__). */
function isTruthy(d: BrokerData): boolean {
  if (d.type === 'vector' || d.type === 'set' || d.type === 'table') return d.value.length > 0;
  return d.type !== 'none';
}

/** cmd_get_instances: instances keyed by name, without the name, sorted. */
export function instancesReport(instances: readonly Instance[]): Json {
  const json: Json = {};
  for (const inst of pySortedBy(instances, (i) => i.name)) {
    const entry = instanceToJsonData(inst);
    delete entry.name;
    json[inst.name] = entry;
  }
  return json;
}

/** cmd_get_nodes: per instance, node status keyed by node; failed instances in errors. */
export function nodesReport(results: readonly Result[], statuses: (r: Result) => NodeStatus[]): { json: { results: Json; errors: Json[] }; problems: string[] } {
  const json: { results: Json; errors: Json[] } = { results: {}, errors: [] };
  const problems: string[] = [];
  for (const res of sortedResults(results)) {
    if (!res.success) {
      json.errors.push({ source: res.instance, error: res.error });
      continue;
    }
    if (res.data === null) {
      json.errors.push({ source: res.instance, error: 'result does not contain node status data' });
      continue;
    }
    const key = String(res.instance);
    json.results[key] = {};
    let list: NodeStatus[];
    try {
      list = statuses(res);
    } catch (err) {
      problems.push(`NodeStatus data invalid: ${(err as Error).message}`);
      continue;
    }
    for (const ns of [...list].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
      const entry: Json = {
        state: ns.state,
        mgmt_role: ns.mgmt_role !== 'NONE' ? ns.mgmt_role : null,
        cluster_role: ns.cluster_role !== 'NONE' ? ns.cluster_role : null,
      };
      if (ns.pid !== null) entry.pid = ns.pid;
      if (ns.port !== null) entry.port = ns.port;
      if (ns.metrics_port !== null) entry.metrics_port = ns.metrics_port;
      json.results[key][ns.node] = entry;
    }
  }
  return { json, problems };
}

/**
 * cmd_get_id_value: each node's value (Zeek's to_json() text, parsed) keyed by node;
 * failures and unusable data in errors. `parseJson` reads a node's JSON text.
 */
export function idValueReport(results: readonly Result[], parseJson: (text: string) => Json): { results: Json; errors: Json[] } {
  const json: { results: Json; errors: Json[] } = { results: {}, errors: [] };
  for (const res of sortedResults(results)) {
    if (!res.success) {
      json.errors.push({ source: res.node, error: res.error });
      continue;
    }
    if (res.node) {
      if (res.data === null || res.data.type !== 'string') {
        json.errors.push({ source: res.node, error: `invalid result data type ${res.data === null ? 'None' : reprJson(res.data)}` });
        continue;
      }
      try {
        json.results[res.node] = parseJson(res.data.value);
      } catch (err) {
        json.errors.push({ source: res.node, error: `JSON decode error: ${(err as Error).message}` });
      }
      continue;
    }
    json.errors.push({ error: `result lacking node: ${res.data === null ? 'None' : reprJson(res.data)}` });
  }
  return json;
}

/** cmd_restart: per-node success; the controller's own failures in errors. */
export function restartReport(results: readonly Result[]): { results: Json; errors: Json[] } {
  const json: { results: Json; errors: Json[] } = { results: {}, errors: [] };
  for (const res of sortedResults(results)) {
    if (!res.success && res.instance === null) {
      json.errors.push({ source: res.node, error: res.error });
      continue;
    }
    if (res.node) {
      json.results[res.node] = res.success;
      continue;
    }
    json.errors.push({ error: `result lacking node: ${describeResult(res)}` });
  }
  return json;
}

// repr() of a brokertype: its Broker JSON, dumped with sort_keys and Python's default separators.
function reprJson(d: BrokerData): string {
  return pythonJsonDumps(brokerJson(d), { sortKeys: true });
}
