// Real Zeek next to zeek-mgmt, measured in one run: the deploy time of the
// documentation's mini configuration (workers on lo) through the same client against
// Zeek's own controller/agent/nodes and against `zeek-mgmt run` with emulated nodes,
// alternately, and the resident memory (VmRSS, VmHWM) of their cluster nodes after each
// deployment.
//
//   node dist/bench/real-zeek.js [--rounds N]
//
// Needs a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek); says so and exits 0 without one.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { nodeStatusesOf } from '../sdk/client/result-data';
import { readConfigurationFile } from '../sdk/config';
import { startLocalCluster } from '../provider/local-cluster';
import { findZeek, startRealZeek } from '../test/helpers/real-zeek';
import { statusKB } from './proc-status';
import { readOptions } from './options';

const REFERENCE = path.resolve(__dirname, '../../../shared/reference/zeek-docs/frameworks/management/mini-config.ini');
const NODES = ['logger', 'manager', 'worker-01', 'worker-02'];

function memKb(pid: number): { rss: number; hwm: number } | null {
  const rss = statusKB(pid, 'VmRSS');
  return rss === 0 ? null : { rss, hwm: statusKB(pid, 'VmHWM') };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function deployOnce(port: number, ini: string): Promise<{ ms: number; ok: boolean; mem: Record<string, { rss: number; hwm: number } | null> }> {
  const client = await ControllerClient.connect({ host: '127.0.0.1', port, peeringAttempts: 20, peeringRetryDelaySecs: 0.5, requestTimeoutSecs: 60 });
  try {
    const config = await readConfigurationFile(ini);
    const t0 = process.hrtime.bigint();
    await client.stageConfiguration(config);
    const res = await client.deploy();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const ok = res.every((r) => r.success);
    const statuses = (await client.getNodes()).flatMap(nodeStatusesOf);
    const mem: Record<string, { rss: number; hwm: number } | null> = {};
    for (const n of NODES) {
      const pid = statuses.find((st) => st.node === n)?.pid;
      mem[n] = pid ? memKb(pid) : null;
    }
    return { ms, ok, mem };
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const opts = readOptions({ rounds: 'count' }, { rounds: 3 });
  const zeek = findZeek();
  if (zeek === null) {
    console.log('real-zeek bench: no zeek binary (set ZEEK or run ../shared/tools/build-zeek.sh); nothing measured');
    return;
  }
  const tmp = fs.mkdtempSync('/tmp/zeek-mgmt-bench-real-');
  const ini = path.join(tmp, 'mini-config.ini');
  fs.writeFileSync(ini, fs.readFileSync(REFERENCE, 'utf8').replace(/eth0/g, 'lo'));
  const real = await startRealZeek(zeek);
  const ours = await startLocalCluster();
  const times: Record<string, number[]> = { zeek: [], 'zeek-mgmt': [] };
  const rss: Record<string, number[]> = { zeek: [], 'zeek-mgmt': [] };
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [name, port] of [['zeek', real.wsPort], ['zeek-mgmt', ours.port]] as const) {
        const r = await deployOnce(port, ini);
        times[name].push(r.ms);
        const mems = Object.entries(r.mem).map(([n, m]) => `${n} ${m ? `${(m.rss / 1024).toFixed(1)}/${(m.hwm / 1024).toFixed(1)}` : '?'}`);
        for (const m of Object.values(r.mem)) if (m) rss[name].push(m.hwm);
        console.log(`round ${round} ${name.padEnd(9)} deploy ${r.ms.toFixed(0).padStart(6)} ms${r.ok ? '' : ' (with failures)'}; node RSS/peak MB: ${mems.join(', ')}`);
      }
    }
    for (const name of Object.keys(times)) {
      console.log(`${name.padEnd(9)} deploy median ${median(times[name]).toFixed(0)} ms; node peak RSS median ${(median(rss[name]) / 1024).toFixed(1)} MB`);
    }
  } finally {
    await real.stop();
    await ours.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
