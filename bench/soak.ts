// Fault soak: a `zeek-mgmt run` (Supervisor, controller, agent) with emulated nodes, for a
// bounded time, under a steady load of requests from several clients at once, with faults
// injected at random (seeded) moments, and invariants checked all along.
//
// Load: one client stages and deploys two configurations in turn (a new id each time);
// three more run get-nodes, restart (one node), get-config --deployed, get-instances and
// get-id-value, each with a short random pause between requests.
//
// Faults, one process fault per round at a random moment of its traffic phase:
//   SIGKILL or SIGSTOP (1-4 s) + SIGCONT of the controller, of the agent, or of one
//   cluster node (pids from get-nodes, checked against the process tree);
// and client faults, in any round: clients that connect, subscribe, send requests and
// never read (kept open for one to three rounds), and clients that disconnect in the
// middle of a request (after sending it, in the middle of its frame, or in the middle
// of the WebSocket upgrade).
//
// Invariants (each breach is a violation, printed as it happens):
//   answered   every request of the regular clients gets an answer, a response or an error,
//              within the client's request timeout (zeek-client's 20 s). A connection error
//              counts as an answer when the controller was killed while the request was out
//              and the error came within 5 s of the kill; any other closed connection, a
//              client-side timeout or a request the client library never settles is a violation.
//   deployed   get-config --deployed shows the configuration of the last deploy answered
//              with success (its response carries the controller's Result with that id), or
//              one whose deploy is in flight, or one whose deploy lost its answer to a
//              controller kill (the controller may have adopted it before dying); the
//              deploy response's id is the id staged just before.
//   converged  after each round's fault, once the last deploy has been answered with success
//              (the soak redeploys if it was not), get-nodes shows exactly the deployed
//              configuration's nodes, all RUNNING with a pid, within
//              CONVERGE_BASE_MS + the Supervisor's restart delay for the killed process.
//   orphans    after the run (SIGTERM of `zeek-mgmt run`), no process ever seen below it is left.
//   growth     the controller's and the agent's RSS and open fds, sampled at the end of every
//              round once converged, do not grow: the median of the last third of the rounds
//              stays within RSS_GROWTH_FACTOR x + RSS_GROWTH_MB of the first third's (after
//              the first round), fds within FD_GROWTH of the first third's largest.
//
// Usage: node dist/bench/soak.js [--minutes N] [--seed N] [--json]
// Prints the seed (a run is reproducible from it, as far as timing allows), the counts
// (faults injected, requests made and answered, violations) and exits 1 on any violation.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { B, BrokerData } from '../sdk/broker/data';
import { eventToData } from '../sdk/broker/event';
import { encodeDataMessage, encodeSubscriptions, WEBSOCKET_PATH } from '../sdk/broker/messages';
import { ControllerClient, RequestTimeoutError } from '../sdk/client/controller-client';
import { configurationOf, instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import { ControllerApi } from '../sdk/model/events';
import { Result } from '../sdk/model/records';
import { Configuration, Node } from '../sdk/model/schemas';
import { TOPICS } from '../sdk/transport/topics';
import { freePorts } from '../provider/free-ports';
import { seededRandom } from '../test/helpers/seeded-random';
import { statusKB } from './proc-status';
import { readOptions } from './options';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'dist/framework/run.js');

/** zeek-client's request timeout; the controller answers agent-bound requests after its own 10 s. */
const REQUEST_TIMEOUT_SECS = 20;
/** A request the client library has not settled by then has hung (it has its own timer at REQUEST_TIMEOUT_SECS). */
const HANG_MS = REQUEST_TIMEOUT_SECS * 1000 + 5000;
/** A request cut off by a controller kill must get its connection error within this long of the kill. */
const KILL_ANSWER_MS = 5000;
/**
 * Convergence bound, on top of the Supervisor's restart delay: the controller's request
 * timeout (10 s, one internal re-deployment that may expire), two connect_retry periods
 * (1 s each: agent to controller, node to agent), process start-up on a loaded 2-CPU machine
 * (2-5 s for controller, agent and nodes), and as much again as margin.
 */
const CONVERGE_BASE_MS = 30000;
/** Zeek's (and our Supervisor's) restart policy: 1 s, doubling after each death within 30 s of a start, at most 60 s. */
const RESTART_DELAY_MS = 1000;
const HEALTHY_AFTER_MS = 30000;
const RSS_GROWTH_FACTOR = 1.25;
const RSS_GROWTH_MB = 10;
const FD_GROWTH = 4;
const AGENT = 'agent-soak';
/** Requests a round from the client that never reads (each answer ~1.5 KB, sent to every client). */
const SILENT_BURST = 2000;

