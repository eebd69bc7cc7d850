// Test hosts as Linux network namespaces. createHosts() builds a controller host and N
// sensor hosts, each a namespace of its own with one veth (`eth0`) onto a bridge that sits
// in yet another namespace, addressed from 198.18.0.0/15 (the benchmarking range). Nothing
// is added to the namespace the test runs in, so nothing is routed outside what the test
// made. Namespace names carry this process's pid, so parallel runs do not collide, and
// namespaces left by a run whose process is gone are removed on the next createHosts().
//
// What a test can do with a host: spawn a command inside it (exec / execSync), cut and
// heal its link (linkDown / linkUp), cap its bandwidth with tbf both ways (cap / uncap),
// run a TCP relay inside it that delays each direction and can stall without closing
// (relay), reach one of its TCP ports from the test process (forward), and kill every
// process in it (killAll). teardown() kills every process in every namespace and deletes
// the namespaces; it is safe to call twice and also runs at process exit.
//
// netnsSkipReason() says in one line why namespaces cannot be made here (not root, no
// `ip`, the kernel refuses), or null.

import { ChildProcess, spawn, spawnSync, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const PREFIX = 'zmns';

export interface NetnsHost {
  /** 'controller' or 'sensor-1' ... 'sensor-N'. */
  name: string;
  /** The namespace's name (for `ip netns exec`). */
  ns: string;
  /** The host's address on the bridge, from 198.18.0.0/15. */
  addr: string;
  /** The bridge-side end of the host's veth, inside the bridge namespace. */
  port: string;
}

export interface Relay {
  /** The relay process's pid (it runs inside the host's namespace). */
  pid: number;
  /** Stops forwarding without closing any connection or the listener (SIGSTOP). */
  stall(): void;
  /** Forwards again after stall() (SIGCONT). */
  resume(): void;
  /** Ends the relay and its connections. */
  close(): Promise<void>;
}

export interface Forward {
  /** A port on 127.0.0.1 in the test's own namespace that reaches the host's port. */
  port: number;
  close(): Promise<void>;
}

export interface Hosts {
  id: string;
  bridgeNs: string;
  controller: NetnsHost;
  sensors: NetnsHost[];
  all(): NetnsHost[];
  /** Spawns argv[0] with argv[1..] inside the host's namespace; the child's pid is the command's own. */
  exec(host: NetnsHost, argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Runs a command inside the host's namespace to completion; throws with its stderr when it fails. */
  execSync(host: NetnsHost, argv: string[], timeoutMs?: number): string;
  /** Takes the bridge side of the host's veth down: its link is cut, nothing is closed. */
  linkDown(host: NetnsHost): void;
  linkUp(host: NetnsHost): void;
  /** A tbf cap on both directions of the host's link, e.g. cap(h, '1mbit'). */
  cap(host: NetnsHost, rate: string, opts?: { burst?: string; latency?: string }): void;
  uncap(host: NetnsHost): void;
  /** A TCP relay inside the host: listens on listen, connects each accepted connection to target, holds every chunk delayMs in each direction. */
  relay(host: NetnsHost, listen: { host: string; port: number }, target: { host: string; port: number }, delayMs: number): Promise<Relay>;
  /**
   * Makes the host's 127.0.0.1:port (or addr:port) reachable from the test process (an SDK
   * client, say). The test process's own event loop carries the bytes, so a client run with
   * spawnSync cannot use it: run such a client inside the host with execSync instead.
   */
  forward(host: NetnsHost, port: number, addr?: string): Promise<Forward>;
  /** Pids of every process inside the host's namespace. */
  pids(host: NetnsHost): number[];
  /** SIGKILL to every process inside the host's namespace; resolves once they are gone (bounded). */
  killAll(host: NetnsHost): Promise<number[]>;
  /** Kills everything in every namespace made here and deletes them. Idempotent. */
  teardown(): Promise<void>;
}

function ip(args: string[], timeoutMs = 10000): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

function tc(ns: string, args: string[]): void {
  const r = spawnSync('tc', ['-n', ns, ...args], { encoding: 'utf8', timeout: 10000 });
  if (r.error) throw new Error(`tc -n ${ns} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tc -n ${ns} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

let cachedSkip: string | null | undefined;

/** Why network namespaces cannot be made here, in one line; null where they can. */
export function netnsSkipReason(): string | null {
  if (cachedSkip !== undefined) return cachedSkip;
  cachedSkip = (() => {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (not root here)';
    const v = spawnSync('ip', ['-V'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) return 'no `ip` command (iproute2) here';
    const probe = `${PREFIX}-${process.pid}-probe`;
    const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
    if (r.status !== 0) return `cannot create a network namespace: ${(r.stderr || '').trim()}`;
    const b = spawnSync('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge'], { encoding: 'utf8' });
    spawnSync('ip', ['netns', 'del', probe]);
    if (b.status !== 0) return `cannot create a bridge in a namespace: ${(b.stderr || '').trim()}`;
    return null;
  })();
  return cachedSkip;
}

/** 198.18.0.0 + n, as a dotted quad (n < 2^17). */
export function benchAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n >= 1 << 17) throw new Error(`no address 198.18.0.0 + ${n} in 198.18.0.0/15`);
  const v = ((198 << 24) >>> 0) + (18 << 16) + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function nsPids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function killNs(ns: string): number[] {
  const pids = nsPids(ns);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return pids;
}

/** Namespaces named by a run whose process is gone: killed and deleted. */
function removeStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (r.stdout || '').split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-\\S+)`).exec(line);
    if (!m || Number(m[2]) === process.pid || pidAlive(Number(m[2]))) continue;
    killNs(m[1]);
    spawnSync('ip', ['netns', 'del', m[1]]);
  }
}

// The relay, run as `node -e RELAY_JS listenHost listenPort targetHost targetPort delayMs`.
// Each chunk is held delayMs before it is written on, in order, in each direction; a peer's
// end or error ends the other side once what was held has gone out.
const RELAY_JS = `
const net = require('net');
const [lh, lp, th, tp, d] = process.argv.slice(1);
const delay = Number(d);
function pipe(from, to) {
  let last = 0;
  const later = (fn) => { const at = Math.max(Date.now() + delay, last); last = at; setTimeout(fn, at - Date.now()); };
  from.on('data', (c) => later(() => { if (!to.destroyed) to.write(c); }));
  from.on('end', () => later(() => to.end()));
  from.on('error', () => later(() => to.destroy()));
  from.on('close', () => later(() => to.destroy()));
}
const server = net.createServer((a) => {
  const b = net.connect(Number(tp), th);
  a.setNoDelay(true); b.setNoDelay(true);
  pipe(a, b); pipe(b, a);
});
server.on('error', (e) => { console.error('relay: ' + e.message); process.exit(2); });
server.listen(Number(lp), lh, () => console.log('listening'));
`;

// A port forward from a unix socket (shared across namespaces through the file system) to a
// TCP port inside the namespace: `node -e FORWARD_JS socketPath targetHost targetPort`.
const FORWARD_JS = `
const net = require('net');
const [sock, th, tp] = process.argv.slice(1);
const server = net.createServer((a) => {
  const b = net.connect(Number(tp), th);
  a.pipe(b); b.pipe(a);
  a.on('error', () => b.destroy()); b.on('error', () => a.destroy());
  a.on('close', () => b.destroy()); b.on('close', () => a.destroy());
});
server.on('error', (e) => { console.error('forward: ' + e.message); process.exit(2); });
server.listen(sock, () => console.log('listening'));
`;

function waitListening(child: ChildProcess, what: string, timeoutMs = 10000): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what}: not listening after ${timeoutMs} ms ${err}`)), timeoutMs);
    child.stderr?.on('data', (d) => (err += d));
    child.stdout?.on('data', (d) => {
      if (String(d).includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? sig}): ${err.trim()}`));
    });
  });
}

