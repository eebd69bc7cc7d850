// NativePeer against a real Zeek process (ZEEK, or zeek on the PATH, or /opt/zeek/bin/zeek):
// we connect to Zeek's Broker::listen, and Zeek's Broker::peer connects to our listener,
// over Broker's default anonymous TLS and over plain TCP (Broker::disable_ssl=T). A Zeek
// script answers our event with one carrying every Zeek type. Skipped where no Zeek is
// installed. With BROKER_CAPTURE_DIR set, the frames seen are written there (that is how
// test/fixtures/broker-native/ was made).

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { ZeekEvent } from '../sdk/broker/event';
import { NativeListener, NativePeer } from '../sdk/broker/native/peer';
import { freePorts } from '../provider/free-ports';
import { findZeek } from './helpers/real-zeek';

const SCRIPT = `
redef exit_only_after_terminate = T;
global pong: event(s: string, n: count, i: int, r: double, a: addr, a6: addr, sn: subnet, p: port, ts: time, iv: interval,
                   e: transport_proto, b: bool, v: vector of string, t: table[string] of count, st: set[count]);
global ping: event(s: string);
event ping(s: string) {
  Broker::publish("test/reply", pong, s, 42, -7, 2.5, 10.0.0.1, [2001:db8::1], 10.0.0.0/8, 8080/tcp,
                  double_to_time(1700000000.5), 3sec, udp, T, vector("a", "b"), table(["k"] = 7), set(1, 2));
}
event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string) { print "peer_added"; }
event Broker::peer_lost(endpoint: Broker::EndpointInfo, msg: string) { print "peer_lost"; terminate(); }
event Broker::peer_removed(endpoint: Broker::EndpointInfo, msg: string) { print "peer_removed"; terminate(); }
event zeek_init() {
  Broker::subscribe("test");
  local p = to_port(getenv("ZPORT") + "/tcp");
  if ( getenv("ZMODE") == "listen" ) Broker::listen("127.0.0.1", p);
  else Broker::peer("127.0.0.1", p, 1sec);
  print "started";
}
`;

const zeek = findZeek();

