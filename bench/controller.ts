// Controller bench.
//
// 1. Staging (canonical form + validation + READY derivation with port assignment), the
//    controller's own stage_configuration logic, in-process, for 1,000- and 10,000-node
//    configurations.
// 2. The controller as a real process (node dist/framework/controller/main.js, default
//    settings incl. INFO logging to management.log), four agents checked in, and
//    get_instances round trips from 1, 16 and 64 concurrent ControllerClients, each
//    client sending its next request when the previous answer arrived: requests/s,
//    p50 and p99 latency. Note that, as in Zeek, every response is published on
//    zeek/management/controller and so reaches every connected client, and every request
//    is relayed to the other subscribed clients: the load grows with the client count.
// 3. A 10,000-node configuration staged over the wire (encode, send, decode, validate,
//    assign, persist durably, answer).
// 4. The controller's resident memory (VmRSS now, VmHWM peak) from /proc.
//
// Usage: node dist/bench/controller.js [--duration SECS] [--clients 1,16,64] [--json]
// Targets: >= 2,000 req/s at 16 clients with p99 < 20 ms; 10,000 nodes staged < 200 ms;
// RSS < 120 MB.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { ControllerClient } from '../sdk/client/controller-client';
import { AgentApi } from '../sdk/model/events';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { agentTopic } from '../sdk/transport/topics';
import { stageConfiguration } from '../framework/controller/staging';
import { bigConfig } from './big-config';
import { getInstancesLoad, LoadFigures, percentile } from './get-instances-load';
import { readOptions } from './options';
import { statusKB } from './proc-status';

function options(): { duration: number; clients: number[]; json: boolean } {
  return readOptions({ duration: 'seconds', clients: 'counts', json: 'flag' }, { duration: 4, clients: [1, 16, 64] });
}


function benchStaging(n: number, iterations: number): { nodes: number; medianMs: number; maxMs: number } {
  const config = bigConfig(n, Math.max(1, Math.floor(n / 100)), `bench-${n}`);
  const settings = { controllerPort: 2150 };
  for (let i = 0; i < 3; i++) stageConfiguration(config, settings);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const r = stageConfiguration(config, settings);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.ok) throw new Error(`bench config invalid: ${r.errors.join('; ')}`);
  }
  times.sort((a, b) => a - b);
  return { nodes: n, medianMs: percentile(times, 50), maxMs: times[times.length - 1] };
}

async function startController(dir: string): Promise<{ proc: ChildProcess; wsPort: number; agentPort: number }> {
  const main = path.resolve(__dirname, '../framework/controller/main.js');
  const settings = { listenAddress: '127.0.0.1', listenAddressWebsocket: '127.0.0.1', listenPort: 0, listenPortWebsocket: 0, name: 'controller-bench' };
  const proc = spawn(process.execPath, [main, JSON.stringify(settings)], { cwd: dir, env: { ...process.env, ZEEK_MANAGEMENT_STATE_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /Broker port [^,]*:(\d+), websocket port [^ ]*:(\d+)/.exec(out);
      if (m) resolve({ proc, agentPort: Number(m[1]), wsPort: Number(m[2]) });
    });
    proc.once('exit', (code) => reject(new Error(`controller exited with ${code}`)));
  });
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  return { rssMb: statusKB(pid, 'VmRSS') / 1024, peakMb: statusKB(pid, 'VmHWM') / 1024 };
}

async function benchLoad(port: number, pid: number, n: number, durationS: number): Promise<LoadFigures> {
  const clients = await Promise.all(Array.from({ length: n }, () => ControllerClient.connect({ host: '127.0.0.1', port, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 30 })));
  return getInstancesLoad(clients, pid, durationS);
}

async function main(): Promise<void> {
  const o = options();
  const staging = [benchStaging(1000, 20), benchStaging(10000, 10)];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-bench-controller-'));
  const ctl = await startController(dir);
  const agents: EndpointClient[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const name = `agent-bench-${i}`;
      const a = await EndpointClient.connect({ host: '127.0.0.1', port: ctl.agentPort, topics: [agentTopic(name)], attempts: 3, retryDelayMs: 200 });
      a.publishEvent(agentTopic(name), { name: AgentApi.notify_agent_hello, args: [B.str(name), B.str(`id-${i}`), B.bool(true), B.count(1)] });
      agents.push(a);
    }
    const idle = memoryOf(ctl.proc.pid!);
    const load: LoadFigures[] = [];
    for (const n of o.clients) load.push(await benchLoad(ctl.wsPort, ctl.proc.pid!, n, o.duration));
    const afterLoad = memoryOf(ctl.proc.pid!);

    const c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, requestTimeoutSecs: 60 });
    const wire: number[] = [];
    for (let i = 0; i < 5; i++) {
      const config = bigConfig(10000, 100, `wire-${i}`);
      const t0 = process.hrtime.bigint();
      const r = await c.stageConfiguration(config);
      wire.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!r[0]?.success) throw new Error(`staging over the wire failed: ${r[0]?.error}`);
    }
    await c.close();
    wire.sort((a, b) => a - b);
    const afterStaging = memoryOf(ctl.proc.pid!);

    const report = {
      node: process.version,
      cpus: os.cpus().length,
      staging,
      stagingOverWire10k: { medianMs: percentile(wire, 50), maxMs: wire[wire.length - 1] },
      load,
      memory: { idle, afterLoad, afterStaging },
      targets: {
        reqPerSecAt16: { target: '>= 2000', measured: load.find((l) => l.clients === 16)?.reqPerSec, met: (load.find((l) => l.clients === 16)?.reqPerSec ?? 0) >= 2000 },
        p99At16: { target: '< 20 ms', measured: load.find((l) => l.clients === 16)?.p99Ms, met: (load.find((l) => l.clients === 16)?.p99Ms ?? Infinity) < 20 },
        staging10k: { target: '< 200 ms', measured: staging[1].medianMs, met: staging[1].medianMs < 200 },
        rss: { target: '< 120 MB', measured: afterStaging.peakMb, met: afterStaging.peakMb < 120 },
      },
    };
    if (o.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const f = (x: number): string => x.toFixed(1);
    console.log(`controller bench (node ${report.node}, ${report.cpus} CPUs, load average ${os.loadavg()[0].toFixed(1)}; clients and controller share them)`);
    for (const s of staging) console.log(`  stage ${s.nodes} nodes (validate + assign, in-process): median ${f(s.medianMs)} ms, max ${f(s.maxMs)} ms`);
    console.log(`  stage 10000 nodes over the wire (incl. decode, durable write, answer): median ${f(report.stagingOverWire10k.medianMs)} ms`);
    for (const l of load) console.log(`  get_instances, ${String(l.clients).padStart(2)} clients: ${Math.round(l.reqPerSec)} req/s, p50 ${f(l.p50Ms)} ms, p99 ${f(l.p99Ms)} ms, max ${f(l.maxMs)} ms (${l.requests} requests; controller CPU ${Math.round(l.controllerCpuUs)} µs/request)`);
    console.log(`  controller memory: idle RSS ${f(idle.rssMb)} MB, after load ${f(afterLoad.rssMb)} MB, after staging ${f(afterStaging.rssMb)} MB, peak ${f(afterStaging.peakMb)} MB`);
    for (const [k, t] of Object.entries(report.targets)) console.log(`  target ${k} ${t.target}: ${typeof t.measured === 'number' ? f(t.measured) : t.measured} ${t.met ? 'met' : 'NOT MET'}`);
  } finally {
    for (const a of agents) await a.close();
    ctl.proc.kill('SIGTERM');
    await new Promise((r) => ctl.proc.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
