// Provider bench.
//
// 1. diff: the provider's diff() of two 1,000-node configurations, as the Pulumi engine
//    calls it: olds = the outputs of the last deployment (the deployed configuration with
//    every port filled in), news = the checked inputs of the program (ports left to the
//    controller, 20 workers with another interface, 5 removed, 5 added). Each call
//    re-validates the inputs and runs sdk/plan's diff. Target: under 50 ms.
// 2. create: the documentation's mini configuration end to end, against `zeek-mgmt run`
//    started here on free ports (or --controller HOST:PORT): the provider's create() in
//    process (connect, stage, deploy until the agents answer, read back the deployed
//    configuration and node status, close), and Check + Create through Pulumi's own
//    dynamic-provider plugin over gRPC, as `pulumi up` drives it. Each create is followed
//    by a delete (not timed). Target: under 1.5 s.
//
// Usage: node dist/bench/provider.js [--iterations N] [--creates N] [--nodes N]
//                                    [--controller HOST:PORT] [--skip-create] [--json]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputs, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { CheckedInputs, ClusterOutputs } from '../provider/inputs';
import { controllerOrLocalCluster } from '../provider/local-cluster';
import { canonicalConfiguration } from '../provider/normalize';
import { DynamicProviderPlugin } from '../provider/plugin-client';
import { serializableProvider } from '../provider/serializable-provider';
import { assignPorts } from '../sdk/ports/auto-assign';
import { buildConfiguration } from './codec';
import { readOptions } from './options';

const DIFF_TARGET_MS = 50;
const CREATE_TARGET_MS = 1500;

interface Options { iterations: number; creates: number; nodes: number; controller?: string; skipCreate: boolean; json: boolean }

function options(): Options {
  const o = readOptions(
    { iterations: 'count', creates: 'count', nodes: 'count', controller: 'text', 'skip-create': 'flag', json: 'flag' },
    { iterations: 50, creates: 5, nodes: 1000 },
  );
  return { iterations: o.iterations, creates: o.creates, nodes: o.nodes, controller: o.controller, skipCreate: o['skip-create'], json: o.json };
}

interface Stats { median: number; p95: number; min: number; max: number }

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { median: at(50), p95: at(95), min: s[0], max: s[s.length - 1] };
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** olds (outputs after a deployment) and news (checked program inputs) for two configurations of `n` nodes. */
function diffFixtures(n: number): { olds: ClusterOutputs; news: CheckedInputs; expectedChanges: number } {
  const base = buildConfiguration(n);
  // The program: Broker ports only where the operator pins them (managers), no metrics ports.
  const program = {
    ...base,
    nodes: base.nodes.map((node) => ({ ...node, port: node.role === 'MANAGER' ? node.port : null, metrics_port: null })),
  };
  const workers = program.nodes.filter((x) => x.role === 'WORKER');
  const changed = new Set(workers.slice(0, 20).map((w) => w.name));
  const removed = new Set(workers.slice(20, 25).map((w) => w.name));
  const desired = {
    ...program,
    nodes: [
      ...program.nodes.filter((x) => !removed.has(x.name)).map((x) => (changed.has(x.name) ? { ...x, interface: 'af_packet::ens9' } : x)),
      ...Array.from({ length: 5 }, (_, i) => ({ ...workers[0], name: `worker-new-${i}`, interface: `af_packet::ens${i}` })),
    ],
  };
  const deployed = assignPorts(program).config;
  const canon = canonicalConfiguration(desired);
  const news = checkInputs({ controller: { host: '127.0.0.1', port: 2149 }, instances: canon.instances, nodes: canon.nodes }).inputs;
  if (news === undefined) throw new Error(`the bench configuration does not pass check: ${JSON.stringify(checkInputs({ instances: canon.instances, nodes: canon.nodes }).failures.slice(0, 3))}`);
  const oldsInputs = canonicalConfiguration(program);
  const olds: ClusterOutputs = {
    controller: { host: '127.0.0.1', port: 2149 },
    ...oldsInputs,
    configurationId: deployed.id,
    deployed: { id: deployed.id, ...canonicalConfiguration(deployed) },
    results: {},
    nodeStatus: {},
  };
  return { olds, news, expectedChanges: 30 };
}

async function benchDiff(o: Options): Promise<{ nodes: number; diffMs: Stats; checkMs: Stats }> {
  const { olds, news } = diffFixtures(o.nodes);
  const programInputs = { controller: news.controller, instances: news.instances, nodes: news.nodes };
  const r = await provider.diff('127.0.0.1:2149', olds, news);
  if (r.changes !== true) throw new Error('the bench diff found no change');
  const same = await provider.diff('127.0.0.1:2149', olds, checkInputs({ controller: news.controller, instances: olds.instances, nodes: olds.nodes }).inputs!);
  if (same.changes !== false) throw new Error('the bench diff found a change between identical configurations');
  for (let i = 0; i < 5; i++) await provider.diff('127.0.0.1:2149', olds, news);
  const diffs: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < o.iterations; i++) {
    let t0 = process.hrtime.bigint();
    await provider.diff('127.0.0.1:2149', olds, news);
    diffs.push(ms(t0));
    t0 = process.hrtime.bigint();
    await provider.check({}, programInputs);
    checks.push(ms(t0));
  }
  return { nodes: Object.keys(news.nodes).length, diffMs: stats(diffs), checkMs: stats(checks) };
}

