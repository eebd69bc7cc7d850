// Native codec bench: the 1,000-node stage_configuration_request of bench/codec.ts, once
// as a native Broker frame and once as a WebSocket JSON message, both in the same run,
// alternating so that load on the shared machine hits both alike.
//
// Native round trip = configurationToData -> eventToData -> dataEnvelope -> encodeEnvelope
//   -> frame -> FrameReader -> decodeEnvelope -> decodeBinary -> eventFromData
//   -> configurationFromData.
// JSON round trip   = as in bench/codec.ts (encodeDataMessage -> parseDataMessage).
//
// Usage: node dist/bench/codec-native.js [--iterations N] [--warmup N] [--nodes N] [--json]
// Prints both round trips and the median of the per-iteration native/JSON ratios.

import { deepStrictEqual } from 'node:assert';
import * as os from 'node:os';
import { B } from '../sdk/broker/data';
import { eventFromData, eventToData } from '../sdk/broker/event';
import { encodeDataMessage, parseDataMessage } from '../sdk/broker/messages';
import { decodeBinary } from '../sdk/broker/native/data-codec';
import { EndpointId } from '../sdk/broker/native/endpoint-id';
import { frame, FrameReader } from '../sdk/broker/native/framing';
import { dataEnvelope, decodeEnvelope, encodeEnvelope } from '../sdk/broker/native/messages';
import { configurationFromData, configurationToData, readString } from '../sdk/model/records';
import { Configuration } from '../sdk/model/schemas';
import { deployMessages, deployMessageTemplate } from '../framework/controller/runtime';
import { DEFAULT_LIMITS } from '../sdk/broker/json-codec';
import { buildConfiguration } from './codec';
import { readOptions } from './options';

const TOPIC = 'zeek/management/controller';
const EVENT = 'Management::Controller::API::stage_configuration_request';
const SENDER = EndpointId.random();

function requestData(reqid: string, config: Configuration) {
  return eventToData({ name: EVENT, args: [B.str(reqid), configurationToData(config)] });
}

function fromData(d: ReturnType<typeof requestData>): { reqid: string; config: Configuration } {
  const ev = eventFromData(d);
  if (ev.name !== EVENT || ev.args.length !== 2) throw new Error(`unexpected event ${ev.name}/${ev.args.length}`);
  return { reqid: readString(ev.args[0], 'reqid', '$[0]'), config: configurationFromData(ev.args[1], '$[1]') };
}

const native = {
  encode: (reqid: string, config: Configuration): Buffer => frame(encodeEnvelope(dataEnvelope(SENDER, TOPIC, requestData(reqid, config)))),
  decode: (bytes: Buffer) => {
    const [f] = new FrameReader(64 * 1024 * 1024).push(bytes);
    return fromData(decodeBinary(decodeEnvelope(f).payload));
  },
};

const json = {
  encode: (reqid: string, config: Configuration): string => encodeDataMessage(TOPIC, requestData(reqid, config)),
  decode: (text: string) => fromData(parseDataMessage(text).data),
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}
function ms(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * The controller's deploy_request to `agents` native Broker agents: as it sends it
 * (framework/controller/runtime.ts deployMessages: the configuration's Broker data made
 * once, each agent's event encoded natively) and as it did before 2026-12-03 (the JSON
 * text made once from a template, then parsed back into Broker data for each native link).
 * Checks that both put the same bytes on the wire; medians in ms.
 */
function deployFanOut(config: Configuration, agents: number, iterations: number): { agents: number; preparedMs: number; throughJsonMs: number } {
  const topics = Array.from({ length: agents }, (_, i) => `zeek/management/agent/agent-${i}`);
  const wire = (topic: string, data: ReturnType<typeof requestData>): Buffer => frame(encodeEnvelope(dataEnvelope(SENDER, topic, data)));
  const prepared = (reqid: string): Buffer[] => {
    const make = deployMessages(config);
    return topics.map((t) => { const m = make(t, reqid); return wire(m.topic, m.data()); });
  };
  const throughJson = (reqid: string): Buffer[] => {
    const make = deployMessageTemplate(config);
    return topics.map((t) => { const m = parseDataMessage(make(t, reqid), DEFAULT_LIMITS); return wire(m.topic, m.data); });
  };
  deepStrictEqual(prepared('r'), throughJson('r'));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < iterations; i++) {
    a.push(ms(() => prepared(`r${i}`)));
    b.push(ms(() => throughJson(`r${i}`)));
  }
  return { agents, preparedMs: median(a), throughJsonMs: median(b) };
}

