// What the Supervisor's launcher (framework/supervisor/launcher.ts) runs for an emulated
// cluster node: flags, entry point or start-up snapshot, environment, launch description.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAUNCH_ENV, readLaunchSpec } from '../framework/node/launch-spec';
import { Settings } from '../framework/settings/settings';
import { EMULATED_NODE_FLAGS, InstanceLauncher } from '../framework/supervisor/launcher';
import { ClusterEndpoint, nodeConfig, NodeConfig } from '../framework/supervisor/records';
import { REPO, tempDir } from './run-support';

describe('launcher: emulated node command', function () {
  this.timeout(20000);
  let state: string;
  let settings: Settings;
  const savedCa = process.env.NODE_EXTRA_CA_CERTS;

  const cluster: Record<string, ClusterEndpoint> = {
    manager: { role: 'MANAGER', host: '127.0.0.1', p: 2200, interface: null, pcap_file: null, metrics_port: 9000 },
    'worker-1': { role: 'WORKER', host: '127.0.0.1', p: 0, interface: 'lo', pcap_file: null, metrics_port: 9001 },
  };
  const cfg = (name: string, env: Record<string, string> = {}): NodeConfig => {
    const directory = path.join(state, 'nodes', name);
    fs.mkdirSync(directory, { recursive: true });
    return nodeConfig(name, { directory, cluster, env, runtime: 'emulated', addl_user_scripts: ['policy/frameworks/management/node'] });
  };

  before(() => {
    state = tempDir('zeek-mgmt-launch-');
    settings = Settings.resolve({ env: {}, args: [`Management::state_dir=${state}`], baseDir: state });
  });

  after(() => {
    if (savedCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = savedCa;
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('starts main.js with parent-watch and the memory flags when snapshots are off', () => {
    const cmd = new InstanceLauncher(settings, { nodeSnapshot: false }).command(cfg('worker-1'));
    assert.equal(cmd.file, process.execPath);
    assert.deepEqual(cmd.args, [
      ...EMULATED_NODE_FLAGS,
      '-r', path.join(REPO, 'dist/framework/supervisor/parent-watch.js'),
      path.join(REPO, 'dist/framework/node/emulated/main.js'),
    ]);
    assert.equal(cmd.env.CLUSTER_NODE, 'worker-1');
    assert.equal(cmd.cwd, path.join(state, 'nodes', 'worker-1'));
    const spec = readLaunchSpec(cmd.env[LAUNCH_ENV]);
    assert.equal(spec.name, 'worker-1');
    assert.deepEqual(spec.cluster, cluster);
    assert.equal(spec.globals['Management::state_dir'], state);
  });

  it('gives flags node accepts without a word on stderr (--jitless alone makes V8 warn about WebAssembly)', () => {
    const r = spawnSync(process.execPath, [...EMULATED_NODE_FLAGS, '-e', 'process.stdout.write(process.execArgv.slice(0, -2).join(" "))'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, EMULATED_NODE_FLAGS.join(' '));
    assert.equal(r.stderr, '');
    const warned = spawnSync(process.execPath, ['--jitless', '-e', '0'], { encoding: 'utf8' });
    assert.match(warned.stderr, /expose_wasm/, 'the control case: --jitless on its own does warn');
  });

  it('does not pass an inherited NODE_EXTRA_CA_CERTS to emulated nodes, but keeps one their config sets', () => {
    process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
    const launcher = new InstanceLauncher(settings, { nodeSnapshot: false });
    const plain = launcher.command(cfg('worker-1'));
    assert.equal(plain.env.NODE_EXTRA_CA_CERTS, undefined);
    assert.equal(plain.env.PATH, process.env.PATH, 'the rest of the environment is inherited');
    const own = launcher.command(cfg('manager', { NODE_EXTRA_CA_CERTS: '/my/ca.pem', FOO: 'bar' }));
    assert.equal(own.env.NODE_EXTRA_CA_CERTS, '/my/ca.pem');
    assert.equal(own.env.FOO, 'bar');
  });

  it('keeps NODE_EXTRA_CA_CERTS for the agent, which may use TLS', () => {
    process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
    const agent = new InstanceLauncher(settings, { nodeSnapshot: false }).command(nodeConfig('agent-x', { directory: path.join(state, 'nodes', 'agent-x'), env: { ZEEK_MANAGEMENT_NODE: 'AGENT' } }));
    assert.equal(agent.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt');
  });

  it('starts nodes from the start-up snapshot once it is ready, with the same flags', async () => {
    const launcher = new InstanceLauncher(settings, { nodeSnapshot: true });
    try {
      assert.ok(launcher.snapshot, 'snapshots are on');
      launcher.prepareEmulatedNodes();
      assert.equal(await launcher.snapshot!.whenSettled(), true, 'the snapshot was built or found');
      const cmd = launcher.command(cfg('worker-1'));
      assert.deepEqual(cmd.args, [...EMULATED_NODE_FLAGS, '--snapshot-blob', launcher.snapshot!.blob!]);
      assert.ok(fs.existsSync(launcher.snapshot!.blob!));
      assert.equal(cmd.env.CLUSTER_NODE, 'worker-1');
      assert.ok(fs.existsSync(cmd.env[LAUNCH_ENV]));
    } finally {
      launcher.close();
    }
  });
});
