// Hostile and careless input to the Supervisor's control port of a real `zeek-mgmt run
// agent`, the matrix the controller's client port gets (controller-hostile.test.ts):
// without the secret, anything (garbage, plain HTTP, bad paths, upgrades with pipelined
// frames, truncated and never-finished request heads, many at once) is refused before a
// WebSocket message is read; with the secret (a misbehaving holder), bad handshakes,
// binary, malformed, non-event, ill-typed and oversized frames, truncated frames and a
// client that never reads; ill-typed diagnostics requests (ours). After each: the Supervisor is up, its agent is the same
// process, and no node was created or changed.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import WebSocket from 'ws';
import { B, BrokerData } from '../sdk/broker/data';
import { eventToData } from '../sdk/broker/event';
import { encodeDataMessage, ErrorMessage } from '../sdk/broker/messages';
import { nodeDiagnosticsFromJson } from '../sdk/model/diagnostics';
import { DiagApi } from '../sdk/model/events';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { badHandshakeIsClosed } from './helpers/hostile-websocket';
import { authorizationHeader, generateSecret, SECRET_FILE_ENV } from '../framework/supervisor/control-secret';
import { SupervisorControl } from '../framework/supervisor/events';
import { nodeConfig, nodeConfigToData, statusFromData } from '../framework/supervisor/records';
import { alive, RunHandle, startRun, tempDir, waitFor } from './run-support';

const TOPIC = 'zeek/supervisor';
const ev = (name: string, args: BrokerData[]): string => encodeDataMessage(TOPIC, eventToData({ name, args }));
const createOf = (name: string, reqid = 'r'): string => ev(SupervisorControl.create_request, [B.str(reqid), nodeConfigToData(nodeConfig(name, {}))]);

