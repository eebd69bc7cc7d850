// Settings of `zeek-mgmt run`: the documentation's redef examples, environment variables,
// NAME=VALUE arguments, their precedence, and errors that name the setting.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Settings } from '../framework/settings/settings';
import { parseRedefText } from '../framework/settings/sources';
import { SettingError } from '../framework/settings/types';
import { parseRunArgs } from '../framework/run';
import { RUN_JS, tempDir } from './run-support';

const dirs: string[] = [];

function fileWith(text: string): string {
  const dir = tempDir('zeek-mgmt-settings-');
  dirs.push(dir);
  const f = path.join(dir, 'local.zeek');
  fs.writeFileSync(f, text);
  return f;
}

describe('run settings', () => {
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('parses the documentation\'s local.zeek examples as written', () => {
    const f = fileWith([
      '# from "Controller and agent instances on separate systems"',
      'redef Management::Agent::controller = [$address="1.2.3.4", $bound_port=21500/tcp];',
      'redef Management::Controller::name = "controller1";',
      'redef Management::Agent::name = "agent1";',
      'redef Management::Controller::default_port_websocket = 21490/tcp;',
      'redef Management::Controller::default_port = 21500/tcp;',
      'redef Management::Agent::default_port = 21510/tcp;',
      'redef Management::default_address = "127.0.0.1";',
      '@load policy/tuning/json-logs',
      'redef Management::Request::timeout_interval = 2 secs;',
      'redef Log::default_rotation_interval = 1 hr;',
      'redef LogAscii::use_json = T;',
    ].join('\n'));
    const s = Settings.resolve({ files: [f], env: {} });
    assert.deepEqual(s.agentControllerTarget(), { address: '1.2.3.4', port: 21500 });
    assert.equal(s.controllerName(), 'controller1');
    assert.equal(s.agentName(), 'agent1');
    assert.deepEqual(s.controllerWebsocketListen(), { address: '127.0.0.1', port: 21490 });
    assert.deepEqual(s.controllerListen(), { address: '127.0.0.1', port: 21500 });
    assert.deepEqual(s.agentListen(), { address: '127.0.0.1', port: 21510 });
    assert.equal(s.agentRequestTimeout(), 2);
    assert.equal(s.num('Log::default_rotation_interval'), 3600);
    assert.equal(s.bool('LogAscii::use_json'), true);
  });

  it('takes NAME=VALUE arguments exactly as the documentation writes them', () => {
    const s = Settings.resolve({ env: {}, args: ['Management::Agent::default_port=2152/tcp', 'Management::Agent::name=agent-standby', 'Broker::default_port=10001/tcp'] });
    assert.equal(s.agentListen().port, 2152);
    assert.equal(s.agentName(), 'agent-standby');
    assert.deepEqual(s.supervisorListen(), { address: '127.0.0.1', port: 10001 });
  });

  it('has Zeek\'s defaults and derived values', () => {
    const s = Settings.resolve({ env: {}, baseDir: '/srv/zeek' });
    assert.equal(s.agentName(), `agent-${os.hostname()}`);
    assert.equal(s.controllerName(), `controller-${os.hostname()}`);
    assert.deepEqual(s.agentListen(), { address: '0.0.0.0', port: 2151 });
    assert.deepEqual(s.controllerListen(), { address: '0.0.0.0', port: 2150 });
    assert.deepEqual(s.controllerWebsocketListen(), { address: '0.0.0.0', port: 2149 });
    assert.deepEqual(s.agentControllerTarget(), { address: '127.0.0.1', port: 2150 });
    assert.deepEqual(s.supervisorListen(), { address: '127.0.0.1', port: 9999 });
    assert.equal(s.agentRequestTimeout(), 5);
    assert.equal(s.num('Management::Supervisor::output_max_lines'), 100);
    assert.equal(s.nodesDir(), '/srv/zeek/var/lib/nodes');
    assert.equal(s.agentDirectory(), `/srv/zeek/var/lib/nodes/agent-${os.hostname()}`);
    assert.equal(s.rotationDir(), '/srv/zeek/spool/log-queue');
  });

  it('follows the controller\'s port when the agent\'s controller setting leaves it out, and 0.0.0.0 means the controller connects', () => {
    assert.deepEqual(Settings.resolve({ env: { ZEEK_CONTROLLER_PORT: '21500/tcp' } }).agentControllerTarget(), { address: '127.0.0.1', port: 21500 });
    assert.equal(Settings.resolve({ env: {}, args: ['Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]'] }).agentControllerTarget(), null);
  });

  it('reads the documented environment variables', () => {
    const s = Settings.resolve({
      env: {
        ZEEK_AGENT_NAME: 'a1', ZEEK_AGENT_ADDR: '127.0.0.2', ZEEK_AGENT_PORT: '2251/tcp', ZEEK_CONTROLLER_NAME: 'c1',
        ZEEK_CONTROLLER_ADDR: '127.0.0.3', ZEEK_CONTROLLER_PORT: '2250', ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.4',
        ZEEK_CONTROLLER_WEBSOCKET_PORT: '2249/tcp', ZEEK_MANAGEMENT_STATE_DIR: '/tmp/st', ZEEK_MANAGEMENT_SPOOL_DIR: '/tmp/sp',
        ZEEK_MGMT_NODE_RUNTIME: 'EMULATED',
      },
    });
    assert.equal(s.agentName(), 'a1');
    assert.deepEqual(s.agentListen(), { address: '127.0.0.2', port: 2251 });
    assert.equal(s.controllerName(), 'c1');
    assert.deepEqual(s.controllerListen(), { address: '127.0.0.3', port: 2250 });
    assert.deepEqual(s.controllerWebsocketListen(), { address: '127.0.0.4', port: 2249 });
    assert.equal(s.stateDir(), '/tmp/st');
    assert.equal(s.spoolDir(), '/tmp/sp');
    assert.equal(s.str('Management::Agent::node_runtime'), 'Management::Agent::EMULATED');
  });

  it('applies defaults < file < environment < arguments', () => {
    const f = fileWith('redef Management::Agent::name = "from-file";\nredef Management::Agent::default_port = 3000/tcp;\nredef Management::state_dir = "/file";\n');
    const s = Settings.resolve({ files: [f], env: { ZEEK_AGENT_NAME: 'from-env', ZEEK_MANAGEMENT_STATE_DIR: '/env' }, args: ['Management::Agent::name=from-arg'] });
    assert.equal(s.agentName(), 'from-arg');
    assert.equal(s.stateDir(), '/env');
    assert.equal(s.agentListen().port, 3000);
    assert.equal(s.isExplicit('Management::Agent::default_port'), true);
    assert.equal(s.isExplicit('Broker::default_port'), false);
  });

  it('names an unknown setting, wherever it comes from', () => {
    assert.throws(() => Settings.resolve({ env: {}, args: ['Management::Agent::nmae=x'] }), (e: Error) => e instanceof SettingError && /unknown setting Management::Agent::nmae/.test(e.message));
    assert.throws(() => parseRedefText('redef Foo::bar = 1;\n', 'local.zeek'), /local\.zeek:1: unknown setting Foo::bar/);
  });

  it('names a setting given a value of the wrong type', () => {
    assert.throws(() => Settings.resolve({ env: {}, args: ['Management::Agent::default_port=abc'] }), /Management::Agent::default_port: .*expected a port such as 2151\/tcp/);
    assert.throws(() => parseRedefText('\n\nredef Management::Agent::default_port = "2151";\n', 'f.zeek'), /f\.zeek:3: Management::Agent::default_port: expected a port such as 2151\/tcp, got string "2151"/);
    assert.throws(() => parseRedefText('redef Management::Agent::archive_logs = 1;', 'f.zeek'), /archive_logs: expected a bool \(T or F\), got number 1/);
    assert.throws(() => parseRedefText('redef Management::Agent::controller = [$address="1.2.3.4"];', 'f.zeek'), /controller: Broker::NetworkInfo needs \$bound_port/);
    assert.throws(() => Settings.resolve({ env: { ZEEK_AGENT_PORT: 'eleven' } }), /Management::Agent::listen_port: "eleven" is not a port/);
    assert.throws(() => Settings.resolve({ env: { ZEEK_MGMT_NODE_RUNTIME: 'docker' } }), /ZEEK_MGMT_NODE_RUNTIME \(Management::Agent::node_runtime\): expected one of/);
  });

  it('refuses statements other than redef, with the line', () => {
    assert.throws(() => parseRedefText('redef Broker::default_port = 1/tcp;\nevent zeek_init() { print 1; }\n', 'local.zeek'), /local\.zeek:2: only "redef NAME = VALUE;" statements are supported/);
    assert.throws(() => parseRedefText('redef Broker::default_port += 1/tcp;', 'x'), /only "=" assignments/);
  });

  it('keeps comments, string escapes and multi-line records apart', () => {
    const a = parseRedefText('redef Management::Agent::name = "a#b\\"c"; # comment\nredef Management::Agent::controller = [\n  $address = "10.0.0.1",  # the controller\n  $bound_port = 2150/tcp\n];\n', 'f');
    assert.deepEqual(a.map((x) => x.value), ['a#b"c', { address: '10.0.0.1', bound_port: { port: 2150, proto: 'tcp' } }]);
    assert.deepEqual(parseRedefText('redef Management::Agent::controller = Broker::NetworkInfo($address="::1", $bound_port=1/tcp);', 'f')[0].value, { address: '::1', bound_port: { port: 1, proto: 'tcp' } });
  });

  it('round-trips through the JSON handed to the agent', () => {
    const s = Settings.resolve({ env: {}, args: ['Management::Agent::name=x', 'Management::Request::timeout_interval=3 secs'] });
    const t = Settings.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    assert.equal(t.agentName(), 'x');
    assert.equal(t.agentRequestTimeout(), 3);
  });

  it('parses run\'s command line: roles, files and assignments', () => {
    const f = fileWith('');
    assert.deepEqual(parseRunArgs(['Broker::default_port=10001/tcp']), { roles: { controller: true, agent: true }, files: [], assignments: ['Broker::default_port=10001/tcp'] });
    const o = parseRunArgs(['agent', f.replace(/\.zeek$/, '')]);
    assert.ok(o !== 'help');
    assert.deepEqual(o.roles, { controller: false, agent: true });
    assert.deepEqual(o.files, [f]);
    assert.throws(() => parseRunArgs(['nonexistent-local']), /can't find nonexistent-local/);
  });

  it('zeek-mgmt run exits 1 naming a bad setting, without starting anything', () => {
    const r = spawnSync(process.execPath, [RUN_JS, 'Management::Agent::default_port=21x/tcp', 'Bogus::thing=1'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Management::Agent::default_port/);
    assert.match(r.stderr, /unknown setting Bogus::thing/);
  });
});
