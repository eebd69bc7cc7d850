// The Supervisor's status reply on the wire. The Supervisor keeps one copy of each
// distinct cluster layout, builds its status reply around shared layout subtrees and
// writes it in parts (stored-node-configs.ts, EndpointServer's sendParts); what an agent
// receives must stay what it was: one WebSocket text frame whose text is
// encodeDataMessage(statusToData(every node's NodeConfig as created, with its pid)),
// Zeek's SupervisorControl::status_response with every node's full cluster table.
// Checked byte for byte with a raw TCP client, against that independent construction.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { B, BrokerData } from '../sdk/broker/data';
import { eventToData } from '../sdk/broker/event';
import { encodeDataFieldsAfter, encodeDataFieldsAfterParts } from '../sdk/broker/json-encode';
import { encodeDataMessage } from '../sdk/broker/messages';
import { textFrameHeader } from '../sdk/transport/endpoint-server';
import { generateSecret } from '../framework/supervisor/control-secret';
import { SupervisorControlServer } from '../framework/supervisor/control-server';
import { SupervisorControl } from '../framework/supervisor/events';
import { ClusterEndpoint, clusterToData, nodeConfig, NodeConfig, nodeConfigToData, statusToData, SupervisorStatus } from '../framework/supervisor/records';
import { LaunchCommand, Launcher, Supervisor } from '../framework/supervisor/supervisor';
import { alive, tempDir } from './run-support';

const SECRET = generateSecret();
const LONG = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));';

class ScriptLauncher implements Launcher {
  command(cfg: NodeConfig): LaunchCommand {
    return { file: process.execPath, args: ['-e', LONG], env: { PATH: process.env.PATH ?? '' }, cwd: cfg.directory ?? os.tmpdir() };
  }
}

