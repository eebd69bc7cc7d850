// The namespace-hosts helper itself: hosts reach each other over the bridge and only over
// it, a cut link cuts, a stalled relay holds data without closing, a forward reaches a
// host's loopback from the test, killAll empties a host, teardown removes every namespace.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { benchAddress, createHosts, Hosts, netnsSkipReason } from './helpers/netns';

const ECHO_JS = `require('net').createServer((s) => s.pipe(s)).listen(Number(process.argv[1]), process.argv[2], () => console.log('listening'))`;
const SEND_JS = `const s = require('net').connect(Number(process.argv[1]), process.argv[2], () => s.write('hello'));
s.setTimeout(Number(process.argv[3]), () => { console.log('timeout'); process.exit(3); });
s.on('data', (d) => { console.log(String(d)); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(4); });`;

function nsList(): string {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
}

describe('test hosts in network namespaces (test/helpers/netns.ts)', function () {
  this.timeout(60000);
  const skip = netnsSkipReason();
  let hosts: Hosts;

  before(async function () {
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    hosts = await createHosts(2);
    const echo = hosts.exec(hosts.sensors[1], [process.execPath, '-e', ECHO_JS, '7000', '0.0.0.0']);
    await new Promise<void>((r) => echo.stdout!.on('data', () => r()));
  });

  after(async () => {
    const id = hosts?.id;
    await hosts?.teardown();
    if (id) assert.ok(!nsList().includes(id), `namespaces of ${id} left: ${nsList()}`);
  });

  // What a one-shot TCP client in host `from` (0 = controller) got back: the echo, 'timeout' or an error code.
  const send = (from: number, host: string, port: number, timeoutMs = 3000): string =>
    spawnSync('ip', ['netns', 'exec', (from === 0 ? hosts.controller : hosts.sensors[from - 1]).ns, process.execPath, '-e', SEND_JS, String(port), host, String(timeoutMs)], { encoding: 'utf8', timeout: 20000 }).stdout.trim();

  it('gives each host an address from 198.18.0.0/15 on one bridge', () => {
    assert.deepEqual(hosts.all().map((h) => h.addr), ['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    assert.equal(benchAddress(300), '198.18.1.44');
    assert.throws(() => benchAddress(1 << 17), /198\.18\.0\.0\/15/);
    assert.match(hosts.execSync(hosts.sensors[0], ['ip', '-4', 'addr', 'show', 'eth0']), /198\.18\.0\.2\/15/);
    assert.equal(send(1, hosts.sensors[1].addr, 7000), 'hello');
    assert.equal(send(0, hosts.sensors[1].addr, 7000), 'hello');
  });

  it('keeps each host\'s loopback to itself', () => {
    // sensor-2's echo listens on 0.0.0.0, but sensor-1's 127.0.0.1 is sensor-1's own.
    assert.equal(send(1, '127.0.0.1', 7000, 2000), 'ECONNREFUSED');
  });

  it('cuts a link and heals it', () => {
    hosts.linkDown(hosts.sensors[1]);
    try {
      assert.equal(send(1, hosts.sensors[1].addr, 7000, 1500), 'timeout');
    } finally {
      hosts.linkUp(hosts.sensors[1]);
    }
    let got = '';
    for (let i = 0; i < 20 && got !== 'hello'; i++) got = send(1, hosts.sensors[1].addr, 7000, 1500);
    assert.equal(got, 'hello');
  });

  it('caps a link with tbf and removes the cap', () => {
    hosts.cap(hosts.sensors[1], '1mbit');
    assert.match(hosts.execSync(hosts.sensors[1], ['tc', 'qdisc', 'show', 'dev', 'eth0']), /tbf .*rate 1Mbit/);
    assert.equal(send(1, hosts.sensors[1].addr, 7000), 'hello');
    hosts.uncap(hosts.sensors[1]);
    assert.doesNotMatch(hosts.execSync(hosts.sensors[1], ['tc', 'qdisc', 'show', 'dev', 'eth0']), /tbf/);
  });

  it('relays through a delaying relay, which stalls without closing and resumes', async () => {
    const relay = await hosts.relay(hosts.sensors[0], { host: '127.0.0.1', port: 7100 }, { host: hosts.sensors[1].addr, port: 7000 }, 50);
    const fwd = await hosts.forward(hosts.sensors[0], 7100);
    try {
      const sock = net.connect(fwd.port, '127.0.0.1');
      const got: string[] = [];
      let closed = false;
      sock.on('data', (d) => got.push(String(d)));
      sock.on('close', () => (closed = true));
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write('one');
      for (let i = 0; i < 100 && got.join('') !== 'one'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.join(''), 'one');
      relay.stall();
      sock.write('two');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(got.join(''), 'one', 'nothing passes a stalled relay');
      assert.equal(closed, false, 'a stalled relay closes nothing');
      relay.resume();
      for (let i = 0; i < 100 && got.join('') !== 'onetwo'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.join(''), 'onetwo');
      sock.destroy();
    } finally {
      await fwd.close();
      await relay.close();
    }
  });

  it('kills everything in one host and nothing elsewhere', async () => {
    const sleeper = hosts.exec(hosts.sensors[0], ['sleep', '60']);
    const other = hosts.exec(hosts.controller, ['sleep', '60']);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(hosts.pids(hosts.sensors[0]).includes(sleeper.pid!));
    const killed = await hosts.killAll(hosts.sensors[0]);
    assert.ok(killed.includes(sleeper.pid!));
    assert.deepEqual(hosts.pids(hosts.sensors[0]), []);
    assert.ok(hosts.pids(hosts.controller).includes(other.pid!));
    await hosts.killAll(hosts.controller);
  });
});
