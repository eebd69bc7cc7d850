// Typed decoding of the arguments of the events the controller handles, with Zeek's
// signatures (controller/api.zeek, agent/api.zeek). Anything that does not fit raises an
// ArgumentError naming the event, the argument and what was wrong; trailing arguments
// that Zeek declares with &default may be omitted.

import { BrokerData } from '../../sdk/broker/data';
import { ShapeError } from '../../sdk/broker/errors';
import {
  configurationFromData, nodeFromData, readString, Result, resultFromData, stateFromData,
} from '../../sdk/model/records';
import { Configuration, Node, State } from '../../sdk/model/schemas';

export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
}

type Reader<T> = (d: BrokerData, path: string) => T;

const str: Reader<string> = (d, p) => readString(d, 'argument', p);

const bool: Reader<boolean> = (d, p) => {
  if (d.type !== 'boolean') throw new ShapeError(`must be a bool, got ${d.type}`, p);
  return d.value;
};

const count: Reader<bigint> = (d, p) => {
  if (d.type !== 'count') throw new ShapeError(`must be a count, got ${d.type}`, p);
  return d.value;
};

const stringSet: Reader<string[]> = (d, p) => {
  if (d.type !== 'set' && d.type !== 'vector') throw new ShapeError(`must be a set of strings, got ${d.type}`, p);
  const out = new Set<string>();
  d.value.forEach((x, i) => out.add(readString(x, 'set element', `${p}[${i}]`)));
  return [...out];
};

const stringVec: Reader<string[]> = (d, p) => {
  if (d.type !== 'vector') throw new ShapeError(`must be a vector of strings, got ${d.type}`, p);
  return d.value.map((x, i) => readString(x, 'vector element', `${p}[${i}]`));
};

const config: Reader<Configuration> = (d, p) => configurationFromData(d, p);
const result: Reader<Result> = (d, p) => resultFromData(d, p);
const resultVec: Reader<Result[]> = (d, p) => {
  if (d.type !== 'vector') throw new ShapeError(`must be a vector of Management::Result, got ${d.type}`, p);
  return d.value.map((x, i) => resultFromData(x, `${p}[${i}]`));
};
const node: Reader<Node> = (d, p) => nodeFromData(d, p);
const state: Reader<State> = (d, p) => stateFromData(d, p);

interface Param {
  name: string;
  read: Reader<unknown>;
  /** Zeek's &default, used when the argument is missing. */
  dflt?: () => unknown;
}

const p = (name: string, read: Reader<unknown>, dflt?: () => unknown): Param => ({ name, read, dflt });

/** A count that fits a JavaScript number (chunk indexes). */
const smallCount: Reader<number> = (d, p) => {
  const v = count(d, p);
  if (v > 1_000_000_000n) throw new ShapeError(`must be at most 1000000000, got ${v}`, p);
  return Number(v);
};
/** Left as Broker data; the handler reads it leniently. */
const raw: Reader<BrokerData> = (d) => d;
const ZC = 'ZeekMgmt::Controller::API::';
const ZA = 'ZeekMgmt::Agent::API::';

const C = 'Management::Controller::API::';
const A = 'Management::Agent::API::';

/** Signatures of the events the controller accepts. */
export const SIGNATURES: Readonly<Record<string, readonly Param[]>> = {
  [`${C}get_instances_request`]: [p('reqid', str)],
  [`${C}stage_configuration_request`]: [p('reqid', str), p('config', config)],
  [`${C}get_configuration_request`]: [p('reqid', str), p('deployed', bool)],
  [`${C}deploy_request`]: [p('reqid', str)],
  [`${C}get_nodes_request`]: [p('reqid', str)],
  [`${C}get_id_value_request`]: [p('reqid', str), p('id', str), p('nodes', stringSet, () => [])],
  [`${C}restart_request`]: [p('reqid', str), p('nodes', stringSet, () => [])],
  [`${C}test_timeout_request`]: [p('reqid', str), p('with_state', bool)],
  [`${C}test_noop_request`]: [p('reqid', str)],
  // Ours: the site policy (sdk/model/events.ts SiteApi).
  [`${ZC}stage_site_request`]: [p('reqid', str), p('hash', str), p('index', smallCount), p('total', smallCount), p('data', str)],
  [`${ZC}get_site_status_request`]: [p('reqid', str)],
  [`${ZC}get_site_request`]: [p('reqid', str), p('hash', str)],
  [`${ZA}notify_agent_capabilities`]: [p('instance', str), p('capabilities', stringSet)],
  [`${ZA}site_chunk_response`]: [p('reqid', str), p('result', raw)],
  [`${ZA}site_check_response`]: [p('reqid', str), p('results', raw)],
  [`${ZA}site_status_response`]: [p('reqid', str), p('result', raw)],
  // Ours: node diagnostics (sdk/model/events.ts DiagApi).
  [`${ZC}get_node_diagnostics_request`]: [p('reqid', str), p('nodes', stringSet, () => [])],
  [`${ZA}get_node_diagnostics_response`]: [p('reqid', str), p('result', raw)],

  [`${A}notify_agent_hello`]: [p('instance', str), p('id', str), p('connecting', bool), p('api_version', count)],
  [`${A}agent_welcome_response`]: [p('reqid', str), p('result', result)],
  [`${A}agent_standby_response`]: [p('reqid', str), p('result', result)],
  [`${A}deploy_response`]: [p('reqid', str), p('results', resultVec)],
  [`${A}get_nodes_response`]: [p('reqid', str), p('result', result)],
  [`${A}node_dispatch_response`]: [p('reqid', str), p('results', resultVec)],
  [`${A}restart_response`]: [p('reqid', str), p('results', resultVec)],
  [`${A}notify_change`]: [p('instance', str), p('n', node), p('old', state), p('new', state)],
  [`${A}notify_error`]: [p('instance', str), p('msg', str), p('node', str, () => '')],
  [`${A}notify_log`]: [p('instance', str), p('msg', str), p('node', str, () => '')],
};

/** Decodes `args` of event `name` into an object keyed by parameter name. */
export function decodeArguments(name: string, args: BrokerData[]): Record<string, unknown> {
  const params = SIGNATURES[name];
  if (!params) throw new ArgumentError(`no signature for ${name}`);
  if (args.length > params.length) {
    throw new ArgumentError(`${name} takes ${params.length} argument(s), got ${args.length}`);
  }
  const out: Record<string, unknown> = {};
  params.forEach((param, i) => {
    const a = args[i];
    if (a === undefined) {
      if (!param.dflt) throw new ArgumentError(`${name} takes ${params.filter((x) => !x.dflt).length} argument(s), got ${args.length}: missing ${param.name}`);
      out[param.name] = param.dflt();
      return;
    }
    try {
      out[param.name] = param.read(a, `args[${i}]`);
    } catch (err) {
      const e = err as ShapeError;
      throw new ArgumentError(`${name}: argument ${i + 1} (${param.name}): ${e.message}`);
    }
  });
  return out;
}
