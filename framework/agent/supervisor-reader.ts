// How the agent reads its Supervisor's messages: piece by piece as they arrive (a
// MessageReader of EndpointClient), so that a status reply is never held whole.
//
// SupervisorControl::status_response carries a Supervisor::Status: every node's
// NodeConfig, each with the whole cluster layout, i.e. nodes × nodes ClusterEndpoints
// (200 nodes: 40,000 endpoints, 13.9 MB of JSON; read whole it took the agent from ~73
// to ~165 MB). The agent reads only each node's own endpoint (role, ports), as Zeek's
// agent does (`sns$node$cluster[node]`), so this reader cuts the nodes table's entries out
// of the text as they arrive, reads each one alone, and keeps its NodeConfig with the
// cluster table reduced to the node's own entry. The reply then holds O(nodes) data; the
// wire format is unchanged.
//
// The result is what reading the whole message would give, except for the dropped
// endpoints: the same values, and the same errors (a NodeConfig whose cluster table has
// an entry that is not a readable ClusterEndpoint is kept whole, so that
// statusFromData reports it exactly as before). Every other message, and a status reply
// laid out in a way the splitter cannot confirm when the table opens (keys in another
// order), is handed back whole, to be read the ordinary way.

import { BrokerData } from '../../sdk/broker/data';
import { WireError } from '../../sdk/broker/errors';
import { DecodeLimits, DEFAULT_LIMITS } from '../../sdk/broker/json-codec';
import { decodeDataText } from '../../sdk/broker/json-fast';
import { JsonArraySplitter, JsonPath } from '../../sdk/broker/json-array-splitter';
import { parseServerMessage, ServerMessage } from '../../sdk/broker/messages';
import { MessageReader } from '../../sdk/transport/endpoint-client';
import { SupervisorControl } from '../supervisor/events';
import { clusterEndpointFromData } from '../supervisor/records';

// A data message: {"type", "topic", "@data-type":"vector", "data":[1, 1, [name, [reqid, Status]]]},
// each Broker value an object {"@data-type", "data"}. Paths in that JSON:
const BODY: JsonPath = ['data', 2];
const NAME: JsonPath = [...BODY, 'data', 0, 'data'];
const ARGS: JsonPath = [...BODY, 'data', 1];
const STATUS: JsonPath = [...ARGS, 'data', 1];
const NODES: JsonPath = [...STATUS, 'data', 0];
const NODES_ENTRIES: JsonPath = [...NODES, 'data'];
/** The Broker types on the way down, which must be known (seen) when the table opens. */
const TYPES: Array<[JsonPath, string]> = [
  [['@data-type'], 'vector'], [[...BODY, '@data-type'], 'vector'], [[...ARGS, '@data-type'], 'vector'],
  [[...STATUS, '@data-type'], 'vector'], [[...NODES, '@data-type'], 'table'],
];
/** Broker nesting depth of the nodes table (event, body, args, Status, table), for the depth limit of an entry read alone. */
const NODES_DEPTH = 4;
/** Supervisor::NodeConfig$cluster's field index. */
const CLUSTER_FIELD = 11;

export class SupervisorMessageReader implements MessageReader {
  private readonly splitter: JsonArraySplitter;
  private readonly entries: Array<[BrokerData, BrokerData]> = [];
  private readonly entryLimits: DecodeLimits;

  constructor(private readonly limits: DecodeLimits = DEFAULT_LIMITS) {
    this.entryLimits = { maxDepth: limits.maxDepth - NODES_DEPTH, maxTextLength: limits.maxTextLength };
    this.splitter = new JsonArraySplitter({
      array: NODES_ENTRIES,
      watch: [NAME, ...TYPES.map(([p]) => p)],
      split: (seen) => seen(NAME) === SupervisorControl.status_response && TYPES.every(([p, type]) => seen(p) === type),
      element: (text) => this.entries.push(this.entry(text)),
      maxElementLength: limits.maxTextLength,
      maxRestLength: limits.maxTextLength,
    });
  }

  write(piece: string): void {
    this.splitter.write(piece);
  }

  end(): ServerMessage | string {
    const { rest, split } = this.splitter.end();
    if (!split) return rest;
    // The rest is the status reply with an empty nodes table: read it, then put the entries in.
    const msg = parseServerMessage(rest, this.limits);
    const table = msg.type === 'data-message' ? nodesTable(msg.data) : undefined;
    if (table === undefined || table.value.length !== 0) throw new WireError('deserialization_failed', 'status reply without its nodes table');
    table.value = this.entries;
    return msg;
  }

  /** One entry of the nodes table (node name → Supervisor::NodeStatus), with the cluster table reduced. */
  private entry(text: string): [BrokerData, BrokerData] {
    const one = decodeDataText(`{"@data-type":"table","data":[${text}]}`, this.entryLimits);
    if (one.type !== 'table' || one.value.length !== 1) throw new WireError('deserialization_failed', 'malformed status table entry');
    const [key, status] = one.value[0];
    return [detached(key), detached(withOwnEndpointOnly(key, status))];
  }
}

/** The nodes table inside a status_response event's data (the shape was confirmed on the way in). */
function nodesTable(d: BrokerData): { type: 'table'; value: Array<[BrokerData, BrokerData]> } | undefined {
  const body = d.type === 'vector' ? d.value[2] : undefined;
  const args = body?.type === 'vector' ? body.value[1] : undefined;
  const status = args?.type === 'vector' ? args.value[1] : undefined;
  const nodes = status?.type === 'vector' ? status.value[0] : undefined;
  return nodes?.type === 'table' ? nodes : undefined;
}

/**
 * A Supervisor::NodeStatus whose NodeConfig's cluster table holds only the node's own
 * endpoint; unchanged when it is not shaped like one or when any endpoint is unreadable
 * (the record decoders then report exactly what they would have).
 */
function withOwnEndpointOnly(name: BrokerData, status: BrokerData): BrokerData {
  if (name.type !== 'string' || status.type !== 'vector') return status;
  const config = status.value[0];
  if (config?.type !== 'vector') return status;
  const cluster = config.value[CLUSTER_FIELD];
  if (cluster?.type !== 'table') return status;
  for (const [k, v] of cluster.value) if (!readableEndpoint(k, v)) return status;
  const fields = config.value.slice();
  fields[CLUSTER_FIELD] = { type: 'table', value: cluster.value.filter(([k]) => k.type === 'string' && k.value === name.value) };
  const statusFields = status.value.slice();
  statusFields[0] = { type: 'vector', value: fields };
  return { type: 'vector', value: statusFields };
}

function readableEndpoint(key: BrokerData, value: BrokerData): boolean {
  if (key.type !== 'string') return false;
  try {
    clusterEndpointFromData(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * `d` with its strings copied: a string read from a text may share that text's memory
 * (V8 slices), and the agent keeps some of these (env, scripts, names) for as long as the
 * nodes run, which would keep the whole entry text alive.
 */
function detached(d: BrokerData): BrokerData {
  switch (d.type) {
    case 'string':
    case 'enum-value':
    case 'address':
    case 'subnet':
      return { type: d.type, value: structuredClone(d.value) };
    case 'vector':
    case 'set':
      return { type: d.type, value: d.value.map(detached) };
    case 'table':
      return { type: 'table', value: d.value.map(([k, v]) => [detached(k), detached(v)]) };
    default:
      return d;
  }
}
