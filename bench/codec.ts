// Codec bench: a 1,000-node cluster Configuration sent the way zeek-client sends it,
// as a Management::Controller::API::stage_configuration_request event inside a Broker
// WebSocket data message, then read back the way the controller reads it.
//
// One round trip = configurationToData -> eventToData -> encodeDataMessage
//                  -> parseDataMessage -> eventFromData -> configurationFromData.
//
// Usage: node dist/bench/codec.js [--iterations N] [--warmup N] [--nodes N] [--json]

import { deepStrictEqual } from 'node:assert';
import * as os from 'node:os';
import { B } from '../sdk/broker/data';
import { eventFromData, eventToData } from '../sdk/broker/event';
import { encodeDataMessage, parseDataMessage } from '../sdk/broker/messages';
import { configurationFromData, configurationToData, readString } from '../sdk/model/records';
import { Configuration, Node } from '../sdk/model/schemas';
import { readOptions } from './options';

const TOPIC = 'zeek/management/controller';
const EVENT = 'Management::Controller::API::stage_configuration_request';
const TARGET_MS = 5;

function options(): { iterations: number; warmup: number; nodes: number; json: boolean } {
  return readOptions({ iterations: 'count', warmup: 'count', nodes: 'count', json: 'flag' }, { iterations: 200, warmup: 30, nodes: 1000 });
}

/** A realistic large cluster: 1 manager, loggers, proxies and the rest workers over many instances. */
export function buildConfiguration(nodeCount: number): Configuration {
  const instanceCount = Math.max(1, Math.ceil(nodeCount / 25));
  const instances = Array.from({ length: instanceCount }, (_, i) => ({
    name: `agent-sensor-${String(i).padStart(3, '0')}`,
    host: i % 2 === 0 ? `10.${(i >> 8) & 255}.${i & 255}.10` : `2001:db8::${(i + 1).toString(16)}`,
    listen_port: i % 3 === 0 ? null : 2151 + (i % 50),
  }));
  const loggers = Math.max(1, Math.floor(nodeCount / 100));
  const proxies = Math.max(1, Math.floor(nodeCount / 50));
  const nodes: Node[] = [];
  const base = (name: string, i: number, role: Node['role']): Node => ({
    name,
    instance: instances[i % instanceCount].name,
    role,
    state: 'RUNNING',
    port: 2200 + (i % 20000),
    scripts: null,
    options: null,
    interface: null,
    cpu_affinity: null,
    env: {},
    metrics_port: 9000 + (i % 20000),
  });
  nodes.push({
    ...base('manager', 0, 'MANAGER'),
    scripts: ['site/local.zeek', 'policy/frameworks/management/agent'],
    env: { ZEEK_DEFAULT_CONNECT_RETRY: '1', ZEEKPATH: '/opt/zeek/share/zeek:/opt/zeek/share/zeek/site' },
  });
  for (let i = 0; i < loggers && nodes.length < nodeCount; i++) {
    nodes.push({ ...base(`logger-${i + 1}`, i + 1, 'LOGGER'), options: [{ name: 'Log::default_rotation_interval', value: '1hr' }] });
  }
  for (let i = 0; i < proxies && nodes.length < nodeCount; i++) {
    nodes.push({ ...base(`proxy-${i + 1}`, i + 7, 'PROXY'), env: { ZEEK_PROXY: String(i) } });
  }
  for (let w = 1; nodes.length < nodeCount; w++) {
    const i = nodes.length;
    nodes.push({
      ...base(`worker-${String(w).padStart(4, '0')}`, i, 'WORKER'),
      port: null,
      interface: `af_packet::enp${(w % 8) + 1}s0f${w % 2}`,
      cpu_affinity: w % 64,
      scripts: ['site/local.zeek', `site/worker-${w % 4}.zeek`],
      env: { ZEEK_WORKER_ID: String(w), LD_PRELOAD: '', 'PF_RING_CLUSTER_ID': String(21 + (w % 3)) },
      metrics_port: w % 5 === 0 ? null : 10000 + w,
    });
  }
  return { id: 'bench-0001-4b2f-9a7e-6d1c', instances, nodes };
}

function encodeRequest(reqid: string, config: Configuration): string {
  return encodeDataMessage(TOPIC, eventToData({ name: EVENT, args: [B.str(reqid), configurationToData(config)] }));
}

