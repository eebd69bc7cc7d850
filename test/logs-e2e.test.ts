// End to end under `zeek-mgmt run` (dist/framework/run.js, free ports, temp dirs):
// emulated nodes write real logs, rotate them every 2 s into <spool>/log-queue, the agent
// archives the queue into Management::Agent::archive_dir as
// <date>/<stream>.<HH:MM:SS>-<HH:MM:SS>-<node>.log.gz, reports what it cannot archive
// (agent log, notify_log to the controller),
// and after a clean shutdown every record each node wrote is in exactly one archive.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ControllerClient } from '../sdk/client/controller-client';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { archiveQueue } from '../framework/logs/archiver';
import { RunHandle, startRun, tempDir, waitFor } from './run-support';
import { fileTree } from './helpers/file-tree';

const NODES = ['logger', 'manager', 'worker-01'];

function configIni(agent: string): string {
  return [
    '[instances]', agent, '',
    '[manager]', `instance = ${agent}`, 'role = manager', '',
    '[logger]', `instance = ${agent}`, 'role = logger', '',
    '[worker-01]', `instance = ${agent}`, 'role = worker', 'interface = lo', '',
  ].join('\n');
}

const ARCHIVED = /^(\d{4}-\d\d-\d\d)\/([a-z_]+)\.(\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d)-([a-z0-9-]+)\.log\.gz$/;

/** Data lines (not #header lines) of the archives of one stream and node. */
function archivedRecords(archiveDir: string, stream: string, node: string): string[] {
  return fileTree(archiveDir).filter((f) => {
    const m = ARCHIVED.exec(f);
    return m !== null && m[2] === stream && m[5] === node;
  }).flatMap((f) => zlib.gunzipSync(fs.readFileSync(path.join(archiveDir, f))).toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')));
}

describe('logs: rotation and archival under zeek-mgmt run', function () {
  this.timeout(60000);
  let run: RunHandle | null = null;
  let client: ControllerClient | null = null;
  let stateDir: string;
  let archiveDir: string;
  let queueDir: string;
  const agentName = `agent-${os.hostname()}`;

  before(async () => {
    stateDir = tempDir('zeek-mgmt-logs-e2e-');
    archiveDir = path.join(stateDir, 'archive');
    queueDir = path.join(stateDir, 'spool/log-queue');
    run = await startRun({ stateDir, agentName, extra: ['Log::default_rotation_interval=2 secs', `Management::Agent::archive_dir=${archiveDir}`] });
    client = await ControllerClient.connect({ port: run.ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3 });
    await waitFor('the agent to check in with the controller', async () => {
      const r = await client!.getInstances();
      return r.data?.type === 'vector' && r.data.value.length === 1;
    });
    const staged = await client.stageConfiguration(parseConfigurationIni(configIni(agentName), { hostname: os.hostname() }));
    assert.equal(staged[0].success, true, JSON.stringify(staged));
    const deployed = await client.deploy();
    for (const r of deployed) assert.equal(r.success, true, `${r.node}: ${r.error}`);
    run.snapshot();
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    if (run) {
      const left = await run.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
      assert.deepEqual(left, [], `processes outlived zeek-mgmt run: ${left.join(', ')}`);
    }
  });

  it('nodes rotate into the log queue and the agent archives it as <date>/<stream>.<HH:MM:SS>-<HH:MM:SS>-<node>.log.gz', async () => {
    await waitFor('archived loaded_scripts logs of every node', () => {
      const files = fileTree(archiveDir);
      return NODES.every((n) => files.some((f) => /^\d{4}-\d\d-\d\d\/loaded_scripts\./.test(f) && f.endsWith(`-${n}.log.gz`)));
    }, 20000);
    const files = fileTree(archiveDir);
    for (const f of files) {
      const m = ARCHIVED.exec(f);
      assert.ok(m, `unexpected archive name ${f}`);
      assert.ok(NODES.includes(m[5]), f);
      assert.ok(['cluster', 'conn', 'loaded_scripts'].includes(m[2]), f);
    }
    const agentLog = fs.readFileSync(path.join(stateDir, 'nodes', agentName, 'stdout'), 'utf8');
    assert.match(agentLog, new RegExp(`triggering log archival via 'built-in archiver -1 ${queueDir} ${archiveDir}'`));
  });

  it('leaves a file it does not understand in the queue and says so', async () => {
    fs.writeFileSync(path.join(queueDir, 'README.txt'), 'not a log\n');
    const agentStdout = path.join(stateDir, 'nodes', agentName, 'stdout');
    const agentStderr = path.join(stateDir, 'nodes', agentName, 'stderr');
    await waitFor('the agent to report it', () => [agentStdout, agentStderr].some((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes("not archiving 'README.txt'")), 10000);
    assert.ok(fs.existsSync(path.join(queueDir, 'README.txt')));
    const ctl = path.join(stateDir, 'nodes', `controller-${os.hostname()}`);
    const line = `rx Management::Agent::API::notify_log ${agentName}: log archival: 'README.txt' in ${queueDir} is not a rotated log`;
    await waitFor('the controller to receive notify_log', () => fs.readdirSync(ctl).some((f) => fs.statSync(path.join(ctl, f)).isFile() && fs.readFileSync(path.join(ctl, f), 'utf8').includes(line)), 5000);
  });

  it('rotates once more at shutdown; after archiving that, every record of every node is in exactly one archive', async () => {
    const left = await run!.stop();
    run = null;
    assert.deepEqual(left, []);
    for (const n of NODES) {
      assert.deepEqual(fs.readdirSync(path.join(stateDir, 'nodes', n)).filter((f) => f.endsWith('.log')), [], `${n} left open logs`);
    }
    // The shutdown rotation's files wait in the queue; archive them as the next agent run would.
    const report = await archiveQueue({ queueDir, archiveDir });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.notUnderstood.map((n) => n.name), ['README.txt']);
    assert.deepEqual(fileTree(queueDir), ['README.txt']);
    for (const n of NODES) {
      assert.deepEqual(archivedRecords(archiveDir, 'loaded_scripts', n), ['policy/frameworks/management/node'], n);
    }
    // Manager and logger log their Broker listen once; exactly once across all their archives.
    for (const n of ['manager', 'logger']) {
      const listening = archivedRecords(archiveDir, 'cluster', n).filter((l) => /\tlistening on /.test(l));
      assert.equal(listening.length, 1, `${n}: ${listening.join(' | ')}`);
    }
  });
});