function main(): void {
  const o = readOptions({ iterations: 'count', warmup: 'count', nodes: 'count', json: 'flag' }, { iterations: 100, warmup: 20, nodes: 1000 });
  const config = buildConfiguration(o.nodes);
  const bin = native.encode('r', config);
  const text = json.encode('r', config);
  deepStrictEqual(native.decode(bin), json.decode(text)); // both give the same configuration
  for (let i = 0; i < o.warmup; i++) { native.decode(native.encode(`w${i}`, config)); json.decode(json.encode(`w${i}`, config)); }
  const r = { nativeEnc: [] as number[], nativeDec: [] as number[], jsonEnc: [] as number[], jsonDec: [] as number[] };
  for (let i = 0; i < o.iterations; i++) {
    let b: Buffer = bin;
    let t = text;
    r.nativeEnc.push(ms(() => { b = native.encode(`r${i}`, config); }));
    r.nativeDec.push(ms(() => native.decode(b)));
    r.jsonEnc.push(ms(() => { t = json.encode(`r${i}`, config); }));
    r.jsonDec.push(ms(() => json.decode(t)));
  }
  const sum = (a: number[], b: number[]): number[] => a.map((x, i) => x + b[i]);
  const result = {
    nodes: o.nodes, iterations: o.iterations, node: process.version, loadAverage: os.loadavg()[0],
    native: { bytes: bin.length, roundTripMedianMs: median(sum(r.nativeEnc, r.nativeDec)), roundTripP95Ms: p95(sum(r.nativeEnc, r.nativeDec)), encodeMedianMs: median(r.nativeEnc), decodeMedianMs: median(r.nativeDec) },
    json: { bytes: Buffer.byteLength(text), roundTripMedianMs: median(sum(r.jsonEnc, r.jsonDec)), roundTripP95Ms: p95(sum(r.jsonEnc, r.jsonDec)), encodeMedianMs: median(r.jsonEnc), decodeMedianMs: median(r.jsonDec) },
    // Each iteration times both back to back, so their ratio is the figure least moved by
    // the load of a shared machine.
    nativeToJsonRatioMedian: median(sum(r.nativeEnc, r.nativeDec).map((x, i) => x / (r.jsonEnc[i] + r.jsonDec[i]))),
    deployToNativeAgents: deployFanOut(config, 8, Math.max(5, Math.round(o.iterations / 5))),
  };
  if (o.json) { console.log(JSON.stringify(result, null, 2)); return; }
  const f = (x: number): string => x.toFixed(3);
  console.log(`codec bench, native vs JSON: ${o.nodes} nodes, ${o.iterations} iterations alternating (Node ${result.node}, load average ${result.loadAverage.toFixed(2)})`);
  for (const [name, v] of [['native', result.native], ['json  ', result.json]] as const) {
    console.log(`  ${name}  ${String(v.bytes).padStart(8)} bytes   round trip median ${f(v.roundTripMedianMs)} ms  p95 ${f(v.roundTripP95Ms)} ms   encode ${f(v.encodeMedianMs)}  decode ${f(v.decodeMedianMs)}`);
  }
  console.log(`  native / JSON round trip, median of the per-iteration ratios: ${result.nativeToJsonRatioMedian.toFixed(2)}`);
  const d = result.deployToNativeAgents;
  console.log(`  deploy_request to ${d.agents} native agents: ${f(d.preparedMs)} ms (Broker data made once) vs ${f(d.throughJsonMs)} ms (JSON text parsed back per agent, as before)`);
}

if (require.main === module) main();
