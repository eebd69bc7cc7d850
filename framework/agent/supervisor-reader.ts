// How the agent reads its Supervisor's messages: piece by piece as they arrive (a
// MessageReader of EndpointClient), so that a status reply is never held whole.
//
// SupervisorControl::status_response carries a Supervisor::Status: every node's
// NodeConfig, each with the whole cluster layout, i.e. nodes × nodes ClusterEndpoints
// (200 nodes: 40,000 endpoints, 13.9 MB of JSON; read whole it took the agent from ~73
// to ~165 MB). The agent reads only each node's own endpoint (role, ports), as Zeek's
// agent does (`sns$node$cluster[node]`), so this reader cuts the nodes table's entries out
// of the text as they arrive and keeps each one's NodeConfig with the cluster table
// reduced to the node's own entry. The reply then holds O(nodes) data; the wire format is
// unchanged. Within an entry, the cluster table's endpoints are cut out the same way and
// only checked, not decoded, when they have the usual layout (CANONICAL_ENDPOINT): reading
// them all into Broker values made ~50 KB of short-lived objects per node, which the GC
// promoted and the agent's heap grew by tens of MB during a 200-node reply.
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
// Within an entry {"key": name, "value": NodeStatus [NodeConfig, pid]}: the cluster table's entries.
const ENTRY_CLUSTER: JsonPath = ['value', 'data', 0, 'data', CLUSTER_FIELD, 'data'];
const ENTRY_TYPES: Array<[JsonPath, string]> = [
  [['value', '@data-type'], 'vector'], [['value', 'data', 0, '@data-type'], 'vector'], [['value', 'data', 0, 'data', CLUSTER_FIELD, '@data-type'], 'table'],
];
/** Broker nesting depth of a cluster table's entries within a status table entry (NodeStatus, NodeConfig, table). */
const ENDPOINT_DEPTH = 3;

// A cluster table entry (name → Supervisor::ClusterEndpoint) exactly as Broker and our
// encoder write it, with an IPv4 host: text that matches is valid Broker data and a valid
// ClusterEndpoint (clusterEndpointFromData accepts it), so it need not be read. Anything
// else is read to find out.
const STR = '\\{"@data-type":"string","data":"[^"\\\\\\u0000-\\u001f]*"\\}';
const NONE = '\\{"@data-type":"none","data":\\{\\}\\}';
const PORT = '\\{"@data-type":"port","data":"(?:\\d{1,4}|[0-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])\\/(?:tcp|udp|icmp|\\?)"\\}';
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const CANONICAL_ENDPOINT = new RegExp(
  `^\\{"key":${STR},"value":\\{"@data-type":"vector","data":\\[` +
  '\\{"@data-type":"enum-value","data":"Supervisor::(?:NONE|LOGGER|MANAGER|PROXY|WORKER)"\\},' +
  `\\{"@data-type":"address","data":"${OCTET}(?:\\.${OCTET}){3}"\\},` +
  `(?:${NONE}|${PORT}),(?:${NONE}|${STR}),(?:${NONE}|${STR}),(?:${NONE}|${PORT})\\]\\}\\}$`,
);
/** How a canonical cluster entry for `name` begins (only for names that need no escaping). */
const endpointKeyPrefix = (name: string): string => `{"key":{"@data-type":"string","data":"${name}"},`;
const PLAIN_NAME = /^[^"\\\u0000-\u001f]*$/;

export class SupervisorMessageReader implements MessageReader {
  private readonly splitter: JsonArraySplitter;
  private readonly entries: Array<[BrokerData, BrokerData]> = [];
  private readonly entryLimits: DecodeLimits;
  private readonly endpointLimits: DecodeLimits;

  constructor(private readonly limits: DecodeLimits = DEFAULT_LIMITS) {
    this.entryLimits = { maxDepth: limits.maxDepth - NODES_DEPTH, maxTextLength: limits.maxTextLength };
    this.endpointLimits = { maxDepth: this.entryLimits.maxDepth - ENDPOINT_DEPTH, maxTextLength: limits.maxTextLength };
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
    const [key, status] = this.entryCut(text) ?? this.entryReadWhole(text);
    return [detached(key), detached(status)];
  }

  /** Reads the whole entry, then reduces its cluster table. */
  private entryReadWhole(text: string): [BrokerData, BrokerData] {
    const [key, status] = readTableEntry(text, this.entryLimits);
    return [key, withOwnEndpointOnly(key, status)];
  }

  /**
   * The entry read without its cluster table, whose endpoints are cut out as text: the
   * node's own is read and put back, the others only checked. Undefined (read it whole
   * instead) when the layout is not the expected one or an endpoint is not valid, so that
   * the result, and any error, are exactly those of entryReadWhole.
   */
  private entryCut(text: string): [BrokerData, BrokerData] | undefined {
    const endpoints: string[] = [];
    let rest: string;
    let key: BrokerData;
    let status: BrokerData;
    try {
      const cut = new JsonArraySplitter({
        array: ENTRY_CLUSTER,
        watch: ENTRY_TYPES.map(([p]) => p),
        split: (seen) => ENTRY_TYPES.every(([p, type]) => seen(p) === type),
        element: (t) => endpoints.push(t),
        maxElementLength: text.length,
        maxRestLength: text.length,
      });
      cut.write(text);
      const r = cut.end();
      if (!r.split) return undefined;
      rest = r.rest;
      [key, status] = readTableEntry(rest, this.entryLimits);
    } catch {
      return undefined;
    }
    const cluster = clusterTable(status);
    if (key.type !== 'string' || cluster === undefined) return undefined;
    const ownPrefix = PLAIN_NAME.test(key.value) ? endpointKeyPrefix(key.value) : null;
    const own: string[] = [];
    for (const t of endpoints) {
      if (CANONICAL_ENDPOINT.test(t)) {
        if (ownPrefix !== null && t.startsWith(ownPrefix)) own.push(t);
        continue;
      }
      let endpoint: [BrokerData, BrokerData];
      try {
        endpoint = readTableEntry(t, this.endpointLimits);
      } catch {
        return undefined;
      }
      if (!readableEndpoint(endpoint[0], endpoint[1])) return undefined;
      if (endpoint[0].type === 'string' && endpoint[0].value === key.value) own.push(t);
    }
    cluster.value = own.map((t) => readTableEntry(t, this.endpointLimits));
    return [key, status];
  }
}

/** The text of one table entry (`{"key": …, "value": …}`) read as Broker data. */
function readTableEntry(text: string, limits: DecodeLimits): [BrokerData, BrokerData] {
  const one = decodeDataText(`{"@data-type":"table","data":[${text}]}`, limits);
  if (one.type !== 'table' || one.value.length !== 1) throw new WireError('deserialization_failed', 'malformed table entry');
  return one.value[0];
}

/** The cluster table of a Supervisor::NodeStatus. */
function clusterTable(status: BrokerData): { type: 'table'; value: Array<[BrokerData, BrokerData]> } | undefined {
  const config = status.type === 'vector' ? status.value[0] : undefined;
  const cluster = config?.type === 'vector' ? config.value[CLUSTER_FIELD] : undefined;
  return cluster?.type === 'table' ? cluster : undefined;
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
