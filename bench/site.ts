// Site bench: `zeek-mgmt run controller` plus N `zeek-mgmt run agent` instances (each its
// own Supervisor), emulated nodes, two nodes per agent. A site of S MB (local.zeek and
// files of ~100 KB) is sent to the controller (stage_site, client → controller), then a
// configuration carrying it is staged and deployed: the controller sends the site to every
// agent in chunks, each agent verifies and stores it, checks it (emulated: not checked),
// and only then do the nodes restart with it. Figures, in ms: a deploy without a site (the
// same nodes, for comparison), sending the site to the controller, the deploy with the new
// site, and a redeploy under a new configuration id with the same site (already on every
// agent: one chunk round trip each).
//
// Usage: node dist/bench/site.js [--agents 8] [--mb 5] [--repeat 3] [--json]

import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf } from '../sdk/client/result-data';
import { Configuration, Node } from '../sdk/model/schemas';
import { applySite } from '../sdk/site/apply';
import { packSite, siteHash, SiteFiles } from '../sdk/site/site';
import { freePorts } from '../provider/free-ports';
import { readOptions } from './options';

const RUN = path.resolve(__dirname, '..', 'framework', 'run.js');
const TIMEOUT_SECS = 120;

function start(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  return p;
}

async function stop(procs: ChildProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => new Promise<void>((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  })));
}

function makeSite(mb: number, seed: string): SiteFiles {
  const files: SiteFiles = new Map();
  files.set('local.zeek', Buffer.from(`# bench site ${seed}\n@load ./site-scripts/bench-0\nredef site_bench = "${seed}";\n`));
  const perFile = 100 * 1024;
  const n = Math.ceil((mb * 1024 * 1024) / perFile);
  for (let i = 0; i < n; i++) {
    // Comment lines of random text: incompressible, as a site of signatures or intel would be.
    const body = randomBytes(Math.floor(perFile * 0.75)).toString('base64').replace(/(.{76})/g, '# $1\n');
    files.set(`site-scripts/bench-${i}.zeek`, Buffer.from(i === 0 ? `const site_bench = "" &redef;\n${body}\n` : `${body}\n`));
  }
  return files;
}

function config(agents: string[], id: string): Configuration {
  const node = (name: string, role: Node['role'], i: number): Node => ({
    name, instance: agents[i % agents.length], role, state: 'RUNNING', port: null, scripts: null, options: null,
    interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null,
  });
  const nodes: Node[] = [node('manager', 'MANAGER', 0), node('logger', 'LOGGER', 1)];
  for (let i = 0; nodes.length < agents.length * 2; i++) nodes.push(node(`worker-${i + 1}`, 'WORKER', i + 2));
  return { id, instances: agents.map((name) => ({ name, host: '127.0.0.1', listen_port: null })), nodes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const o = readOptions({ agents: 'count', mb: 'count', repeat: 'count', json: 'flag' }, { agents: 8, mb: 5, repeat: 3 });
  const nAgents = o.agents;
  const mb = o.mb;
  const repeat = o.repeat;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-bench-site-'));
  const ctl = await freePorts(2);
  const brokerStart = await freePorts(nAgents * 2 + 5);
  const metricsStart = await freePorts(nAgents * 2 + 5);
  const common = [`Management::Request::timeout_interval=${TIMEOUT_SECS} secs`, `Management::state_dir=${state}`, `Management::spool_dir=${state}/spool`,
    'Management::Agent::node_runtime=EMULATED', `Management::Controller::default_port=${ctl}/tcp`, `Management::Controller::default_port_websocket=${ctl + 1}/tcp`];
  const procs: ChildProcess[] = [start(['controller', ...common,
    `Management::Controller::auto_assign_broker_start_port=${brokerStart}/tcp`, `Management::Controller::auto_assign_metrics_start_port=${metricsStart}/tcp`])];
  const agents = Array.from({ length: nAgents }, (_, i) => `agent-site-${i + 1}`);
  for (const name of agents) {
    const p = await freePorts(2);
    procs.push(start(['agent', ...common, `Management::Agent::name=${name}`, `Management::Agent::default_port=${p}/tcp`, `Broker::default_port=${p + 1}/tcp`,
      `Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ctl}/tcp]`]));
  }
  const figures = { agents: nAgents, siteMB: mb, nodes: nAgents * 2, plainDeployMs: [] as number[], stageSiteMs: [] as number[], siteDeployMs: [] as number[], sameSiteRedeployMs: [] as number[], loadAverage: 0 };
  let client: ControllerClient | null = null;
  try {
    client = await ControllerClient.connect({ port: ctl + 1, peeringAttempts: 150, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: TIMEOUT_SECS + 30 });
    const deadline = Date.now() + 60000;
    while (instancesOf(await client.getInstances()).length < agents.length) {
      if (Date.now() > deadline) throw new Error('agents did not check in');
      await new Promise((r) => setTimeout(r, 100));
    }
    figures.loadAverage = os.loadavg()[0];
    const time = async (fn: () => Promise<void>): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const deploy = async (c: Configuration): Promise<void> => {
      const staged = await client!.stageConfiguration(c);
      if (!staged[0]?.success) throw new Error(`staging failed: ${staged[0]?.error}`);
      const rs = await client!.deploy();
      const bad = rs.find((r) => !r.success);
      if (bad) throw new Error(`deploy failed: ${bad.node ?? bad.instance ?? ''} ${bad.error}`);
    };
    for (let i = 0; i < repeat; i++) {
      figures.plainDeployMs.push(await time(() => deploy(config(agents, `plain-${i}-${Date.now()}`))));
      const files = makeSite(mb, `run-${i}`);
      const hash = siteHash(files);
      const packed = packSite(files);
      figures.stageSiteMs.push(await time(async () => {
        const r = await client!.stageSite(packed);
        if (!r.success) throw new Error(`stage_site failed: ${r.error}`);
      }));
      figures.siteDeployMs.push(await time(() => deploy(applySite(config(agents, `site-${i}-${Date.now()}`), hash, files))));
      figures.sameSiteRedeployMs.push(await time(() => deploy(applySite(config(agents, `again-${i}-${Date.now()}`), hash, files))));
    }
    const v = await client.getIdValue('site_bench');
    if (!v.every((r) => r.success)) throw new Error(`get-id-value site_bench: ${JSON.stringify(v.map((r) => r.error))}`);
  } finally {
    await client?.close().catch(() => undefined);
    await stop(procs);
    fs.rmSync(state, { recursive: true, force: true });
  }
  if (o.json) {
    console.log(JSON.stringify(figures, null, 2));
    return;
  }
  const r = (xs: number[]): string => `${Math.round(median(xs))} ms (runs: ${xs.map(Math.round).join(', ')})`;
  console.log(`site bench: ${mb} MB site, ${nAgents} agents, ${figures.nodes} emulated nodes, load ${figures.loadAverage.toFixed(2)} at start`);
  console.log(`  deploy without a site:                 ${r(figures.plainDeployMs)}`);
  console.log(`  send the site to the controller:       ${r(figures.stageSiteMs)}`);
  console.log(`  deploy with the new site (to agents):  ${r(figures.siteDeployMs)}`);
  console.log(`  redeploy, same site already on agents: ${r(figures.sameSiteRedeployMs)}`);
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
