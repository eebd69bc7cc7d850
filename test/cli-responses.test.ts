// The CLI against a small in-test controller stand-in (an EndpointServer answering with
// Zeek-shaped events), for the responses a healthy live cluster does not produce:
// failures of every kind and how zeek-client prints them; bad input, after which nothing
// may reach the controller; an unreachable or silent controller; apply's progress line.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { B, BrokerData } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { main, MainIo } from '../cli/cli';
import { ControllerApi } from '../sdk/model/events';
import {
  configurationFromData, configurationToData, instanceToData, makeResult, nodeOutputsToData, nodeStatusToData, Result, resultToData, resultVecToData,
} from '../sdk/model/records';
import { NodeStatus } from '../sdk/model/schemas';
import { EndpointServer, Peer } from '../sdk/transport/endpoint-server';
import { TOPICS } from '../sdk/transport/topics';
import { CLI_MAIN, cleanEnv, cli, CliResult, freePort, tempDir } from './cli-harness';

type Responder = (reqid: string, ev: ZeekEvent, reply: (name: string, ...args: BrokerData[]) => void) => void;

/** A stand-in controller: records every request and answers with the responders given. */
class StandIn {
  readonly received: ZeekEvent[] = [];
  peers = 0;
  responders: Record<string, Responder> = {};
  private constructor(readonly server: EndpointServer, readonly port: number) {}

