// `zeek-mgmt diag` end to end (issue 24 point 6) against a live `zeek-mgmt run`: a node that
// fails at start-up as Zeek fails on a bad interface keeps crashing, and diag shows its
// stderr line, its exit status and a restart count that grows; a node killed with SIGKILL
// shows the signal; a running node shows its pid, the one get-nodes shows. Where zeek is
// found, the same with a real Zeek node whose script has a syntax error, showing Zeek's
// own error line.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI_MAIN, cli, CliResult, HOST_AGENT, LiveCluster, startCluster, tempDir } from './cli-harness';
import { findZeek } from './helpers/real-zeek';
import { alive, waitFor } from './run-support';

const BAD_INTERFACE = 'zmdiag0';

function json(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

describe('zeek-mgmt diag against a live zeek-mgmt run', function () {
  this.timeout(90000);
  let cluster: LiveCluster;
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', cluster.controller, ...args], { timeoutMs: 30000 });
  const diagOf = async (node: string): Promise<any> => {
    const r = await z('diag', '--json', node);
    assert.notEqual(r.code, 1, r.stdout + r.stderr);
    return json(r).results[HOST_AGENT][node];
  };

  before(async () => {
    cluster = await startCluster();
    const ini = [
      '[manager]', 'role = manager', '',
      '[worker-ok]', 'role = worker', 'interface = lo', '',
      '[worker-bad]', 'role = worker', `interface = ${BAD_INTERFACE}`, '',
    ].join('\n');
    // worker-bad never checks in: the deployment reports it failed, with its output.
    const r = await cli(['--controller', cluster.controller, 'deploy-config', '-'], { input: ini, timeoutMs: 30000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /worker-bad/);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('shows a crashing node\'s stderr line, exit status and a growing restart count (text, exit 2)', async () => {
    const r = await z('diag', 'worker-bad');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[worker-bad\]$/m);
    assert.match(r.stdout, new RegExp(`^instance: +${HOST_AGENT} \\(WORKER\\)$`, 'm'));
    assert.match(r.stdout, /^last exit: +exit status 1, at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC after \d/m);
    assert.match(r.stdout, /^==== stderr \(last exit, \d+ lines?\)$/m);
    assert.ok(r.stdout.includes(`fatal error in <params>, line 1: problem with interface ${BAD_INTERFACE} (pcap_error: No such device exists (pcap_activate))`), r.stdout);
    assert.match(r.stdout, /^==== No stdout \(last exit\)$/m);
    const first = Number(/restarts since deployment: (\d+)/.exec(r.stdout)![1]);
    // Only the node asked for.
    assert.doesNotMatch(r.stdout, /\[worker-ok\]|\[manager\]/);
    const later = await waitFor('worker-bad restarted once more', async () => {
      const d = await diagOf('worker-bad');
      return d.restarts > first ? d : null;
    }, 30000, 500);
    assert.equal(later.last_exit.code, 1);
    assert.equal(later.last_exit.signal, null);
    assert.ok(later.last_exit.stderr.some((l: string) => l.includes(`problem with interface ${BAD_INTERFACE}`)), JSON.stringify(later));
    assert.equal(later.cluster_role, 'WORKER');
    assert.ok(later.stderr_file.endsWith(path.join('nodes', 'worker-bad', 'stderr')), later.stderr_file);
  });

  it('a running node: its pid as get-nodes shows it, no exit, and all nodes when none is named', async () => {
    const nodes = json(await z('get-nodes')).results[HOST_AGENT];
    const r = await z('diag', '--json');
    assert.equal(r.code, 2, r.stderr);
    const all = json(r);
    assert.deepEqual(all.errors, []);
    const mine = all.results[HOST_AGENT];
    for (const n of ['manager', 'worker-ok', 'worker-bad']) assert.ok(mine[n], `${n} missing: ${Object.keys(mine)}`);
    // The agent and the controller are the Supervisor's nodes too.
    assert.equal(mine[HOST_AGENT].mgmt_role, 'AGENT');
    const m = mine.manager;
    assert.equal(m.state, 'RUNNING');
    assert.equal(m.pid, nodes.manager.pid);
    assert.ok(alive(m.pid));
    assert.equal(m.last_exit, null);
    assert.equal(m.restarts, 0);
    assert.ok(typeof m.started === 'number' && m.started * 1000 <= Date.now());
    const text = await z('diag', 'manager');
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, new RegExp(`^state: +RUNNING, pid ${m.pid}, since .* UTC; restarts since deployment: 0$`, 'm'));
    assert.match(text.stdout, /^last exit: +none since deployment$/m);
    assert.match(text.stdout, /^==== stderr \(pid \d+, (\d+ lines?|last 10 of \d+ lines)\)$|^==== No stderr \(pid \d+\)$/m);
  });

  it('a node killed by a signal shows the signal, then runs again with a new pid', async () => {
    const before = await diagOf('worker-ok');
    assert.equal(before.state, 'RUNNING');
    process.kill(before.pid, 'SIGKILL');
    const after = await waitFor('worker-ok running again', async () => {
      const d = await diagOf('worker-ok');
      return d.state === 'RUNNING' && d.pid !== before.pid ? d : null;
    }, 20000, 300);
    assert.equal(after.restarts, 1);
    assert.equal(after.last_exit.signal, 'SIGKILL');
    assert.equal(after.last_exit.code, null);
    const text = await z('diag', 'worker-ok');
    assert.match(text.stdout, /^last exit: +killed by signal SIGKILL, at .* UTC after \d/m);
    // get-nodes shows the new pid: diag adds why the old one went away.
    assert.equal(json(await z('get-nodes')).results[HOST_AGENT]['worker-ok'].pid, after.pid);
  });

  it('a restart asked for by the client is neither an exit nor a restart count', async () => {
    const before = await diagOf('worker-ok');
    const r = await z('restart', 'worker-ok');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const after = await waitFor('worker-ok running with a new pid', async () => {
      const d = await diagOf('worker-ok');
      return d.state === 'RUNNING' && d.pid !== before.pid ? d : null;
    }, 20000, 300);
    assert.equal(after.restarts, before.restarts);
    assert.deepEqual(after.last_exit, before.last_exit);
  });

  it('--lines limits each stream to its last N lines', async () => {
    const full = await diagOf('worker-bad');
    const n = full.last_exit.stderr.length;
    const r = await z('diag', '--lines', '1', 'worker-bad');
    assert.equal(r.code, 2, r.stderr);
    const section = /==== stderr \(last exit, ([^)]*)\)\n((?:.+\n)*)/.exec(r.stdout)!;
    assert.equal(section[2].trimEnd().split('\n').length, 1, r.stdout);
    assert.equal(section[1], n === 1 ? '1 line' : `last 1 of ${n} lines`);
  });

  it('an unknown node and bad arguments: an error naming them, exit 1', async () => {
    const r = await z('diag', 'no-such-node');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /no-such-node: unknown cluster node/);
    const j = json(await z('diag', '--json', 'no-such-node'));
    assert.deepEqual(j.errors, [{ source: 'no-such-node', error: 'unknown cluster node' }]);
    const bad = await z('diag', '--lines', 'ten');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--lines must be a whole number of lines \(0 for all kept\), got 'ten'/);
    const usage = await z('diag', '--no-such-flag');
    assert.equal(usage.code, 1, 'a usage error of diag exits 1, never 2');
    // No controller there: one error line at once, exit 1 (as plan, apply and drift).
    const refused = await cli(['--controller', '127.0.0.1:1', 'diag']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: socket error in connect\(\) .*connection refused/m);
    assert.doesNotMatch(refused.stderr, /attempt/);
  });

  it('is listed in zeek-mgmt -h, with its exit codes in diag -h, and not under the zeek-client name', async () => {
    const h = await cli(['-h']);
    assert.match(h.stdout, /^ {4}diag +Show each node's last exit, restart count/m);
    const dh = await cli(['diag', '-h']);
    assert.match(dh.stdout, /exit status:\n {2}0 {2}every instance answered, no node ended on its own since deployment\n {2}2 {2}every instance answered, some node ended on its own/);
    const linkDir = tempDir('zeek-mgmt-diag-link-');
    try {
      const link = path.join(linkDir, 'zeek-client');
      fs.symlinkSync(CLI_MAIN, link);
      const zc = await cli(['-h'], { script: link });
      assert.equal(zc.code, 0, zc.stderr);
      assert.match(zc.stdout, /get-nodes/);
      assert.doesNotMatch(zc.stdout, /diag/);
    } finally {
      fs.rmSync(linkDir, { recursive: true, force: true });
    }
  });
});