const MINI_NODES = {
  manager: { role: 'manager' },
  logger: { role: 'logger' },
  'worker-01': { role: 'worker', interface: 'lo' },
  'worker-02': { role: 'worker', interface: fs.existsSync('/sys/class/net/eth0') ? 'eth0' : 'lo' },
};

function assertMiniDeployed(outs: ClusterOutputs): void {
  const failed = Object.entries(outs.results).filter(([, x]) => !x.success);
  if (Object.keys(outs.deployed.nodes).length !== 4 || failed.length > 0) throw new Error(`create did not deploy the mini config: ${JSON.stringify(outs.results)}`);
}

interface CreateFigures { target: string; createMs: Stats; pluginMs: Stats }

async function benchCreate(o: Options): Promise<CreateFigures> {
  const { host, port, cluster: run } = await controllerOrLocalCluster(o.controller);
  let plugin: DynamicProviderPlugin | undefined;
  try {
    // In process: check is not timed; create = connect, stage, deploy, read back, get_nodes, close.
    const inputs = checkInputs({ controller: { host, port }, nodes: MINI_NODES }).inputs!;
    const times: number[] = [];
    for (let i = 0; i < o.creates; i++) {
      const t0 = process.hrtime.bigint();
      const r = await provider.create(inputs);
      times.push(ms(t0));
      assertMiniDeployed(r.outs as ClusterOutputs);
      await provider.delete(r.id, r.outs);
    }
    // Through Pulumi's dynamic-provider plugin over gRPC, as `pulumi up` drives it: Check + Create.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    const text = (await pulumi.runtime.serializeFunction(() => serializableProvider)).text;
    plugin = await DynamicProviderPlugin.start(path.resolve(__dirname, '..', '..'));
    await plugin.configure({});
    const urn = 'urn:pulumi:bench::zeek-mgmt::pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster::mini';
    const viaPlugin: number[] = [];
    for (let i = 0; i < o.creates; i++) {
      const t0 = process.hrtime.bigint();
      const checked = await plugin.check(urn, {}, { controller: { host, port }, nodes: MINI_NODES, __provider: text });
      if (checked.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      const created = await plugin.create(urn, checked.inputs);
      viaPlugin.push(ms(t0));
      assertMiniDeployed(created.properties as ClusterOutputs);
      await plugin.delete(urn, created.id, created.properties);
    }
    return { target: run ? 'zeek-mgmt run (emulated nodes)' : `${host}:${port}`, createMs: stats(times), pluginMs: stats(viaPlugin) };
  } finally {
    await plugin?.stop();
    await run?.stop();
  }
}

async function main(): Promise<void> {
  const o = options();
  const diff = await benchDiff(o);
  const create = o.skipCreate ? null : await benchCreate(o);
  const result = { node: process.version, cpus: os.cpus().length, iterations: o.iterations, diff, diffTargetMs: DIFF_TARGET_MS, create, createTargetMs: CREATE_TARGET_MS };
  if (o.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const f = (x: number): string => x.toFixed(2);
  console.log(`provider bench (Node ${result.node}, ${result.cpus} CPUs)`);
  console.log(`  diff of two ${diff.nodes}-node configurations, ${o.iterations} iterations`);
  console.log(`    diff()     median ${f(diff.diffMs.median)} ms   p95 ${f(diff.diffMs.p95)} ms   max ${f(diff.diffMs.max)} ms   target < ${DIFF_TARGET_MS} ms: ${diff.diffMs.p95 < DIFF_TARGET_MS ? 'met' : 'NOT met'} (p95)`);
  console.log(`    check()    median ${f(diff.checkMs.median)} ms   p95 ${f(diff.checkMs.p95)} ms`);
  if (create) {
    const met = (x: Stats): string => (x.max < CREATE_TARGET_MS ? 'met' : 'NOT met');
    console.log(`  create of the mini config end to end against ${create.target}, ${o.creates} creates each`);
    console.log(`    create() in process       median ${f(create.createMs.median)} ms   p95 ${f(create.createMs.p95)} ms   max ${f(create.createMs.max)} ms   target < ${CREATE_TARGET_MS} ms: ${met(create.createMs)} (max)`);
    console.log(`    Check+Create via plugin   median ${f(create.pluginMs.median)} ms   p95 ${f(create.pluginMs.p95)} ms   max ${f(create.pluginMs.max)} ms   target < ${CREATE_TARGET_MS} ms: ${met(create.pluginMs)} (max)`);
  } else console.log('  create: skipped');
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.message}`);
  process.exitCode = 1;
});