describe('Supervisor control port under hostile input', function () {
  this.timeout(60000);
  let dir: string;
  let run: RunHandle;
  let secret: string;
  let agentPid: number;
  let nodesBefore: string[];
  const closers: Array<() => void | Promise<void>> = [];

  const port = (): number => run.ports.supervisor;
  const nodesDir = (): string => path.join(run.stateDir, 'nodes');

  before(async () => {
    dir = tempDir('zeek-mgmt-sup-hostile-');
    secret = generateSecret();
    fs.writeFileSync(path.join(dir, 'secret'), secret, { mode: 0o600 });
    run = await startRun({ roles: ['agent'], env: { [SECRET_FILE_ENV]: path.join(dir, 'secret') } });
    await waitFor('the agent to be live', () => {
      const f = path.join(nodesDir(), run.agentName, 'stdout');
      return fs.existsSync(f) && /is live/.test(fs.readFileSync(f, 'utf8'));
    });
    agentPid = await supervisorStatus().then((s) => s.nodes[run.agentName].pid!);
    nodesBefore = fs.readdirSync(nodesDir()).sort();
  });

  after(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    if (run) {
      const left = await run.stop();
      fs.rmSync(run.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, [], `processes outlived zeek-mgmt run: ${left.join(', ')}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function holder(): Promise<{ client: EndpointClient; errors: ErrorMessage[] }> {
    const client = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: [TOPIC], attempts: 3, retryDelayMs: 100, headers: authorizationHeader(secret) });
    closers.push(() => client.close());
    const errors: ErrorMessage[] = [];
    client.on('error-message', (m) => errors.push(m));
    return { client, errors };
  }

  /** The Supervisor's status, asked over the control port with the secret. */
  async function supervisorStatus(): Promise<ReturnType<typeof statusFromData>> {
    const client = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: [TOPIC], attempts: 3, retryDelayMs: 100, headers: authorizationHeader(secret) });
    try {
      const reqid = `st-${Math.random()}`;
      const answer = new Promise<BrokerData>((resolve) => client.on('event', (e) => {
        if (e.name === SupervisorControl.status_response && e.args[0]?.type === 'string' && e.args[0].value === reqid) resolve(e.args[1]);
      }));
      client.publishEvent(TOPIC, { name: SupervisorControl.status_request, args: [B.str(reqid), B.str('')] });
      return statusFromData(await answer);
    } finally {
      await client.close();
    }
  }

  /** Up, the same agent, no node created, no node directory added. */
  async function unaffected(): Promise<void> {
    assert.ok(alive(run.pid), 'the Supervisor is up');
    const st = await supervisorStatus();
    assert.deepEqual(Object.keys(st.nodes), [run.agentName]);
    assert.equal(st.nodes[run.agentName].pid, agentPid, 'the agent is the same process');
    assert.deepEqual(fs.readdirSync(nodesDir()).sort(), nodesBefore);
  }

  /** Writes bytes on a raw TCP connection and returns what came back until the Supervisor closed it. */
  async function rawExchange(bytes: Buffer | string, opts: { end?: boolean } = {}): Promise<string> {
    const sock = net.connect({ host: '127.0.0.1', port: port() });
    closers.push(() => { sock.destroy(); });
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => undefined);
    const closed = new Promise((r) => sock.once('close', r));
    sock.write(bytes);
    if (opts.end) sock.end();
    await closed;
    return got;
  }

  const maskedFrame = (text: string | Buffer, opcode = 0x1, announced?: number): Buffer => {
    const p = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const len = announced ?? p.length;
    const mask = Buffer.from([9, 8, 7, 6]);
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]) : (() => {
      const h = Buffer.alloc(10);
      h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(len), 2);
      return h;
    })();
    return Buffer.concat([head, mask, Buffer.from(p.map((b, i) => b ^ mask[i & 3]))]);
  };
  const upgradeHead = (extra = ''): string =>
    `GET /v1/messages/json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

  const refusals = (): number => (run.stderr().match(/refused connection from 127\.0\.0\.1:\d+/g) ?? []).length;

  describe('without the secret', () => {
    const cases: Array<[string, () => Buffer | string, RegExp, boolean]> = [
      ['binary garbage', () => Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]), /^(HTTP\/1\.1 400 Bad Request|)/, false],
      ['a plain HTTP request', () => 'GET /v1/messages/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 426 /, false],
      ['an upgrade for another path', () => upgradeHead().replace('/v1/messages/json', '/v2/other'), /^HTTP\/1\.1 404 /, false],
      ['an upgrade without Authorization, with a handshake and a create_request pipelined', () => Buffer.concat([Buffer.from(upgradeHead()), maskedFrame('["zeek/supervisor"]'), maskedFrame(createOf('intruder'))]), /^HTTP\/1\.1 401 Unauthorized\r\n/, true],
      ['a wrong secret', () => upgradeHead(`Authorization: Bearer ${generateSecret()}\r\n`), /^HTTP\/1\.1 401 /, true],
      ['Basic authorization', () => upgradeHead(`Authorization: Basic ${Buffer.from(`agent:${secret}`).toString('base64')}\r\n`), /^HTTP\/1\.1 401 /, true],
      ['the secret in a subprotocol instead', () => upgradeHead(`Sec-WebSocket-Protocol: ${secret}\r\n`), /^HTTP\/1\.1 401 /, true],
      ['an oversized request head', () => upgradeHead(`X-Filler: ${'a'.repeat(100_000)}\r\n`), /^(HTTP\/1\.1 431 |)/, false],
    ];
    for (const [what, bytes, answer, logged] of cases) {
      it(`refuses ${what}${logged ? ', logs it' : ''}, and changes nothing`, async () => {
        const before = refusals();
        const got = await rawExchange(bytes());
        assert.match(got, answer);
        assert.ok(!got.includes('\r\n\r\n\x81'), 'no WebSocket frame came back');
        if (logged) await waitFor('the refusal in the log', () => refusals() > before);
        await unaffected();
      });
    }

    it('drops a truncated request head, and closes one that is never finished', async () => {
      assert.equal(await rawExchange(upgradeHead().slice(0, 40), { end: true }), '');
      const t0 = Date.now();
      const got = await rawExchange(upgradeHead().slice(0, 60)); // and then nothing, ever
      assert.ok(Date.now() - t0 >= 9000, 'not before the handshake timeout (10 s)');
      assert.doesNotMatch(got, /101 Switching/);
      await unaffected();
    });

    it('refuses 50 connections at once and still serves its agent', async () => {
      const before = refusals();
      const all = await Promise.all(Array.from({ length: 50 }, () => rawExchange(upgradeHead())));
      assert.ok(all.every((g) => /^HTTP\/1\.1 401 /.test(g)));
      await waitFor('50 refusals logged', () => refusals() >= before + 50);
      await unaffected();
    });

    it('cuts off a refused client that keeps its side open', async () => {
      // allowHalfOpen: the client does not close when the Supervisor has ended its side.
      const sock = net.connect({ host: '127.0.0.1', port: port(), allowHalfOpen: true });
      closers.push(() => { sock.destroy(); });
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      const failed = new Promise<string>((r) => sock.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message)));
      let got = '';
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.write(upgradeHead());
      await new Promise((r) => sock.once('end', r));
      assert.match(got, /^HTTP\/1\.1 401 /);
      // A second later the Supervisor has closed the socket for good: what the client writes now is answered with a reset.
      await new Promise((r) => setTimeout(r, 1500));
      const writing = setInterval(() => sock.write('more'), 50);
      try {
        assert.match(await failed, /ECONNRESET|EPIPE/);
      } finally {
        clearInterval(writing);
      }
      await unaffected();
    });
  });

  describe('with the secret, a misbehaving holder', () => {
    const matrix: Array<[string, string, RegExp, RegExp]> = [
      ['malformed JSON', '{"type": "data-message", "topic": ', /^deserialization_failed$/, /malformed JSON/],
      ['a JSON value that is not a message', '[1, 2, 3]', /^deserialization_failed$/, /not a data message/],
      ['an unknown data type', '{"type":"data-message","topic":"zeek/supervisor","@data-type":"quark","data":1}', /^(deserialization_failed|invalid_data|invalid_tag)$/, /quark/],
      ['data that is not an event', encodeDataMessage(TOPIC, B.vec([B.count(7)])), /^invalid_data$/, /not a Zeek event/],
    ];
    for (const [what, text, code, context] of matrix) {
      it(`answers ${what} with a Broker error and changes nothing`, async () => {
        const { client, errors } = await holder();
        client.sendRaw(text);
        await waitFor('an error message', () => errors.length > 0);
        assert.match(errors[0].code, code);
        assert.match(errors[0].context, context);
        assert.ok(client.isOpen, 'the connection stays up');
        await unaffected();
      });
    }

    it('creates nothing for ill-typed and invalid create_requests, answering what it can', async () => {
      const { client } = await holder();
      const answers: string[] = [];
      client.on('event', (e) => { if (e.name === SupervisorControl.create_response && e.args[1]?.type === 'string') answers.push(e.args[1].value); });
      client.sendRaw(ev(SupervisorControl.create_request, [B.count(1), nodeConfigToData(nodeConfig('typed', {}))]));
      client.sendRaw(ev(SupervisorControl.create_request, [B.str('r1'), B.str('not a NodeConfig')]));
      client.sendRaw(ev(SupervisorControl.create_request, [B.str('r2'), B.vec([B.count(3)])]));
      client.sendRaw(ev(SupervisorControl.create_request, [B.str('r3')]));
      client.sendRaw(ev(SupervisorControl.destroy_request, [B.count(5), B.str(run.agentName)]));
      client.sendRaw(ev(SupervisorControl.restart_request, [B.str('r4'), B.vec([])]));
      client.sendRaw(ev('SupervisorControl::nonsense_request', [B.str('r5')]));
      await waitFor('the invalid configurations answered', () => answers.length >= 3);
      assert.ok(answers.every((a) => /^invalid node configuration: /.test(a)), JSON.stringify(answers));
      await waitFor('ill-typed requests logged', () => /supervisor request SupervisorControl::create_request failed: .*argument 1 must be a string/.test(run.stderr()));
      await unaffected();
    });

    it('refuses ill-typed diagnostics requests (ours), logging them, and still answers a good one', async () => {
      const { client } = await holder();
      const answers: Array<[string, string]> = [];
      client.on('event', (e) => {
        if (e.name === DiagApi.supervisor_diagnostics_response && e.args[0]?.type === 'string' && e.args[1]?.type === 'string') answers.push([e.args[0].value, e.args[1].value]);
      });
      client.sendRaw(ev(DiagApi.supervisor_diagnostics_request, [B.count(1), B.str('')]));
      client.sendRaw(ev(DiagApi.supervisor_diagnostics_request, [B.str('d1'), B.count(2)]));
      client.sendRaw(ev(DiagApi.supervisor_diagnostics_request, []));
      client.sendRaw(ev(DiagApi.supervisor_diagnostics_request, [B.str('d2'), B.str(run.agentName)]));
      await waitFor('the good request answered', () => answers.length > 0);
      await waitFor('ill-typed requests logged', () => /supervisor request refused: ZeekMgmt::Supervisor::API::get_node_diagnostics_request: argument 2 must be a string/.test(run.stdout() + run.stderr()));
      assert.deepEqual(answers.map(([id]) => id), ['d2']);
      const list = nodeDiagnosticsFromJson(answers[0][1]);
      assert.deepEqual(list.map((d) => [d.node, d.mgmt_role, d.state, d.pid]), [[run.agentName, 'AGENT', 'RUNNING', agentPid]]);
      await unaffected();
    });

    it('answers a binary frame with an error message', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port()}/v1/messages/json`, { headers: authorizationHeader(secret) });
      closers.push(() => ws.terminate());
      const msgs: string[] = [];
      ws.on('message', (m) => msgs.push(m.toString()));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify([TOPIC]));
      ws.send(Buffer.from([1, 2, 3]));
      await waitFor('binary rejection', () => msgs.some((m) => m.includes('only JSON text messages')));
      await unaffected();
    });

    it('closes a bad handshake (1008) and a peer that never sends one', async () => {
      await badHandshakeIsClosed(`ws://127.0.0.1:${port()}/v1/messages/json`, closers, authorizationHeader(secret));
      const silent = new WebSocket(`ws://127.0.0.1:${port()}/v1/messages/json`, { headers: authorizationHeader(secret) });
      closers.push(() => silent.terminate());
      assert.equal(await new Promise<number>((r) => silent.on('close', (c) => r(c))), 1008);
      await waitFor('the log line', () => /did not complete the handshake/.test(run.stderr()));
      await unaffected();
    });

    it('disconnects a peer that sends an oversized message (1009)', async () => {
      const { client } = await holder();
      const closed = new Promise<number>((r) => client.once('close', (code) => r(code)));
      client.sendRaw(ev(SupervisorControl.status_request, [B.str('x'.repeat(17 * 1024 * 1024)), B.str('')]));
      assert.equal(await closed, 1009);
      await unaffected();
    });

    it('forgets a truncated frame when its peer goes away', async () => {
      const sock = net.connect({ host: '127.0.0.1', port: port() });
      closers.push(() => { sock.destroy(); });
      sock.on('error', () => undefined);
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      let got = '';
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.write(upgradeHead(`Authorization: Bearer ${secret}\r\n`));
      sock.write(maskedFrame('["zeek/supervisor"]'));
      await waitFor('the ack', () => got.includes('"type":"ack"'));
      const create = Buffer.from(createOf('truncated'));
      sock.write(maskedFrame(create.subarray(0, 40), 0x1, create.length).subarray(0, 60));
      await new Promise((r) => setTimeout(r, 200));
      sock.destroy();
      await unaffected();
    });

    it('stays up beside a client that sends thousands of requests and never reads', async () => {
      const sock = net.connect({ host: '127.0.0.1', port: port() });
      closers.push(() => { sock.destroy(); });
      sock.on('error', () => undefined);
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      sock.write(upgradeHead(`Authorization: Bearer ${secret}\r\n`));
      sock.write(maskedFrame('["zeek/supervisor"]'));
      sock.pause();
      const req = maskedFrame(ev(SupervisorControl.status_request, [B.str('flood'), B.str('')]));
      for (let i = 0; i < 5000; i++) sock.write(req);
      await new Promise((r) => setTimeout(r, 500));
      await unaffected();
      sock.destroy();
      await unaffected();
    });
  });
});