const zeek = findZeek();

(zeek ? describe : describe.skip)(`zeek-mgmt diag with real Zeek nodes${zeek ? '' : ' (skipped: no zeek binary; set ZEEK or put zeek on PATH)'}`, function () {
  this.timeout(120000);
  let cluster: LiveCluster;
  let dir: string;

  before(async () => {
    dir = tempDir('zeek-mgmt-diag-zeek-');
    cluster = await startCluster({
      settings: ['Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`, 'Management::Request::timeout_interval=5 secs'],
    });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a Zeek node with a broken script: Zeek\'s own error line, its exit status, restarts', async () => {
    const script = path.join(dir, 'broken.zeek');
    fs.writeFileSync(script, 'event zeek_init()\n\t{\n\tprint "diag" }}\n');
    const ini = ['[manager]', 'role = manager', `scripts = ${script}`, ''].join('\n');
    const r = await cli(['--controller', cluster.controller, 'deploy-config', '-'], { input: ini, timeoutMs: 60000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const d = await waitFor('the manager to have exited and been restarted', async () => {
      const out = await cli(['--controller', cluster.controller, 'diag', '--json', 'manager'], { timeoutMs: 30000 });
      const m = json(out).results?.[HOST_AGENT]?.manager;
      return m?.last_exit && m.restarts >= 1 ? m : null;
    }, 30000, 500);
    assert.equal(d.last_exit.code, 1, JSON.stringify(d));
    assert.ok(d.last_exit.stderr.some((l: string) => l.startsWith(`error in ${script}, line 3: syntax error`)), JSON.stringify(d.last_exit.stderr));
    const text = await cli(['--controller', cluster.controller, 'diag', 'manager'], { timeoutMs: 30000 });
    assert.equal(text.code, 2, text.stderr);
    assert.ok(text.stdout.includes(`error in ${script}, line 3: syntax error`), text.stdout);
    assert.match(text.stdout, /^last exit: +exit status 1, at /m);
  });
});