/**
 * Makes a controller host and `sensors` sensor hosts. The controller is 198.18.0.1, sensor
 * i is 198.18.0.0 + 1 + i (the /15 holds some 130,000). Each host's lo is up, so a process
 * there can bind 127.0.0.1 as it would on its own machine. On failure half-way everything
 * made so far is removed before the error is thrown.
 */
export async function createHosts(sensors: number): Promise<Hosts> {
  const skip = netnsSkipReason();
  if (skip) throw new Error(skip);
  if (!Number.isInteger(sensors) || sensors < 0 || sensors > 4000) throw new Error(`sensors must be 0..4000, not ${sensors}`);
  removeStale();
  const id = `${PREFIX}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const bridgeNs = `${id}-br`;
  const made: string[] = [];
  const hosts: NetnsHost[] = [];
  const children = new Set<ChildProcess>();
  const servers = new Set<net.Server>();
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmns-sock-'));
  let forwards = 0;
  let torn = false;

  const teardownSync = (): void => {
    if (torn) return;
    torn = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of servers) s.close();
    for (const ns of made) killNs(ns);
    for (const ns of made.slice().reverse()) spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(sockDir, { recursive: true, force: true });
    process.removeListener('exit', teardownSync);
  };
  process.on('exit', teardownSync);

  try {
    ip(['netns', 'add', bridgeNs]);
    made.push(bridgeNs);
    ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    ip(['-n', bridgeNs, 'link', 'set', 'lo', 'up']);
    for (let i = 0; i <= sensors; i++) {
      const name = i === 0 ? 'controller' : `sensor-${i}`;
      const ns = `${id}-${i === 0 ? 'c' : `s${i}`}`;
      const port = `p${i}`;
      const addr = benchAddress(1 + i);
      ip(['netns', 'add', ns]);
      made.push(ns);
      ip(['-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', bridgeNs, 'link', 'set', port, 'master', 'br0']);
      ip(['-n', bridgeNs, 'link', 'set', port, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${addr}/15`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      hosts.push({ name, ns, addr, port });
    }
  } catch (err) {
    teardownSync();
    throw err;
  }

  const exec = (host: NetnsHost, argv: string[], opts: SpawnOptions = {}): ChildProcess => {
    if (torn) throw new Error('hosts already torn down');
    const child = spawn('ip', ['netns', 'exec', host.ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  const hostsApi: Hosts = {
    id, bridgeNs,
    controller: hosts[0],
    sensors: hosts.slice(1),
    all: () => hosts.slice(),
    exec,
    execSync(host, argv, timeoutMs = 30000) {
      const r = spawnSync('ip', ['netns', 'exec', host.ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
      if (r.error) throw new Error(`${argv.join(' ')} in ${host.name}: ${r.error.message}`);
      if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${host.name}: exit ${r.status ?? r.signal}: ${(r.stderr || '').trim()}`);
      return r.stdout;
    },
    linkDown: (host) => void ip(['-n', bridgeNs, 'link', 'set', host.port, 'down']),
    linkUp: (host) => void ip(['-n', bridgeNs, 'link', 'set', host.port, 'up']),
    cap(host, rate, opts = {}) {
      const spec = ['root', 'tbf', 'rate', rate, 'burst', opts.burst ?? '16kb', 'latency', opts.latency ?? '500ms'];
      tc(host.ns, ['qdisc', 'replace', 'dev', 'eth0', ...spec]);
      tc(bridgeNs, ['qdisc', 'replace', 'dev', host.port, ...spec]);
    },
    uncap(host) {
      tc(host.ns, ['qdisc', 'del', 'dev', 'eth0', 'root']);
      tc(bridgeNs, ['qdisc', 'del', 'dev', host.port, 'root']);
    },
    async relay(host, listen, target, delayMs) {
      if (!(delayMs >= 0)) throw new Error(`relay delay must be >= 0 ms, not ${delayMs}`);
      const child = exec(host, [process.execPath, '-e', RELAY_JS, listen.host, String(listen.port), target.host, String(target.port), String(delayMs)]);
      try {
        await waitListening(child, `relay in ${host.name} on ${listen.host}:${listen.port}`);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      const signal = (s: NodeJS.Signals): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill(s);
      };
      return {
        pid: child.pid!,
        stall: () => signal('SIGSTOP'),
        resume: () => signal('SIGCONT'),
        async close() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGKILL');
          await gone;
        },
      };
    },
    async forward(host, port, addr = '127.0.0.1') {
      const sock = path.join(sockDir, `${host.name}-${port}-${++forwards}.sock`);
      const child = exec(host, [process.execPath, '-e', FORWARD_JS, sock, addr, String(port)]);
      try {
        await waitListening(child, `forward into ${host.name} to ${addr}:${port}`);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      const conns = new Set<net.Socket>();
      const server = net.createServer((a) => {
        const b = net.connect(sock);
        conns.add(a);
        conns.add(b);
        a.pipe(b);
        b.pipe(a);
        const end = (): void => {
          a.destroy();
          b.destroy();
          conns.delete(a);
          conns.delete(b);
        };
        a.on('error', end);
        b.on('error', end);
        a.on('close', end);
        b.on('close', end);
      });
      servers.add(server);
      const local = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
      });
      return {
        port: local,
        async close() {
          for (const c of conns) c.destroy();
          servers.delete(server);
          await new Promise<void>((r) => server.close(() => r()));
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            child.kill('SIGKILL');
            await gone;
          }
        },
      };
    },
    pids: (host) => nsPids(host.ns),
    async killAll(host) {
      const killed: number[] = [];
      for (let round = 0; round < 20; round++) {
        const now = killNs(host.ns);
        killed.push(...now.filter((p) => !killed.includes(p)));
        if (now.filter(pidAlive).length === 0 && round > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const left = nsPids(host.ns).filter(pidAlive);
      if (left.length > 0) throw new Error(`processes in ${host.name} outlived SIGKILL: ${left.join(', ')}`);
      return killed;
    },
    async teardown() {
      if (torn) return;
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const ns of made) killNs(ns);
      // Give killed processes a moment to be reaped, so `ip netns del` sees no users.
      for (let i = 0; i < 20 && made.some((ns) => nsPids(ns).some(pidAlive)); i++) {
        for (const ns of made) killNs(ns);
        await new Promise((r) => setTimeout(r, 100));
      }
      teardownSync();
    },
  };
  return hostsApi;
}