function decodeRequest(text: string): { reqid: string; config: Configuration } {
  const msg = parseDataMessage(text);
  const ev = eventFromData(msg.data);
  if (ev.name !== EVENT || ev.args.length !== 2) throw new Error(`unexpected event ${ev.name}/${ev.args.length}`);
  return { reqid: readString(ev.args[0], 'reqid', '$[0]'), config: configurationFromData(ev.args[1], '$[1]') };
}

function percentile(sorted: number[], p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

function main(): void {
  const o = options();
  const config = buildConfiguration(o.nodes);
  const expected = { ...config, instances: [...config.instances].sort((a, b) => (a.name < b.name ? -1 : 1)), nodes: [...config.nodes].sort((a, b) => (a.name < b.name ? -1 : 1)) };

  // Correctness first: the round trip must reproduce the configuration exactly.
  const text = encodeRequest('reqid-bench', config);
  const back = decodeRequest(text);
  deepStrictEqual(back.config, expected);
  if (back.reqid !== 'reqid-bench') throw new Error('reqid did not survive the round trip');

  for (let i = 0; i < o.warmup; i++) decodeRequest(encodeRequest(`warm-${i}`, config));

  const total: number[] = [];
  const cpu: number[] = [];
  const enc: number[] = [];
  const dec: number[] = [];
  let sink = 0;
  const faults0 = process.resourceUsage().minorPageFault;
  for (let i = 0; i < o.iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const [msg, e] = time(() => encodeRequest(`reqid-${i}`, config));
    const [r, d] = time(() => decodeRequest(msg));
    total.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    enc.push(e);
    dec.push(d);
    sink += r.config.nodes.length;
  }
  const faults = process.resourceUsage().minorPageFault - faults0;
  if (sink !== o.iterations * o.nodes) throw new Error('decoded node count mismatch');
  const stats = (xs: number[]): { median: number; p95: number; min: number; max: number } => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: percentile(s, 50), p95: percentile(s, 95), min: s[0], max: s[s.length - 1] };
  };
  const result = {
    nodes: o.nodes,
    instances: config.instances.length,
    iterations: o.iterations,
    warmup: o.warmup,
    messageBytes: Buffer.byteLength(text, 'utf8'),
    roundTripMs: stats(total),
    roundTripCpuMs: stats(cpu),
    encodeMs: stats(enc),
    decodeMs: stats(dec),
    // The share of round trips under the target, and the page faults they took: on a
    // shared VM, memory-bound work like this swings between fast and slow phases.
    underTargetShare: total.filter((t) => t < TARGET_MS).length / total.length,
    pageFaultsPerRoundTrip: faults / o.iterations,
    targetMs: TARGET_MS,
    node: process.version,
    loadAverage: os.loadavg()[0],
    cpus: os.cpus().length,
  };
  if (o.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const f = (x: number): string => x.toFixed(3);
    console.log(`codec bench: ${result.nodes} nodes, ${result.instances} instances, ${result.iterations} iterations after ${result.warmup} warm-up (Node ${result.node}, ${result.cpus} CPUs, load average ${result.loadAverage.toFixed(2)})`);
    console.log(`  message size      ${result.messageBytes} bytes (${(result.messageBytes / 1024 / 1024).toFixed(2)} MiB)`);
    console.log(`  round trip        median ${f(result.roundTripMs.median)} ms   p95 ${f(result.roundTripMs.p95)} ms   min ${f(result.roundTripMs.min)} ms   max ${f(result.roundTripMs.max)} ms`);
    console.log(`  CPU time         median ${f(result.roundTripCpuMs.median)} ms   p95 ${f(result.roundTripCpuMs.p95)} ms   (process user+system, GC threads included; less sensitive to other load)`);
    console.log(`    encode          median ${f(result.encodeMs.median)} ms   p95 ${f(result.encodeMs.p95)} ms`);
    console.log(`    decode          median ${f(result.decodeMs.median)} ms   p95 ${f(result.decodeMs.p95)} ms`);
    console.log(`  under ${TARGET_MS} ms        ${(result.underTargetShare * 100).toFixed(0)} % of round trips   page faults ${result.pageFaultsPerRoundTrip.toFixed(0)} per round trip`);
    console.log(`  target            < ${TARGET_MS} ms per round trip: ${result.roundTripMs.median < TARGET_MS ? 'met' : 'NOT met'} (median)`);
  }
}

if (require.main === module) main();
