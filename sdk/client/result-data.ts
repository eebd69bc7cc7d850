// Interpreting the `data` field (Zeek's `any`) of the controller's results, per request.

import { BrokerData } from '../broker/data';
import { ShapeError } from '../broker/errors';
import {
  configurationFromData, instanceFromData, nodeOutputsFromData, nodeStatusFromData, Result,
} from '../model/records';
import { Configuration, Instance, NodeOutputs, NodeStatus } from '../model/schemas';
import { NodeDiagnostics, nodeDiagnosticsFromJson } from '../model/diagnostics';

/** Responses may come from an older Zeek controller: read its records as zeek-client does. */
const OLDER_ZEEK = { olderZeek: true } as const;

function list(d: BrokerData | null, what: string): BrokerData[] {
  if (d === null) return [];
  if (d.type !== 'vector' && d.type !== 'set') throw new ShapeError(`${what} must be a vector, got ${d.type}`);
  return d.value;
}

/** get_instances_response: a vector of Management::Instance. */
export function instancesOf(r: Result): Instance[] {
  return list(r.data, 'instances').map((d, i) => instanceFromData(d, `$.data[${i}]`));
}

/** get_configuration_response: a Management::Configuration, when successful. */
export function configurationOf(r: Result): Configuration | null {
  return r.data === null ? null : configurationFromData(r.data, '$.data', OLDER_ZEEK);
}

/** get_nodes_response: per instance, a vector of Management::NodeStatus. */
export function nodeStatusesOf(r: Result): NodeStatus[] {
  return list(r.data, 'node statuses').map((d, i) => nodeStatusFromData(d, `$.data[${i}]`, OLDER_ZEEK));
}

/** deploy_response: a failed node's Management::NodeOutputs, when present. */
export function nodeOutputsOf(r: Result): NodeOutputs | null {
  if (r.data === null || r.data.type !== 'vector') return null;
  return nodeOutputsFromData(r.data, '$.data');
}

/** get_id_value_response: the node's JSON rendering of the identifier's value. */
export function idValueOf(r: Result): string | null {
  return r.data !== null && r.data.type === 'string' ? r.data.value : null;
}

/** get_node_diagnostics_response (ours): an instance's nodes' diagnostics; [] for a failed Result. */
export function nodeDiagnosticsOf(r: Result): NodeDiagnostics[] {
  if (!r.success || r.data === null) return [];
  if (r.data.type !== 'string') throw new ShapeError(`node diagnostics must be a string (JSON text), got ${r.data.type}`);
  return nodeDiagnosticsFromJson(r.data.value, '$.data');
}
