// Our agent under Zeek's own controller, the controller connecting (issue 12, point 3): the
// real `zeek -j policy/frameworks/management/controller` is given a configuration whose
// [instances] names our agent's host:port; Zeek's controller peers with our agent's port
// over native Broker (anonymous TLS), our agent greets it with notify_agent_hello naming
// its Broker endpoint id, and runs the configuration's nodes as emulated nodes under our
// Supervisor (`zeek-mgmt run agent`). The documentation's sequence runs through zeek-client
// and through zeek-mgmt against Zeek's controller, and both print the same.
//
// Needs a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek) and zeek-client; skipped with a
// one-line reason otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { restartGivesManagerNewPid, sideBySide, skipUnlessZeek } from './helpers/side-by-side';
import { RunHandle, startRun } from './run-support';
const NODES = ['logger', 'manager', 'worker-01', 'worker-02'];

describe('Zeek\'s controller connecting natively to our agent', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let ours: RunHandle;
  let z: RealZeekManagement;
  let config: string;

  // Both clients against Zeek's controller: the same output (pids masked) and exit code.
  const s = sideBySide(zc ?? [], () => z.wsPort);
  const { ours: mgmt, zeekClient, same } = s;
  /** What our run (Supervisor, agent) wrote to its stdout/stderr and its state dir's output files. */
  const ourOutput = (): string => {
    let text = ours.stdout() + ours.stderr();
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'stdout' || e.name === 'stderr' || e.name.endsWith('.log')) text += fs.readFileSync(p, 'utf8');
      }
    };
    walk(ours.stateDir);
    return text;
  };

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    // Our agent listens and connects nowhere (Management::Agent::controller at 0.0.0.0).
    ours = await startRun({ roles: ['agent'], extra: ['Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]'] });
    z = await startRealZeek(zeek!, { components: ['controller'] });
    const instance = ours.agentName;
    config = path.join(z.dir, 'ours.ini');
    fs.writeFileSync(config, [
      '[instances]', `${instance} = 127.0.0.1:${ours.ports.agent}`, '',
      '[manager]', `instance = ${instance}`, 'role = manager', '',
      '[logger]', `instance = ${instance}`, 'role = logger', '',
      '[worker-01]', `instance = ${instance}`, 'role = worker', 'interface = lo', '',
      '[worker-02]', `instance = ${instance}`, 'role = worker', 'interface = lo', '',
    ].join('\n'));
  });

  after(async () => {
    await z?.stop();
    if (ours) {
      await ours.stop();
      fs.rmSync(ours.stateDir, { recursive: true, force: true });
    }
  });

  it('deploy-config: Zeek\'s controller peers natively with our agent, which runs the nodes', async () => {
    const r = zeekClient('deploy-config', config);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${fs.readFileSync(path.join(z.dir, 'zeek.out'), 'utf8')}\n${ourOutput()}`);
    const res = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean; instance: string }> } };
    assert.deepEqual(res.errors, []);
    assert.deepEqual(Object.keys(res.results.nodes).sort(), NODES);
    for (const n of Object.values(res.results.nodes)) assert.deepEqual([n.success, n.instance], [true, ours.agentName]);
    const log = ourOutput();
    assert.match(log, /native Broker peer \S+ over TLS/);
    assert.match(log, /controller peered from/);
    // zeek-mgmt deploys it again: Zeek's controller answers the same.
    const mine = await mgmt('deploy-config', config);
    assert.equal(mine.code, 0, mine.stdout + mine.stderr);
    assert.deepEqual(Object.keys(JSON.parse(mine.stdout).results.nodes).sort(), NODES);
  });

  it('get-instances and get-nodes, the same through both clients', async () => {
    const inst = JSON.parse((await same('get-instances')).stdout) as Record<string, { host: string; port: number }>;
    assert.deepEqual(inst[ours.agentName], { host: '127.0.0.1', port: ours.ports.agent });
    const all = JSON.parse((await same('get-nodes')).stdout).results[ours.agentName] as Record<string, { state: string }>;
    for (const n of NODES) assert.equal(all[n].state, 'RUNNING', n);
  });

  it('get-id-value, answered by our emulated nodes through our agent', async () => {
    const node = JSON.parse((await same('get-id-value', 'Cluster::node')).stdout);
    assert.deepEqual(node, { errors: [], results: Object.fromEntries(NODES.map((n) => [n, n])) });
    await same('get-id-value', 'Log::default_rotation_interval', 'manager', 'logger');
    assert.equal((await same('get-id-value', 'No::such_id', 'manager')).code, 1);
  });

  it('restart manager gives the manager a new pid', () => restartGivesManagerNewPid(s, ours.agentName));

  it('get-config --deployed, in both forms, the same through both clients', async () => {
    const ini = (await same('get-config', '--deployed')).stdout;
    assert.match(ini, new RegExp(`\\[instances\\]\\n${ours.agentName} = 127\\.0\\.0\\.1:${ours.ports.agent}\\n`));
    await same('get-config', '--deployed', '--as-json');
  });
});