/** A WebSocket client on a bare TCP socket that keeps every frame it receives as raw bytes. */
class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.split();
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(port: number, topics: string[], secret = SECRET): Promise<RawClient> {
    const sock = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    sock.write(`GET /v1/messages/json HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Authorization: Bearer ${secret}\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const head = await new Promise<Buffer>((resolve) => {
      let got = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d]);
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.off('data', onData);
        sock.pause();
        resolve(got.subarray(end + 4));
      };
      sock.on('data', onData);
    });
    const c = new RawClient(sock);
    c.buf = head;
    sock.resume();
    c.split();
    c.send(JSON.stringify(topics));
    await c.frame(0); // the ack
    return c;
  }

  /** Sends a masked text frame. */
  send(text: string): void {
    const payload = Buffer.from(text, 'utf8');
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]) : (() => {
      const h = Buffer.alloc(10);
      h[0] = 0x81; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(len), 2);
      return h;
    })();
    for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
    this.sock.write(Buffer.concat([head, mask, payload]));
  }

  private split(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      this.frames.push(Buffer.from(this.buf.subarray(0, off + len)));
      this.buf = this.buf.subarray(off + len);
    }
  }

  /** The i-th frame received, once it is complete. */
  async frame(i: number, timeoutMs = 10000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length <= i) {
      if (Date.now() > deadline) throw new Error(`no frame #${i} within ${timeoutMs} ms (have ${this.frames.length})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.frames[i];
  }

  /** The next frame whose text contains `needle`, from frame `from` on; returns its index and bytes. */
  async frameWith(needle: string, from: number): Promise<{ index: number; bytes: Buffer }> {
    for (let i = from; ; i++) {
      const bytes = await this.frame(i);
      if (bytes.includes(needle)) return { index: i, bytes };
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

const event = (topic: string, name: string, args: BrokerData[]): string => encodeDataMessage(topic, eventToData({ name, args }));

describe('supervisor status reply', function () {
  this.timeout(20000);
  let dir: string;
  let sup: Supervisor;
  let control: SupervisorControlServer;
  let client: RawClient | null = null;

  beforeEach(async () => {
    dir = tempDir('zeek-mgmt-status-reply-');
    sup = new Supervisor({ launcher: new ScriptLauncher(), outputMaxLines: 3, stdoutFile: 'stdout', stderrFile: 'stderr' });
    control = new SupervisorControlServer(sup, { host: '127.0.0.1', port: 0, topicPrefix: 'zeek/supervisor', managementTopic: 'zeek/management/supervisor', secret: SECRET });
    await control.listen();
  });

  afterEach(async () => {
    client?.close();
    client = null;
    const pids = sup.pids();
    await sup.shutdown();
    await control.close();
    for (const p of pids) assert.equal(alive(p), false, `pid ${p} survived shutdown`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A layout of `n` endpoints with the shapes Zeek's records allow: IPv4/IPv6 hosts, port 0 (unknown), optional fields set and unset. */
  const layout = (n: number, variant = 0): Record<string, ClusterEndpoint> => {
    const out: Record<string, ClusterEndpoint> = {
      manager: { role: 'MANAGER', host: '127.0.0.1', p: 2200 + variant, interface: null, pcap_file: null, metrics_port: 9000 },
      logger: { role: 'LOGGER', host: '::1', p: 0, interface: null, pcap_file: null, metrics_port: null },
    };
    for (let i = 0; i < n - 2; i++) {
      out[`worker-${i}`] = { role: 'WORKER', host: '10.0.0.1', p: 2210 + i, interface: i % 2 ? 'eth-ü' : 'lo', pcap_file: i === 0 ? '/tmp/trace "a".pcap' : null, metrics_port: 9010 + i };
    }
    return out;
  };

  /**
   * Creates nodes through the wire, every request sent before the first response arrives
   * (so layouts equal to one not yet stored arrive together: still stored once).
   */
  async function createAll(c: RawClient, configs: NodeConfig[]): Promise<void> {
    let from = 1;
    for (const [i, cfg] of configs.entries()) c.send(event('zeek/supervisor', SupervisorControl.create_request, [B.str(`c${i}`), nodeConfigToData(cfg)]));
    for (const [i, cfg] of configs.entries()) {
      const r = await c.frameWith(`create_response/c${i}`, from);
      assert.ok(r.bytes.includes('"data":""}'), `create of ${cfg.name} failed: ${r.bytes.toString('utf8').slice(0, 300)}`);
      from = r.index + 1;
    }
  }

  /** The status reply for `name`, as raw frame bytes, and the frame expected from the configs as created. */
  async function statusFrames(c: RawClient, reqid: string, name: string, configs: NodeConfig[]): Promise<{ got: Buffer; expected: Buffer }> {
    const from = c.frames.length;
    c.send(event('zeek/supervisor', SupervisorControl.status_request, [B.str(reqid), B.str(name)]));
    const got = (await c.frameWith(`status_response/${reqid}`, from)).bytes;
    const pids = sup.status(name).nodes;
    const expectedStatus: SupervisorStatus = { nodes: {} };
    for (const cfg of configs) if (name === '' || cfg.name === name) expectedStatus.nodes[cfg.name] = { node: cfg, pid: pids[cfg.name].pid };
    const text = event(`zeek/supervisor/status_response/${reqid}`, SupervisorControl.status_response, [B.str(reqid), statusToData(expectedStatus)]);
    const payload = Buffer.from(text, 'utf8');
    return { got, expected: Buffer.concat([textFrameHeader(payload.length), payload]) };
  }

  it('sends every node its full cluster table, byte for byte as built from the configs, in one frame', async () => {
    const shared = layout(12);
    const other = layout(12, 1);
    const configs = [
      ...['worker-0', 'worker-1', 'manager', 'logger'].map((n, i) => nodeConfig(n, {
        directory: path.join(dir, n), cluster: shared, runtime: 'emulated', addl_user_scripts: ['policy/frameworks/management/node', `site/${n}.zeek`],
        env: { A: 'x', UNICODE: 'grüße \u2603', QUOTE: 'say "hi"\\' }, interface: i === 0 ? 'lo' : null, cpu_affinity: i === 1 ? 3 : null,
      })),
      // The same layout content as a separate table: still one layout kept.
      nodeConfig('worker-2', { directory: path.join(dir, 'worker-2'), cluster: { ...shared }, runtime: 'emulated' }),
      // A different layout (another port for the manager).
      nodeConfig('worker-3', { directory: path.join(dir, 'worker-3'), cluster: other, bare_mode: false, stdout_file: 'out.log' }),
    ];
    client = await RawClient.connect(control.server.address!.port, ['zeek/supervisor']);
    await createAll(client, configs);
    assert.equal(sup.layouts, 2);
    for (const [reqid, name] of [['s1', ''], ['s2', 'manager'], ['s3', 'worker-3'], ['s4', 'nope']]) {
      const { got, expected } = await statusFrames(client, reqid, name, configs);
      assert.ok(got.equals(expected), `status reply for '${name}' differs: got ${got.length} bytes, expected ${expected.length}`);
    }
    // Destroyed nodes release their layout.
    for (const n of ['worker-0', 'worker-1', 'manager', 'logger', 'worker-2']) assert.equal(await sup.destroy(n), true);
    assert.equal(sup.layouts, 1);
    const { got, expected } = await statusFrames(client, 's5', '', configs.slice(5));
    assert.ok(got.equals(expected), 'status reply after the destroys differs');
    assert.equal(await sup.destroy(''), true);
    assert.equal(sup.layouts, 0);
  });

  it('keeps the frame whole and in order at sizes past 64 KiB, with other messages around it', async () => {
    // 60 nodes of one 60-endpoint layout: a reply of ~1.3 MB (a frame with a 64-bit length).
    const shared = layout(60);
    const configs = Object.keys(shared).map((n) => nodeConfig(n, { directory: path.join(dir, n), cluster: shared, runtime: 'emulated' }));
    client = await RawClient.connect(control.server.address!.port, ['zeek/supervisor']);
    await createAll(client, configs);
    assert.equal(sup.layouts, 1);
    // Two requests back to back: both replies arrive whole, one after the other, each as built from the configs.
    const from = client.frames.length;
    client.send(event('zeek/supervisor', SupervisorControl.status_request, [B.str('big1'), B.str('')]));
    client.send(event('zeek/supervisor', SupervisorControl.status_request, [B.str('sm1'), B.str('manager')]));
    client.send(event('zeek/supervisor', SupervisorControl.status_request, [B.str('big2'), B.str('')]));
    const a = await client.frameWith('status_response/big1', from);
    const b = await client.frameWith('status_response/sm1', a.index + 1);
    const c = await client.frameWith('status_response/big2', b.index + 1);
    assert.ok(a.bytes.length > 1_000_000, `reply of ${a.bytes.length} bytes`);
    const big = await statusFrames(client, 'big3', '', configs);
    assert.ok(big.got.equals(big.expected), 'status reply differs');
    const small = await statusFrames(client, 'sm2', 'manager', configs);
    assert.ok(small.got.equals(small.expected), 'single-node reply differs');
    // The burst's replies: the same bytes but for the request id (of the same length).
    const asFor = (frame: Buffer, from: string, to: string): Buffer => Buffer.from(frame.toString('latin1').split(from).join(to), 'latin1');
    assert.ok(asFor(a.bytes, 'big1', 'big3').equals(big.expected), 'first reply differs');
    assert.ok(asFor(c.bytes, 'big2', 'big3').equals(big.expected), 'third reply differs');
    assert.ok(asFor(b.bytes, 'sm1', 'sm2').equals(small.expected), 'second reply differs');
  });
});

describe('encodeDataFieldsAfterParts', () => {
  it('joins to the whole text and writes a known subtree as its one string wherever it occurs', () => {
    const layoutData = clusterToData({ w: { role: 'WORKER', host: '::1', p: 0, interface: 'é', pcap_file: null, metrics_port: 9 } });
    const shared = B.vec([B.str('x'), layoutData]);
    const data = B.vec([B.table([[B.str('a'), shared], [B.str('b'), B.vec([B.count(1n), layoutData])]]), B.none(), layoutData]);
    const text = encodeDataFieldsAfter('', layoutData);
    const parts = encodeDataFieldsAfterParts('{"p":1,', data, new Map([[layoutData, text]]));
    assert.equal(parts.join(''), encodeDataFieldsAfter('{"p":1,', data));
    assert.equal(parts.filter((p) => p === text).length, 3);
    // Nothing known: one part, the whole text.
    assert.deepEqual(encodeDataFieldsAfterParts('', data, new Map()), [encodeDataFieldsAfter('', data)]);
  });
});