  static async start(): Promise<StandIn> {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0 });
    const port = (await server.listen()).port;
    const s = new StandIn(server, port);
    server.on('peer', () => s.peers++);
    server.on('event', (ev: ZeekEvent, _topic: string, peer: Peer) => {
      s.received.push(ev);
      const reqid = ev.args[0]?.type === 'string' ? ev.args[0].value : '';
      const responder = s.responders[ev.name];
      responder?.(reqid, ev, (name, ...args) => peer.sendEvent(TOPICS.controller, { name, args: [B.str(reqid), ...args] }));
    });
    return s;
  }

  get controller(): string {
    return `127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

const results = (...rs: Result[]): BrokerData => resultVecToData(rs);
const result = (r: Result): BrokerData => resultToData(r);
const status = (node: string, cluster: NodeStatus['cluster_role'], extra: Partial<NodeStatus> = {}): BrokerData => nodeStatusToData({
  node, state: 'RUNNING', mgmt_role: 'NONE', cluster_role: cluster, pid: null, port: null, metrics_port: null, ...extra,
});

describe('zeek-mgmt against a controller stand-in', function () {
  this.timeout(20000);
  let standIn: StandIn;
  let dir: string;
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', standIn.controller, ...args]);

  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    standIn = await StandIn.start();
  });
  afterEach(async () => {
    await standIn.close();
  });

  it('deploy: controller and agent errors, per-node results with failed nodes\' output, exit 1', async () => {
    standIn.responders[ControllerApi.deploy_request] = (id, _ev, reply) => reply(ControllerApi.deploy_response, results(
      makeResult(id, { data: B.str('config-0001') }),
      makeResult(id, { instance: 'agent-1', node: 'manager' }),
      makeResult(id, { instance: 'agent-1', node: 'logger' }),
      makeResult(id, { success: false, instance: 'agent-1', node: 'worker-1', data: nodeOutputsToData({ stdout: 'out line', stderr: 'fatal error: ünïcode' }) }),
      makeResult(id, { success: false, instance: 'agent-2', error: 'agent-2 failed' }),
      makeResult(id, { instance: 'agent-3' }),
      makeResult(id),
    ));
    const r = await z('-v', 'deploy');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `{
  "errors": [
    "agent-2 failed"
  ],
  "results": {
    "id": "config-0001",
    "nodes": {
      "logger": {
        "instance": "agent-1",
        "success": true
      },
      "manager": {
        "instance": "agent-1",
        "success": true
      },
      "worker-1": {
        "instance": "agent-1",
        "stderr": "fatal error: \\u00fcn\\u00efcode",
        "stdout": "out line",
        "success": false
      }
    }
  }
}
`);
    assert.match(r.stderr, /^warning: skipping unexpected response Result\(reqid=[0-9a-f-]+, success=True, instance=None, node=None, error=None\)$/m);
    assert.deepEqual(standIn.received.map((e) => e.name), [ControllerApi.deploy_request]);
  });

  it('get-id-value: values (numbers as Python prints them) and every kind of error, sorted', async () => {
    standIn.responders[ControllerApi.get_id_value_request] = (id, ev, reply) => {
      assert.equal(ev.args[1].type === 'string' && ev.args[1].value, 'Foo::bar');
      reply(ControllerApi.get_id_value_response, results(
        makeResult(id, { node: 'worker-2', data: B.str('{"b": 1.0, "a": [1e16, 0.00001, 12345678901234567890]}') }),
        makeResult(id, { node: 'worker-1', data: B.str('"a-value"') }),
        makeResult(id, { node: 'worker-3', success: false, error: 'that did not work' }),
        makeResult(id, { node: 'worker-4', data: B.count(10) }),
        makeResult(id, { node: 'worker-5', data: B.str('{not json') }),
        makeResult(id, { data: B.str('orphan') }),
      ));
    };
    const r = await z('get-id-value', 'Foo::bar');
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n');
    assert.equal(lines.filter((l) => l.includes('JSON decode error')).length, 1);
    assert.equal(r.stdout.replace(/"error": "JSON decode error: [^\n]*"/, '"error": "JSON decode error: X"'), `{
  "errors": [
    {
      "error": "that did not work",
      "source": "worker-3"
    },
    {
      "error": "invalid result data type {\\"@data-type\\": \\"count\\", \\"data\\": 10}",
      "source": "worker-4"
    },
    {
      "error": "JSON decode error: X",
      "source": "worker-5"
    },
    {
      "error": "result lacking node: {\\"@data-type\\": \\"string\\", \\"data\\": \\"orphan\\"}"
    }
  ],
  "results": {
    "worker-1": "a-value",
    "worker-2": {
      "a": [
        1e+16,
        1e-05,
        12345678901234567890
      ],
      "b": 1.0
    }
  }
}
`);
  });

  it('get-nodes and restart: failures under errors with their source, exit 1', async () => {
    standIn.responders[ControllerApi.get_nodes_request] = (id, _ev, reply) => reply(ControllerApi.get_nodes_response, results(
      makeResult(id, { instance: 'agent-b', data: B.vec([status('worker', 'WORKER', { pid: 7, metrics_port: 9001 })]) }),
      makeResult(id, { instance: 'agent-c', success: false, error: 'uh-oh' }),
      makeResult(id, { instance: 'agent-a', data: B.vec([status('manager', 'MANAGER', { pid: 5, port: 2200 }), status('agent-a', 'NONE', { mgmt_role: 'AGENT', state: 'PENDING' })]) }),
      makeResult(id, { instance: 'agent-d' }),
    ));
    const nodes = await z('--set', 'client.pretty_json=false', 'get-nodes');
    assert.equal(nodes.code, 1);
    assert.equal(nodes.stdout, '{"errors": [{"error": "uh-oh", "source": "agent-c"}, {"error": "result does not contain node status data", "source": "agent-d"}], '
      + '"results": {"agent-a": {"agent-a": {"cluster_role": null, "mgmt_role": "AGENT", "state": "PENDING"}, '
      + '"manager": {"cluster_role": "MANAGER", "mgmt_role": null, "pid": 5, "port": 2200, "state": "RUNNING"}}, '
      + '"agent-b": {"worker": {"cluster_role": "WORKER", "metrics_port": 9001, "mgmt_role": null, "pid": 7, "state": "RUNNING"}}}}\n');

    standIn.responders[ControllerApi.restart_request] = (id, ev, reply) => {
      const asked = ev.args[1].type === 'set' ? ev.args[1].value.map((d) => (d.type === 'string' ? d.value : '')) : [];
      assert.deepEqual(asked.sort(), ['nope', 'worker'], 'duplicate names are sent once');
      reply(ControllerApi.restart_response, results(
        makeResult(id, { instance: 'agent-b', node: 'worker' }),
        makeResult(id, { success: false, node: 'nope', error: 'unknown cluster node' }),
        makeResult(id, { instance: 'agent-b', success: false, node: 'worker-x', error: 'agent could not restart it' }),
      ));
    };
    const restart = await z('restart', 'worker', 'nope', 'worker');
    assert.equal(restart.code, 1);
    assert.deepEqual(JSON.parse(restart.stdout), {
      errors: [{ error: 'unknown cluster node', source: 'nope' }],
      results: { worker: true, 'worker-x': false },
    });
  });

  it('get-instances: host and port only where known; stage-config: errors, "no reason given"', async () => {
    standIn.responders[ControllerApi.get_instances_request] = (id, _ev, reply) => reply(ControllerApi.get_instances_response, result(makeResult(id, {
      data: B.vec([
        instanceToData({ name: 'b-listening', host: '10.0.0.2', listen_port: 2151 }),
        instanceToData({ name: 'a-connected', host: '10.0.0.1', listen_port: null }),
        instanceToData({ name: 'c-unknown', host: '0.0.0.0', listen_port: null }),
      ]),
    })));
    const inst = await z('get-instances');
    assert.equal(inst.code, 0);
    assert.equal(inst.stdout, '{\n  "a-connected": {\n    "host": "10.0.0.1"\n  },\n  "b-listening": {\n    "host": "10.0.0.2",\n    "port": 2151\n  },\n  "c-unknown": {}\n}\n');

    let staged: BrokerData | undefined;
    standIn.responders[ControllerApi.stage_configuration_request] = (id, ev, reply) => {
      staged = ev.args[1];
      reply(ControllerApi.stage_configuration_response, results(
        makeResult(id, { success: false, error: "node 'w' has undeclared instance name 'x'" }),
        makeResult(id, { success: false }),
      ));
    };
    const file = path.join(dir, 'c.ini');
    fs.writeFileSync(file, '[instances]\nagent-1\n\n[w]\ninstance = x\nrole = worker\nscripts = b.zeek a.zeek\nenv = B=2 A="1 1"\n');
    const r = await z('deploy-config', file);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { errors: ["node 'w' has undeclared instance name 'x'", 'no reason given'], results: {} });
    assert.deepEqual(standIn.received.map((e) => e.name).filter((n) => n !== ControllerApi.get_instances_request), [ControllerApi.stage_configuration_request], 'deploy-config stops after a failed stage');
    const cfg = configurationFromData(staged as BrokerData);
    assert.deepEqual(cfg.nodes[0].scripts, ['a.zeek', 'b.zeek']);
    assert.deepEqual(cfg.nodes[0].env, { A: '1 1', B: '2' });
  });

  it('bad input: one line on stderr, exit 1, and nothing reaches the controller', async () => {
    const write = (name: string, text: string): string => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const noHeader = write('no-header.ini', 'role = worker\n');
    const badRole = write('bad-role.ini', '[w]\ninstance = agent-1\nrole = janitor\n');
    const badPort = write('bad-port.ini', '[m]\ninstance = agent-1\nrole = manager\nport = 21xx\n');
    const invalid = write('invalid.ini', '[instances]\nagent-1\n\n[w]\ninstance = agent-2\nrole = worker\n');
    const typo = write('typo.ini', '[instances]\nagent-1\n\n[w]\ninstance = agent-1\nrole = worker\ninterfac = lo\n');
    const cases: Array<[string[], RegExp]> = [
      [['stage-config', path.join(dir, 'missing.ini')], /^error: please provide a cluster configuration file: ".*missing\.ini" does not exist$/],
      [['deploy-config', dir], /^error: please provide a cluster configuration file: ".*" is not a file$/],
      [['deploy-config', noHeader], /^error: configuration has errors, not sending: .*no-header\.ini, line 1: file contains no section header before this line: "role = worker"$/],
      [['stage-config', badRole], /^error: configuration has errors, not sending: .*bad-role\.ini, line 3, section \[w\], key "role": invalid node "w" configuration: role "janitor" is invalid$/],
      [['plan', badPort], /^error: configuration has errors, not sending: .*bad-port\.ini, line 4, section \[m\], key "port": invalid node "m" configuration: cannot convert "m\.port" value "21xx" to int$/],
      [['apply', badRole], /^error: configuration has errors, not sending: .*role "janitor" is invalid$/],
      [['apply', invalid], /^error: configuration is invalid, not sending: node 'w' has undeclared instance name 'agent-2'$/],
      [['plan', invalid], /^error: configuration is invalid, not sending: node 'w' has undeclared instance name 'agent-2'$/],
      [['drift', invalid], /^error: configuration is invalid: node 'w' has undeclared instance name 'agent-2'$/],
      [['plan', '--strict', typo], /^error: configuration has errors \(strict\), not sending: section \[w\]: unexpected keys: interfac$/],
      [['apply', '--strict', typo], /^error: configuration has errors \(strict\), not sending: section \[w\]: unexpected keys: interfac$/],
      [['drift', '--strict', typo], /^error: configuration has errors \(strict\): section \[w\]: unexpected keys: interfac$/],
      [['--set', 'client.strict=yes', 'apply', typo], /^error: configuration has errors \(strict\), not sending: section \[w\]: unexpected keys: interfac$/],
      [['--set', 'client.strict=maybe', 'plan', typo], /^error: setting client\.strict must be a boolean/],
    ];
    for (const [args, line] of cases) {
      const r = await z(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0], line, args.join(' '));
    }
    assert.equal(standIn.peers, 0, 'no connection was made');
    assert.deepEqual(standIn.received, []);
  });

  it('an unreachable controller, a bad port setting, a silent controller: one error line, exit 1', async () => {
    const closed = await freePort();
    const down = await cli(['--controller', `127.0.0.1:${closed}`, '--set', 'client.peering_attempts=2', '--set', 'client.peering_retry_delay_secs=0.05', 'get-instances']);
    assert.equal(down.code, 1);
    assert.equal(down.stderr, `error: websocket connection to 127.0.0.1:${closed} timed out in connect() (2 attempts, last: connection refused)\n`);
    const verbose = await cli(['--controller', `127.0.0.1:${closed}`, '--set', 'client.peering_attempts=2', '--set', 'client.peering_retry_delay_secs=0.05', '-vvv', 'get-instances']);
    assert.equal(verbose.stderr, [
      `info: connecting to controller 127.0.0.1:${closed}`,
      `debug: connection refused for controller 127.0.0.1:${closed}`,
      `error: websocket connection to 127.0.0.1:${closed} timed out in connect() (2 attempts, last: connection refused)`,
      '',
    ].join('\n'));
    const notNumber = await cli(['--controller', ':21xx', 'get-nodes']);
    assert.equal(notNumber.code, 1);
    assert.equal(notNumber.stderr, 'error: cannot configure connection to 127.0.0.1:21xx: controller port "21xx" is not a number\n');
    const range = await cli(['--controller', ':70000', 'get-nodes']);
    assert.equal(range.stderr, 'error: cannot configure connection to 127.0.0.1:70000: controller port number 70000 outside valid range\n');

    const silent = await z('--set', 'client.request_timeout_secs=0.3', 'get-config');
    assert.equal(silent.code, 1);
    assert.equal(silent.stderr, `error: no response received: websocket connection to ${standIn.controller} timed out\n`);
    assert.deepEqual(standIn.received.map((e) => e.name), [ControllerApi.get_configuration_request]);
  });

  it('monitor: known events with their argument types, a warning for others, a line per quiet period', async () => {
    const proc = spawn(process.execPath, [CLI_MAIN, '--controller', standIn.controller, '-v', '--set', 'client.request_timeout_secs=0.4', 'monitor'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 5000;
      while (standIn.peers === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      standIn.server.publishEvent(TOPICS.controller, { name: ControllerApi.get_nodes_response, args: [B.str('x'), results()] });
      standIn.server.publishEvent(TOPICS.controller, { name: 'Some::other_event', args: [B.count(1)] });
      standIn.server.publishEvent(TOPICS.controller, { name: ControllerApi.test_timeout_response, args: [B.str('x'), result(makeResult('x')), B.bool(true)] });
      while (!out.includes('timed out') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      proc.kill('SIGINT');
    }
    assert.equal(await exited, 0);
    const lines = out.split('\n');
    assert.equal(lines[0], 'received "Management::Controller::API::get_nodes_response(reqid: <class \'zeekclient.brokertypes.String\'>, results: <class \'zeekclient.brokertypes.Vector\'>)"');
    assert.match(lines[1], /^no response received: protocol data error with controller .*: invalid event data, event argument length mismatch: have 3, expected 2$/);
    assert.equal(lines[2], `no response received: websocket connection to ${standIn.controller} timed out`);
    assert.match(err, /^warning: received unexpected event "Some::other_event", skipping$/m);
  });

  it('drift: deployed nodes not running, crashed, on other ports, undeployed nodes running, agents missing', async () => {
    const node = (name: string, role: 'MANAGER' | 'WORKER', instance: string, port: number | null = null) => ({
      name, instance, role, state: 'RUNNING' as const, port, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null,
    });
    const deployed = {
      id: 'cfg-1',
      instances: [{ name: 'agent-a', host: '10.0.0.1', listen_port: null }, { name: 'agent-b', host: '10.0.0.2', listen_port: null }],
      nodes: [node('manager', 'MANAGER', 'agent-a', 2200), node('worker-1', 'WORKER', 'agent-a'), node('worker-2', 'WORKER', 'agent-a'), node('worker-3', 'WORKER', 'agent-b')],
    };
    standIn.responders[ControllerApi.get_configuration_request] = (id, ev, reply) => reply(ControllerApi.get_configuration_response, result(makeResult(id, {
      data: configurationToData(deployed),
    })));
    standIn.responders[ControllerApi.get_instances_request] = (id, _ev, reply) => reply(ControllerApi.get_instances_response, result(makeResult(id, {
      data: B.vec([instanceToData({ name: 'agent-a', host: '10.0.0.1', listen_port: null })]),
    })));
    standIn.responders[ControllerApi.get_nodes_request] = (id, _ev, reply) => reply(ControllerApi.get_nodes_response, results(makeResult(id, {
      instance: 'agent-a',
      data: B.vec([
        status('agent-a', 'NONE', { mgmt_role: 'AGENT', pid: 10 }),
        status('manager', 'MANAGER', { pid: 11, port: 2299 }),
        status('worker-1', 'WORKER', { pid: 12, state: 'CRASHED' }),
        status('stray', 'WORKER', { pid: 13 }),
      ]),
    })));
    const r = await z('drift', '--format', 'json');
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.differences.map((d: { subject: string; message: string }) => `${d.subject}: ${d.message}`), [
      'instance agent-b: deployed but its agent is not connected',
      'node manager: listening on port 2299, deployed with port 2200',
      'node stray: running on instance agent-a but not deployed',
      'node worker-1: state CRASHED',
      'node worker-2: deployed but not running',
      'node worker-3: deployed but not running (instance agent-b unavailable)',
    ]);
    assert.equal(report.in_sync, false);
    assert.deepEqual(report.nodes['worker-1'].running, { instance: 'agent-a', metrics_port: null, pid: 12, port: null, state: 'CRASHED' });
    assert.deepEqual(report.instances['agent-b'], { connected: false, deployed: true, desired: false, in_sync: false, staged: true });
    const md = await z('drift');
    assert.equal(md.code, 2);
    assert.match(md.stdout, /^## Zeek cluster drift: drifted \(6 differences\)\n/);
    assert.match(md.stdout, /\| worker-1 \| - \| WORKER @ agent-a \| WORKER @ agent-a \| CRASHED pid 12 @ agent-a \| \*\*drifted\*\* \|\n/);
    assert.match(md.stdout, /\n- `node worker-1` \(deployed vs running\): state CRASHED\n/);
  });

  it('TLS settings that cannot be used: one error line before connecting', async () => {
    const r = await z('--set', 'ssl.enable=yes', '--set', `ssl.certificate=${path.join(dir, 'nope.pem')}`, 'get-instances');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot configure connection to ${standIn.controller}: SSL certificate file "${path.join(dir, 'nope.pem')}" not found\n`);
    assert.equal(standIn.peers, 0);
  });

  it('apply on a terminal: a progress line while agents launch nodes, cleared before the result', async () => {
    let deployed = false;
    let polls = 0;
    standIn.responders[ControllerApi.get_configuration_request] = (id, _ev, reply) => reply(ControllerApi.get_configuration_response, result(makeResult(id, { success: false, error: 'no deployed configuration available' })));
    standIn.responders[ControllerApi.stage_configuration_request] = (id, ev, reply) => {
      reply(ControllerApi.stage_configuration_response, results(makeResult(id, { data: B.str(configurationFromData(ev.args[1]).id) })));
    };
    standIn.responders[ControllerApi.get_nodes_request] = (id, _ev, reply) => {
      polls++;
      const running = polls >= 2 ? [status('manager', 'MANAGER')] : [];
      reply(ControllerApi.get_nodes_response, results(makeResult(id, { instance: 'agent-1', data: B.vec(running) })));
    };
    standIn.responders[ControllerApi.deploy_request] = (id, _ev, reply) => {
      setTimeout(() => {
        deployed = true;
        reply(ControllerApi.deploy_response, results(
          makeResult(id, { data: B.str('cfg') }),
          makeResult(id, { instance: 'agent-1', node: 'manager' }),
          makeResult(id, { instance: 'agent-1', node: 'worker' }),
        ));
      }, 1500);
    };
    const file = path.join(dir, 'apply.ini');
    fs.writeFileSync(file, '[manager]\ninstance = agent-1\nrole = manager\n\n[worker]\ninstance = agent-1\nrole = worker\n');
    const stdout = collector(false);
    const stderr = collector(true);
    const io: MainIo = { env: { FORCE_COLOR: undefined, NO_COLOR: undefined }, stdout, stderr, stdin: process.stdin };
    const code = await main(['--controller', standIn.controller, 'apply', file], 'zeek-mgmt', io);
    assert.equal(code, 0);
    assert.ok(deployed);
    assert.deepEqual(JSON.parse(stdout.text).results.nodes, { manager: { instance: 'agent-1', success: true }, worker: { instance: 'agent-1', success: true } });
    assert.match(stderr.text, /^\x1b\[1mPlan for .*apply\.ini against nothing deployed:\x1b\[22m\n/, 'the plan comes first');
    assert.match(stderr.text, /\nApplying .*apply\.ini: 3 to add, 0 to change, 0 to remove\.\n/);
    assert.match(stderr.text, /info: deployed .*apply\.ini\n/);
    assert.match(stderr.text, /\r\x1b\[2K[|/\\-] deploying [0-9a-f-]+: 0\/2 nodes running, waiting for manager, worker/);
    assert.match(stderr.text, /\r\x1b\[2K[|/\\-] deploying [0-9a-f-]+: 1\/2 nodes running, waiting for worker/);
    assert.ok(stderr.text.includes('\r\x1b[2Kinfo: deployed '), 'the line is cleared before the outcome');
    assert.ok(polls >= 2);
  });
});

function collector(tty: boolean): Writable & { text: string; isTTY: boolean; columns: number } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      (w as unknown as { text: string }).text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean; columns: number };
  w.text = '';
  w.isTTY = tty;
  w.columns = 200;
  return w;
}