describe('native Broker against a real Zeek', function () {
  let dir: string;
  let proc: ChildProcess | undefined;

  before(function () {
    if (!zeek) {
      console.log('      (skipped: no zeek binary; set ZEEK to run these)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-zeek-'));
    fs.writeFileSync(path.join(dir, 'peer.zeek'), SCRIPT);
  });
  afterEach(async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      process.kill(proc.pid as number, 'SIGTERM');
      await exited;
    }
    proc = undefined;
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  function startZeek(mode: 'listen' | 'peer', port: number, useTls: boolean): void {
    const args = ['-b', path.join(dir, 'peer.zeek')];
    if (!useTls) args.push('Broker::disable_ssl=T');
    proc = spawn(zeek as string, args, { cwd: dir, env: { ...process.env, ZPORT: String(port), ZMODE: mode }, stdio: 'ignore' });
  }

  /** Connects once Zeek listens (its stdout is buffered on a pipe, so no "ready" line can be waited for). */
  async function connectToZeek(port: number, useTls: boolean): Promise<NativePeer> {
    for (;;) {
      try {
        return await NativePeer.connect('127.0.0.1', port, { tls: useTls, filter: ['test/reply'], tap });
      } catch (err) {
        if (proc?.exitCode !== null) throw new Error(`zeek exited (${proc?.exitCode}) before listening`);
        if (!(err instanceof WireError) || err.code !== 'peer_unavailable') throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  const frames: string[] = [];
  const tap = (d: 'in' | 'out', m: Buffer, phase: 'handshake' | 'peered'): void => { frames.push(`${d} ${phase} ${m.toString('hex')}`); };

  async function exchange(p: NativePeer): Promise<ZeekEvent> {
    // Zeek's filter arrives in the handshake; wait for the routing update carrying ours to be applied.
    assert.ok(p.remoteFilter.includes('test'), `Zeek subscribed to test: ${p.remoteFilter.join(',')}`);
    const reply = once(p, 'event') as Promise<[string, ZeekEvent]>;
    // Zeek may take a moment to apply our filter; publish until the reply comes.
    const timer = setInterval(() => { if (!p.isClosed) p.publishEvent('test', { name: 'ping', args: [B.str('hello from ts')] }); }, 200);
    p.publishEvent('test', { name: 'ping', args: [B.str('hello from ts')] });
    try {
      const [topic, ev] = await reply;
      assert.equal(topic, 'test/reply');
      return ev;
    } finally {
      clearInterval(timer);
    }
  }

  function checkPong(ev: ZeekEvent): void {
    assert.equal(ev.name, 'pong');
    assert.deepEqual(ev.args, [
      B.str('hello from ts'), B.count(42), B.int(-7), B.real(2.5), B.addr('10.0.0.1'), B.addr('2001:db8::1'),
      B.subnet('10.0.0.0/8'), B.port(8080, 'tcp'), B.timestamp(1700000000500000000n), B.timespan(3000000000n),
      B.enum('udp'), B.bool(true), B.vec([B.str('a'), B.str('b')]), B.table([[B.str('k'), B.count(7)]]),
      B.set([B.count(1), B.count(2)]),
    ]);
  }

  for (const useTls of [true, false]) {
    const how = useTls ? 'anonymous TLS (Zeek default)' : 'plain TCP (disable_ssl)';
    it(`we peer with Zeek's Broker::listen over ${how}`, async () => {
      const port = await freePorts(1);
      frames.push(`# we connect to Zeek's Broker::listen, ${how}`);
      startZeek('listen', port, useTls);
      const p = await connectToZeek(port, useTls);
      checkPong(await exchange(p));
      await p.ping();
      const exited = once(proc as ChildProcess, 'exit');
      await p.unpeer();
      await exited; // the script terminates on peer_lost
    });

    it(`Zeek's Broker::peer peers with our listener over ${how}`, async () => {
      const port = await freePorts(1);
      frames.push(`# Zeek's Broker::peer connects to us, ${how}`);
      const listener = new NativeListener({ port, tls: useTls, filter: ['test/reply'], tap });
      await listener.listen();
      try {
        const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
        startZeek('peer', port, useTls);
        const [p] = await accepted;
        checkPong(await exchange(p));
        await p.ping();
        const exited = once(proc as ChildProcess, 'exit');
        await p.unpeer();
        await exited;
      } finally {
        await listener.close();
      }
    });
  }

  it("a real Zeek management agent (zeek -j, TLS) peers with our listener and sends notify_agent_hello", async () => {
    const port = await freePorts(1);
    const agentPort = await freePorts(1);
    const supervisorPort = await freePorts(1); // the Supervisor listens on Broker::default_port
    const listener = new NativeListener({ port, filter: ['zeek/management/'] });
    await listener.listen();
    try {
      const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
      const state = fs.mkdtempSync(path.join(dir, 'agent-'));
      proc = spawn(zeek as string, ['-j', 'policy/frameworks/management/agent',
        `Management::Agent::controller=[$address="127.0.0.1", $bound_port=${port}/tcp]`,
        `Management::Agent::default_port=${agentPort}/tcp`, 'Management::Agent::name=agent-native-test', `Broker::default_port=${supervisorPort}/tcp`],
      { cwd: state, env: { ...process.env, ZEEK_MANAGEMENT_STATE_DIR: state }, stdio: 'ignore' });
      const [p] = await accepted;
      const [topic, ev] = (await once(p, 'event')) as [string, ZeekEvent];
      assert.equal(topic, 'zeek/management/agent/agent-native-test');
      assert.equal(ev.name, 'Management::Agent::API::notify_agent_hello');
      assert.deepEqual(ev.args, [B.str('agent-native-test'), B.str(p.remoteId.toString()), B.bool(true), B.count(1)]);
      p.close();
    } finally {
      await listener.close();
    }
  });

  it("a real Zeek management controller (zeek -j, TLS) registers our peer's notify_agent_hello and lists it in get_instances", async () => {
    const supervisorPort = await freePorts(1);
    const controllerPort = await freePorts(1);
    const websocketPort = await freePorts(1);
    const state = fs.mkdtempSync(path.join(dir, 'controller-'));
    proc = spawn(zeek as string, ['-j', 'policy/frameworks/management/controller', `Broker::default_port=${supervisorPort}/tcp`,
      `Management::Controller::default_port=${controllerPort}/tcp`, `Management::Controller::default_port_websocket=${websocketPort}/tcp`],
    { cwd: state, env: { ...process.env, ZEEK_MANAGEMENT_STATE_DIR: state }, stdio: 'ignore' });
    let p: NativePeer | undefined;
    while (!p) {
      try {
        p = await NativePeer.connect('127.0.0.1', controllerPort, { filter: ['zeek/management/agent/agent-ts', 'zeek/management/controller'] });
      } catch (err) {
        if (proc.exitCode !== null) throw new Error(`zeek exited (${proc.exitCode})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    try {
      p.publishEvent('zeek/management/agent/agent-ts', { name: 'Management::Agent::API::notify_agent_hello', args: [B.str('agent-ts'), B.str(p.localId.toString()), B.bool(true), B.count(1)] });
      // The controller handles events in order, so the hello is registered before this request.
      const reply = once(p, 'event') as Promise<[string, ZeekEvent]>;
      p.publishEvent('zeek/management/controller', { name: 'Management::Controller::API::get_instances_request', args: [B.str('req-ts-1')] });
      const [topic, ev] = await reply;
      assert.equal(topic, 'zeek/management/controller');
      assert.equal(ev.name, 'Management::Controller::API::get_instances_response');
      // [reqid, Result[reqid, success, instance, data = vector of Instance[name, host, listen_port], error, node]]
      assert.deepEqual(ev.args, [B.str('req-ts-1'), B.vec([B.str('req-ts-1'), B.bool(true), B.none(),
        B.vec([B.vec([B.str('agent-ts'), B.addr('127.0.0.1'), B.none()])]), B.none(), B.none()])]);
    } finally {
      p.close();
    }
  });

  after(() => {
    const out = process.env.BROKER_CAPTURE_DIR;
    if (out && frames.length > 0) {
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, 'zeek-8.0.9-frames.txt'), frames.join('\n') + '\n');
    }
  });
});