type Kind = 'get-nodes' | 'restart' | 'get-config' | 'get-instances' | 'get-id-value' | 'stage' | 'deploy';

interface Counts {
  faults: Record<string, number>;
  requests: number;
  answered: number;
  responses: number;
  errorResponses: number;
  connectionErrors: number;
  timeouts: number;
  byKind: Record<string, number>;
  violations: string[];
  rounds: number;
  convergeMs: Record<string, number[]>;
  /** Convergence time counted from the end of the round's traffic (deploys and restarts perturb the nodes until then). */
  quietMs: Record<string, number[]>;
  killAnswerMaxMs: number;
}

const counts: Counts = {
  faults: {}, requests: 0, answered: 0, responses: 0, errorResponses: 0, connectionErrors: 0, timeouts: 0, byKind: {},
  violations: [], rounds: 0, convergeMs: {}, quietMs: {}, killAnswerMaxMs: 0,
};

let t0 = Date.now();
let json = false;
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s`;
const say = (msg: string): void => {
  if (!json) console.log(`${elapsed()}  ${msg}`);
};
function violation(msg: string): void {
  counts.violations.push(`${elapsed()} ${msg}`);
  console.log(`${elapsed()}  VIOLATION: ${msg}`);
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- processes ----------------------------------------------------------------------

function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Process table: pid -> [ppid, start time, state]. */
function processTable(): Map<number, { ppid: number; start: string; state: string }> {
  const t = new Map<number, { ppid: number; start: string; state: string }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(Number(d));
    if (f) t.set(Number(d), { ppid: Number(f[1]), start: f[19], state: f[0] });
  }
  return t;
}

function descendantsOf(pid: number, table = processTable()): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, e] of table) if (e.ppid === p) { out.push(c); walk(c); }
  };
  walk(pid);
  return out;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** True while the process with this pid and start time exists and is no zombie. */
function sameAlive(pid: number, start: string): boolean {
  const f = statFields(pid);
  return f !== null && f[19] === start && f[0] !== 'Z';
}

class RunProcess {
  proc!: ChildProcess;
  /** Every process seen below the run: pid -> start time (to tell a recycled pid apart). */
  readonly seen = new Map<number, string>();
  private sampler: NodeJS.Timeout | null = null;
  stderr = '';
  stateDir = '';

  start(args: string[], stateDir: string): void {
    this.stateDir = stateDir;
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('ZEEK_')) delete env[k];
    this.proc = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    this.proc.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-20000)));
    this.sampler = setInterval(() => this.sample(), 250);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  sample(): number[] {
    const table = processTable();
    const below = descendantsOf(this.pid, table);
    for (const p of below) if (!this.seen.has(p)) this.seen.set(p, table.get(p)!.start);
    return below;
  }

  /** The run's child whose command line contains `what` (controller/main.js, agent/main.js). */
  management(what: string): number | null {
    const table = processTable();
    for (const [p, e] of table) if (e.ppid === this.pid && cmdline(p).includes(what)) return p;
    return null;
  }

  isChild(pid: number): boolean {
    return statFields(pid)?.[1] === String(this.pid);
  }

  /** SIGTERM, then, after `graceMs`, SIGCONT + SIGKILL of everything seen that is still there. Returns what was left. */
  async stop(graceMs = 15000): Promise<number[]> {
    if (this.sampler) clearInterval(this.sampler);
    if (!this.proc?.pid) return [];
    this.sample();
    for (const [p, start] of this.seen) if (sameAlive(p, start)) signal(p, 'SIGCONT');
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      this.proc.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
    }
    // Children notice their Supervisor's exit (parent-watch); give them a moment to go.
    const end = Date.now() + 5000;
    let left: number[] = [];
    do {
      left = [...this.seen].filter(([p, s]) => sameAlive(p, s)).map(([p]) => p);
      if (left.length === 0) break;
      await sleep(200);
    } while (Date.now() < end);
    for (const p of left) signal(p, 'SIGKILL');
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    return left;
  }
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

// ---- configurations -----------------------------------------------------------------

function node(name: string, role: Node['role']): Node {
  return {
    name, instance: AGENT, role, state: 'RUNNING', port: null, scripts: null, options: null,
    interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null,
  };
}

/** The two configurations deployed in turn: different node sets, so a deploy changes what runs. */
function configuration(n: number, seed: number): Configuration {
  const a = n % 2 === 0;
  const nodes = a
    ? [node('manager', 'MANAGER'), node('logger', 'LOGGER'), node('proxy-1', 'PROXY'), node('worker-1', 'WORKER'), node('worker-2', 'WORKER')]
    : [node('manager', 'MANAGER'), node('proxy-1', 'PROXY'), node('worker-1', 'WORKER'), node('worker-2', 'WORKER'), node('worker-3', 'WORKER')];
  return { id: `soak-${seed}-${n}-${a ? 'a' : 'b'}`, instances: [{ name: AGENT, host: '127.0.0.1', listen_port: null }], nodes };
}

// ---- what the soak knows about the controller's state --------------------------------

interface Deployed { id: string; nodes: string[] }

class Expectation {
  /** The last deploy answered with success. */
  last: Deployed | null = null;
  /** Deploys whose answer was lost to a controller kill since then: the controller may have adopted them. */
  readonly uncertain = new Map<string, Deployed>();
  /** The deploy in flight. */
  inflight: Deployed | null = null;

  /** No deploy answered with success, or maybe adopted, yet: "no deployed configuration" is right. */
  none(): boolean {
    return this.last === null && this.uncertain.size === 0;
  }

  acceptable(): Map<string, Deployed> {
    const m = new Map(this.uncertain);
    if (this.last) m.set(this.last.id, this.last);
    if (this.inflight) m.set(this.inflight.id, this.inflight);
    return m;
  }

  /**
   * Checks a get-config --deployed answer against what was acceptable when the request went
   * out (`before`) or is now; with `settle`, an uncertain deploy seen is adopted as the last.
   */
  check(r: Result, where: string, before: Map<string, Deployed>, settle = false): void {
    const ok = new Map([...before, ...this.acceptable()]);
    if (!r.success) {
      if (this.none() && /no deployed configuration/.test(r.error ?? '')) return;
      violation(`${where}: get-config --deployed answered ${JSON.stringify(r.error)}, expected one of ${[...ok.keys()].join(', ') || '(none)'}`);
      return;
    }
    const c = configurationOf(r);
    if (!c) return violation(`${where}: get-config --deployed answered success without a configuration`);
    const want = ok.get(c.id);
    if (!want) return violation(`${where}: get-config --deployed shows ${c.id}, expected one of ${[...ok.keys()].join(', ') || 'none'}`);
    const names = c.nodes.map((x) => x.name).sort();
    if (names.join(',') !== want.nodes.join(',')) return violation(`${where}: deployed ${c.id} has nodes ${names.join(',')}, deployed were ${want.nodes.join(',')}`);
    if (settle && this.inflight === null) {
      this.last = want;
      this.uncertain.clear();
    }
  }
}

// ---- requests -----------------------------------------------------------------------

interface ControllerFaults {
  /** Times of controller kills. */
  kills: number[];
}

const controllerFaults: ControllerFaults = { kills: [] };
let stopping = false;

/** One client of the controller, reconnecting after its connection is lost. */
class SoakClient {
  client: ControllerClient | null = null;
  constructor(readonly name: string, readonly port: number) {}

  async connected(): Promise<ControllerClient> {
    while (!this.client || !this.client.connection.isOpen) {
      if (stopping) throw new Error('stopping');
      try {
        // Connect attempts are not requests: the controller may be down for a few seconds.
        this.client = await ControllerClient.connect({
          port: this.port, peeringAttempts: 200, peeringRetryDelaySecs: 0.5, requestTimeoutSecs: REQUEST_TIMEOUT_SECS,
          appName: `soak-${this.name}`,
        });
      } catch {
        await sleep(500);
      }
    }
    return this.client;
  }

  /**
   * Makes one request and classifies its answer. Returns the value, or undefined when the
   * answer was an error (counted, checked).
   */
  async request<T>(kind: Kind, fn: (c: ControllerClient) => Promise<T>): Promise<T | undefined> {
    const c = await this.connected();
    counts.requests++;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
    const started = Date.now();
    let settled = false;
    const hang = setTimeout(() => {
      if (!settled) violation(`${this.name}: ${kind} not settled by the client library after ${HANG_MS / 1000} s`);
    }, HANG_MS);
    try {
      const v = await fn(c);
      settled = true;
      counts.answered++;
      counts.responses++;
      return v;
    } catch (err) {
      settled = true;
      // The soak itself is stopping the run (its end, Ctrl-C): not the system's doing.
      if (stopping) return undefined;
      const e = err as Error;
      const took = Date.now() - started;
      if (e instanceof RequestTimeoutError) {
        counts.timeouts++;
        violation(`${this.name}: ${kind} got no answer within ${REQUEST_TIMEOUT_SECS} s`);
        // The connection may be stuck; start over.
        await c.close().catch(() => undefined);
        return undefined;
      }
      if (/connection to controller closed|is closed|ECONNRESET|EPIPE/.test(e.message)) {
        const kill = controllerFaults.kills.find((k) => k >= started - 100 && k <= Date.now());
        if (kill === undefined) {
          violation(`${this.name}: ${kind} cut off by a closed connection with no controller kill (${e.message}) after ${took} ms`);
        } else {
          const after = Date.now() - kill;
          counts.killAnswerMaxMs = Math.max(counts.killAnswerMaxMs, after);
          if (after > KILL_ANSWER_MS) violation(`${this.name}: ${kind} learned of the controller's death ${after} ms after the kill`);
          counts.answered++;
          counts.connectionErrors++;
        }
        return undefined;
      }
      violation(`${this.name}: ${kind} failed in the client: ${e.message}`);
      return undefined;
    } finally {
      clearTimeout(hang);
    }
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
  }
}

function countErrors(rs: Result[] | Result | undefined): void {
  if (rs === undefined) return;
  const list = Array.isArray(rs) ? rs : [rs];
  if (list.some((r) => !r.success)) counts.errorResponses++;
}

// ---- hostile clients -----------------------------------------------------------------

function maskedFrame(text: string | Buffer, opcode = 1): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
      : (() => { const h = Buffer.alloc(10); h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(len), 2); return h; })();
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

function upgradeRequest(port: number): string {
  return `GET ${WEBSOCKET_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + `Sec-WebSocket-Key: ${Buffer.from('soak-hostile-key').toString('base64')}\r\nSec-WebSocket-Version: 13\r\nX-Application-Name: soak-hostile\r\n\r\n`;
}

function requestMessage(name: string, args: BrokerData[]): string {
  return encodeDataMessage(TOPICS.controller, eventToData({ name, args: [B.str(`hostile-${Math.random().toString(36).slice(2)}`), ...args] }));
}

/** Connects, subscribes, sends `n` requests and then never reads: the server's answers pile up. */
function silentClient(port: number, n: number): net.Socket {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined);
  sock.on('connect', () => {
    sock.write(upgradeRequest(port));
    sock.write(maskedFrame(encodeSubscriptions([TOPICS.controller])));
    for (let i = 0; i < n; i++) sock.write(maskedFrame(requestMessage(ControllerApi.get_nodes_request, [])));
    sock.write(maskedFrame(requestMessage(ControllerApi.get_configuration_request, [B.bool(true)])));
  });
  // No 'data' listener and paused: nothing is read beyond what the kernel buffers.
  sock.pause();
  return sock;
}

/** Disconnects in the middle of a request, in one of three places. */
function abortingClient(port: number, how: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (): void => {
      sock.destroy();
      resolve();
    };
    sock.on('error', done);
    sock.setTimeout(5000, done);
    sock.on('connect', () => {
      if (how === 0) {
        // In the middle of the upgrade request.
        const up = upgradeRequest(port);
        sock.write(up.slice(0, Math.floor(up.length / 2)), () => setTimeout(done, 5));
        return;
      }
      sock.write(upgradeRequest(port));
      sock.write(maskedFrame(encodeSubscriptions([TOPICS.controller])));
      const req = maskedFrame(requestMessage(how === 1 ? ControllerApi.get_nodes_request : ControllerApi.restart_request, how === 1 ? [] : [B.set([])]));
      if (how === 1) {
        // The whole request, then gone before the answer.
        sock.write(req, () => setTimeout(done, 2));
      } else {
        // Half of the request's frame.
        sock.write(req.subarray(0, Math.floor(req.length / 2)), () => setTimeout(done, 2));
      }
    });
  });
}

// ---- the soak -------------------------------------------------------------------------

function randoms(seed: number): { rnd: () => number; pick: <T>(xs: readonly T[]) => T; between: (lo: number, hi: number) => number } {
  const rnd = seededRandom(seed);
  return { rnd, pick: (xs) => xs[Math.floor(rnd() * xs.length)], between: (lo, hi) => lo + rnd() * (hi - lo) };
}

interface Sample { round: number; pid: number; rssKB: number; fds: number }

async function main(): Promise<void> {
  const o = readOptions({ minutes: 'seconds', seed: 'count', json: 'flag' }, { minutes: 3 });
  json = o.json;
  const seed = o.seed ?? (Date.now() % 1_000_000_007);
  if (!fs.existsSync(RUN)) throw new Error(`${RUN} missing: run npm run build first`);
  console.log(`soak: seed ${seed} (rerun with --seed ${seed}), ${o.minutes} minute(s), ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}`);

  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-soak-'));
  const base = await freePorts(4);
  const brokerStart = await freePorts(20);
  const metricsStart = await freePorts(20);
  const wsPort = base + 3;
  const run = new RunProcess();
  const silent: Array<{ sock: net.Socket; until: number }> = [];
  let cleaned = false;
  const cleanup = async (): Promise<number[]> => {
    if (cleaned) return [];
    cleaned = true;
    stopping = true;
    for (const s of silent) s.sock.destroy();
    const left = await run.stop();
    fs.rmSync(state, { recursive: true, force: true });
    return left;
  };
  const onSignal = (sig: string): void => {
    console.log(`soak: ${sig}, stopping every process started`);
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  // A hard stop whatever happens: the soak must end by itself.
  const hardStop = setTimeout(() => {
    violation('the soak overran its time by more than 3 minutes');
    void cleanup().then(() => process.exit(1));
  }, (o.minutes * 60 + 180) * 1000);
  hardStop.unref();

  try {
    run.start([
      `Management::state_dir=${state}`, `Management::spool_dir=${state}/spool`,
      `Broker::default_port=${base}/tcp`, `Management::Agent::default_port=${base + 1}/tcp`,
      `Management::Controller::default_port=${base + 2}/tcp`, `Management::Controller::default_port_websocket=${wsPort}/tcp`,
      `Management::Controller::auto_assign_broker_start_port=${brokerStart}/tcp`,
      `Management::Controller::auto_assign_metrics_start_port=${metricsStart}/tcp`,
      `Management::Agent::name=${AGENT}`, 'Management::Agent::node_runtime=EMULATED',
    ], state);
    await soak(run, wsPort, o.minutes, seed, silent);
  } catch (err) {
    violation(`the soak failed: ${(err as Error).stack ?? err}`);
    if (run.stderr) console.log(`zeek-mgmt run stderr (last part):\n${run.stderr.slice(-3000)}`);
  } finally {
    const left = await cleanup();
    if (left.length > 0) violation(`orphans: ${left.length} process(es) outlived zeek-mgmt run: ${left.map((p) => `${p} (${cmdline(p).slice(0, 80) || '?'})`).join(', ')}`);
    clearTimeout(hardStop);
  }
  report(seed, o.minutes);
  process.exit(counts.violations.length > 0 ? 1 : 0);
}

async function soak(
  run: RunProcess, wsPort: number, minutes: number, seed: number,
  silent: Array<{ sock: net.Socket; until: number }>,
): Promise<void> {
  // The fault schedule draws from its own stream, each load loop from another, so that the
  // schedule does not depend on how many requests the loops got through.
  const { rnd, pick, between } = randoms(seed);
  const expect = new Expectation();
  const deployer = new SoakClient('deployer', wsPort);
  const clients = [1, 2, 3].map((i) => new SoakClient(`client-${i}`, wsPort));
  const checker = new SoakClient('checker', wsPort);
  const all = [deployer, ...clients, checker];
  const samples: Record<'controller' | 'agent', Sample[]> = { controller: [], agent: [] };
  /** The Supervisor's restart delay per process, as its policy computes it. */
  const restart = new Map<string, { delay: number; spawned: number }>();
  let deploys = 0;
  let lastDeployOk = false;
  let traffic = false;
  let stubborn: net.Socket | null = null;

  // One deployment at a time (the deployer's, or the checker's while converging).
  let deploying: Promise<boolean> = Promise.resolve(true);
  const stageAndDeploy = (who: SoakClient): Promise<boolean> => {
    const next = deploying.then(() => stageAndDeployNow(who));
    deploying = next.catch(() => false);
    return next;
  };
  const stageAndDeployNow = async (who: SoakClient): Promise<boolean> => {
    const config = configuration(deploys++, seed);
    const staged = await who.request('stage', (c) => c.stageConfiguration(config));
    countErrors(staged);
    if (!staged) return false;
    if (!staged[0]?.success) {
      violation(`stage of ${config.id} failed: ${JSON.stringify(staged.map((r) => r.error))}`);
      return false;
    }
    const want: Deployed = { id: config.id, nodes: config.nodes.map((n) => n.name).sort() };
    expect.inflight = want;
    const res = await who.request('deploy', (c) => c.deploy());
    expect.inflight = null;
    if (res === undefined) {
      // Lost to a controller kill (a violation otherwise, already counted): it may have been adopted.
      expect.uncertain.set(want.id, want);
      return false;
    }
    countErrors(res);
    const mine = res.find((r) => r.node === null && r.instance === null && r.success && r.data?.type === 'string');
    if (!mine) return false; // timed out, or an earlier deployment pending: not deployed
    const id = (mine.data as { value: string }).value;
    if (id !== config.id) violation(`deploy answered success for ${id}, staged was ${config.id}`);
    expect.last = want;
    expect.uncertain.clear();
    const before = expect.acceptable();
    const now = await who.request('get-config', (c) => c.getConfiguration(true));
    if (now) expect.check(now, 'after deploy', before, true);
    return true;
  };

  const deployLoop = async (): Promise<void> => {
    const { between } = randoms(seed + 1);
    while (!stopping) {
      if (traffic) lastDeployOk = await stageAndDeploy(deployer);
      await sleep(between(2000, 5000));
    }
  };

  const clientLoop = async (sc: SoakClient, i: number): Promise<void> => {
    const { rnd, pick, between } = randoms(seed + 2 + i);
    while (!stopping) {
      if (!traffic) {
        await sleep(200);
        continue;
      }
      const r = rnd();
      try {
        if (r < 0.4) {
          countErrors(await sc.request('get-nodes', (c) => c.getNodes()));
        } else if (r < 0.55) {
          const nodes = expect.last?.nodes ?? [];
          const target = nodes.length ? [pick(nodes)] : [];
          countErrors(await sc.request('restart', (c) => c.restart(target)));
        } else if (r < 0.8) {
          const before = expect.acceptable();
          const res = await sc.request('get-config', (c) => c.getConfiguration(true));
          countErrors(res);
          if (res) expect.check(res, sc.name, before);
        } else if (r < 0.9) {
          countErrors(await sc.request('get-instances', (c) => c.getInstances()));
        } else {
          countErrors(await sc.request('get-id-value', (c) => c.getIdValue('Cluster::node')));
        }
      } catch (err) {
        if (!stopping) violation(`${sc.name}: ${(err as Error).message}`);
      }
      await sleep(between(100, 700));
    }
  };

  // Start-up: the agent checks in.
  say(`zeek-mgmt run pid ${run.pid}, client port ${wsPort}, state ${run.stateDir}`);
  const startDeadline = Date.now() + 60000;
  for (;;) {
    const r = await checker.request('get-instances', (c) => c.getInstances());
    if (r && instancesOf(r).some((i) => i.name === AGENT)) break;
    if (Date.now() > startDeadline) throw new Error('the agent did not check in within 60 s');
    await sleep(300);
  }
  traffic = true;
  const loops = [deployLoop(), ...clients.map((c, i) => clientLoop(c, i))];
  const end = t0 + minutes * 60000;

  const pidOf = async (what: 'controller' | 'agent' | 'node'): Promise<{ pid: number; name: string } | null> => {
    if (what !== 'node') {
      const pid = run.management(`${what}/main.js`);
      return pid === null ? null : { pid, name: what };
    }
    const res = await checker.request('get-nodes', (c) => c.getNodes());
    if (!res) return null;
    const nodes = res.flatMap((r) => (r.success ? nodeStatusesOf(r) : [])).filter((s) => s.cluster_role !== 'NONE' && s.pid !== null);
    if (nodes.length === 0) return null;
    const n = pick(nodes);
    // Only ever signal a process of our own run.
    return run.isChild(n.pid!) ? { pid: n.pid!, name: n.node } : null;
  };

  const noteKill = (name: string): number => {
    const now = Date.now();
    const r = restart.get(name) ?? { delay: RESTART_DELAY_MS, spawned: 0 };
    const delay = now - r.spawned >= HEALTHY_AFTER_MS ? RESTART_DELAY_MS : r.delay;
    restart.set(name, { delay: Math.min(delay * 2, 60000), spawned: now + delay });
    return delay;
  };

  for (let round = 1; Date.now() < end; round++) {
    counts.rounds = round;
    traffic = true;
    const phase = between(8000, 14000);
    const faultAt = Date.now() + between(1000, phase - 5000);
    const phaseEnd = Date.now() + phase;
    const fault = pick(['kill-controller', 'stop-controller', 'kill-agent', 'stop-agent', 'kill-node', 'stop-node', 'kill-node'] as const);
    // Client faults during the phase.
    if (rnd() < 0.6) {
      silent.push({ sock: silentClient(wsPort, 5 + Math.floor(rnd() * 20)), until: round + 1 + Math.floor(rnd() * 3) });
      counts.faults['silent-client'] = (counts.faults['silent-client'] ?? 0) + 1;
    }
    // And one that stays for the whole run (a new one after a controller kill), never reads,
    // and asks for SILENT_BURST answers a round: what the controller holds for it must stay bounded.
    if (!stubborn || stubborn.destroyed || stubborn.readyState !== 'open') {
      stubborn?.destroy();
      stubborn = silentClient(wsPort, 0);
      silent.push({ sock: stubborn, until: Number.MAX_SAFE_INTEGER });
      counts.faults['silent-client'] = (counts.faults['silent-client'] ?? 0) + 1;
    }
    const burst = stubborn;
    setTimeout(() => {
      if (burst.readyState !== 'open') return;
      const getConfig = maskedFrame(requestMessage(ControllerApi.get_configuration_request, [B.bool(false)]));
      for (let i = 0; i < SILENT_BURST; i++) burst.write(getConfig);
    }, 500);
    const aborts = Math.floor(rnd() * 4);
    const abortAt = Array.from({ length: aborts }, () => Date.now() + between(0, phase));
    let extraDelay = 0;
    let faultDone = false;
    let faultEndedAt = 0;
    while (Date.now() < phaseEnd) {
      for (let i = abortAt.length - 1; i >= 0; i--) {
        if (Date.now() >= abortAt[i]) {
          abortAt.splice(i, 1);
          const how = Math.floor(rnd() * 3);
          void abortingClient(wsPort, how);
          const k = ['abort-in-upgrade', 'abort-after-request', 'abort-mid-frame'][how];
          counts.faults[k] = (counts.faults[k] ?? 0) + 1;
        }
      }
      if (!faultDone && Date.now() >= faultAt) {
        faultDone = true;
        const [act, what] = fault.split('-') as ['kill' | 'stop', 'controller' | 'agent' | 'node'];
        const target = await pidOf(what);
        if (!target) {
          say(`round ${round}: no ${what} to ${act}`);
        } else if (act === 'kill') {
          if (what === 'controller') controllerFaults.kills.push(Date.now());
          signal(target.pid, 'SIGKILL');
          extraDelay = noteKill(target.name);
          counts.faults[fault] = (counts.faults[fault] ?? 0) + 1;
          say(`round ${round}: SIGKILL ${target.name} (pid ${target.pid}); the Supervisor restarts it after ${extraDelay / 1000} s`);
        } else {
          const ms = between(1000, 4000);
          signal(target.pid, 'SIGSTOP');
          counts.faults[fault] = (counts.faults[fault] ?? 0) + 1;
          say(`round ${round}: SIGSTOP ${target.name} (pid ${target.pid}) for ${(ms / 1000).toFixed(1)} s`);
          await sleep(ms);
          signal(target.pid, 'SIGCONT');
        }
        faultEndedAt = Date.now();
      }
      await sleep(50);
    }
    // Quiesce: no new requests; those in flight get their answers (or their violations).
    traffic = false;
    const quiesced = Date.now();
    if (!faultEndedAt) faultEndedAt = Date.now();
    for (let i = silent.length - 1; i >= 0; i--) {
      if (silent[i].until <= round) {
        silent[i].sock.destroy();
        silent.splice(i, 1);
      }
    }
    // Convergence: the last deploy succeeded (redeploy until it has), then every deployed node RUNNING.
    const bound = CONVERGE_BASE_MS + extraDelay;
    const deadline = faultEndedAt + bound;
    let converged = false;
    let lastSeen = '';
    while (Date.now() < deadline && !stopping) {
      await sleep(300);
      await deploying;
      if (!lastDeployOk || !expect.last) {
        lastDeployOk = await stageAndDeploy(checker);
        continue;
      }
      const res = await checker.request('get-nodes', (c) => c.getNodes());
      if (!res) continue;
      const st = res.flatMap((r) => (r.success ? nodeStatusesOf(r) : []));
      const cluster = st.filter((s) => s.cluster_role !== 'NONE');
      const names = cluster.map((s) => s.node).sort();
      lastSeen = cluster.map((s) => `${s.node}:${s.state}`).sort().join(' ') + ` mgmt:${st.filter((s) => s.mgmt_role !== 'NONE').length}`;
      if (names.join(',') === expect.last.nodes.join(',') && cluster.every((s) => s.state === 'RUNNING' && s.pid !== null)
        && st.some((s) => s.mgmt_role === 'CONTROLLER') && st.some((s) => s.mgmt_role === 'AGENT')) {
        converged = true;
        break;
      }
    }
    const took = Date.now() - faultEndedAt;
    const quiet = Date.now() - quiesced;
    if (!converged) {
      violation(`round ${round}: no convergence within ${bound / 1000} s after ${fault}; deployed ${expect.last?.id}, get-nodes: ${lastSeen}`);
    } else {
      (counts.convergeMs[fault] ??= []).push(took);
      (counts.quietMs[fault] ??= []).push(quiet);
      const before = expect.acceptable();
      const dep = await checker.request('get-config', (c) => c.getConfiguration(true));
      if (dep) expect.check(dep, `round ${round} end`, before, true);
    }
    for (const what of ['controller', 'agent'] as const) {
      const pid = run.management(`${what}/main.js`);
      if (pid !== null) samples[what].push({ round, pid, rssKB: statusKB(pid, 'VmRSS'), fds: fdCount(pid) });
    }
    const c = samples.controller.at(-1);
    const a = samples.agent.at(-1);
    say(`round ${round} done: ${fault}, converged ${converged ? `${(took / 1000).toFixed(1)} s after the fault, ${(quiet / 1000).toFixed(1)} s after the traffic stopped` : 'NO'}; controller ${c ? `${(c.rssKB / 1024).toFixed(1)} MB ${c.fds} fds` : '-'}, agent ${a ? `${(a.rssKB / 1024).toFixed(1)} MB ${a.fds} fds` : '-'}; requests ${counts.requests}, answered ${counts.answered}, violations ${counts.violations.length}`);
  }

  stopping = true;
  traffic = false;
  await Promise.all(loops);
  await Promise.all(all.map((c) => c.close()));
  growthCheck(samples);
  summary.samples = samples;
}

const summary: { samples?: Record<string, Sample[]> } = {};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function growthCheck(samples: Record<'controller' | 'agent', Sample[]>): void {
  for (const [what, xs] of Object.entries(samples)) {
    const s = xs.slice(1); // the first round warms up
    if (s.length < 3) {
      violation(`growth: only ${s.length} ${what} samples after the first round; run longer`);
      continue;
    }
    const third = Math.max(1, Math.floor(s.length / 3));
    const first = s.slice(0, third);
    const last = s.slice(-third);
    const rss0 = median(first.map((x) => x.rssKB)) / 1024;
    const rss1 = median(last.map((x) => x.rssKB)) / 1024;
    const fd0 = Math.max(...first.map((x) => x.fds));
    const fd1 = median(last.map((x) => x.fds));
    if (rss1 > rss0 * RSS_GROWTH_FACTOR + RSS_GROWTH_MB) violation(`growth: ${what} RSS ${rss0.toFixed(1)} MB in the first rounds, ${rss1.toFixed(1)} MB in the last`);
    if (fd1 > fd0 + FD_GROWTH) violation(`growth: ${what} open fds ${fd0} in the first rounds, ${fd1} in the last`);
  }
}

function report(seed: number, minutes: number): void {
  const faults = Object.values(counts.faults).reduce((a, b) => a + b, 0);
  const conv = Object.fromEntries(Object.entries(counts.convergeMs).map(([k, v]) => {
    const q = counts.quietMs[k] ?? [];
    return [k, { n: v.length, medianS: +(median(v) / 1000).toFixed(1), maxS: +(Math.max(...v) / 1000).toFixed(1), quietMedianS: +(median(q) / 1000).toFixed(1), quietMaxS: +(Math.max(...q) / 1000).toFixed(1) }];
  }));
  const rss = (w: string): string => {
    const s = summary.samples?.[w] ?? [];
    return s.length ? `${(Math.min(...s.map((x) => x.rssKB)) / 1024).toFixed(1)}-${(Math.max(...s.map((x) => x.rssKB)) / 1024).toFixed(1)} MB, fds ${Math.min(...s.map((x) => x.fds))}-${Math.max(...s.map((x) => x.fds))}` : '-';
  };
  if (json) {
    console.log(JSON.stringify({ seed, minutes, ...counts, faultsTotal: faults, convergence: conv, samples: summary.samples }, null, 1));
    return;
  }
  console.log('');
  console.log(`seed ${seed}, ${minutes} minute(s), ${counts.rounds} rounds, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`faults injected:      ${faults} (${Object.entries(counts.faults).sort().map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`requests made:        ${counts.requests} (${Object.entries(counts.byKind).sort().map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`requests answered:    ${counts.answered} (responses ${counts.responses}, of which with an error result ${counts.errorResponses}; connection errors after a controller kill ${counts.connectionErrors}, at most ${counts.killAnswerMaxMs} ms after it; client timeouts ${counts.timeouts})`);
  console.log(`convergence, s after the fault (after the traffic stopped), median / max:`);
  for (const [k, v] of Object.entries(conv).sort()) console.log(`  ${k.padEnd(16)} n=${String(v.n).padEnd(3)} ${v.medianS} / ${v.maxS} (${v.quietMedianS} / ${v.quietMaxS})`);
  console.log(`controller:           ${rss('controller')} (at the end of each round)`);
  console.log(`agent:                ${rss('agent')}`);
  console.log(`invariant violations: ${counts.violations.length}`);
  for (const v of counts.violations) console.log(`  ${v}`);
}

t0 = Date.now();
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
