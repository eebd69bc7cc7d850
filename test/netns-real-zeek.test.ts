// Clusters across hosts with Zeek 8.0.9's own processes (issue 24, point 1): a controller
// host and eight sensor hosts, each a network namespace on one bridge
// (test/helpers/netns.ts). Our controller (`zeek-mgmt run controller`) runs on the
// controller host; every sensor runs Zeek's own agent, `zeek -j
// policy/frameworks/management/agent`, with Zeek's Supervisor and real zeek cluster nodes.
// The links are native Broker over TLS with certificates (Broker::ssl_cafile,
// ssl_certificate, ssl_keyfile on both sides), once with Zeek's agents connecting to our
// controller (Management::Agent::controller names it) and once with our controller
// connecting to them (the agents listen, Management::Agent::controller at 0.0.0.0, and the
// configuration's [instances] give host:port). Driven by `zeek-mgmt` and by Zeek's
// zeek-client, both run inside the controller's namespace.
//
// Needs root with `ip netns` and a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek; under CI
// only an explicit $ZEEK); zeek-client for its own cases. Skipped with a one-line reason
// otherwise.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativePeer } from '../sdk/broker/native/peer';
import { BrokerTlsFiles } from '../sdk/broker/native/tls';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { createHosts, Hosts, NetnsHost, netnsSkipReason } from './helpers/netns';
import { findZeek, findZeekClient } from './helpers/real-zeek';
import { RUN_JS, tempDir, waitFor } from './run-support';
import { textBelow } from './helpers/file-tree';
import { AGENT_PORT, CLI_JS, clusterIni as clusterIniWith, CONTROLLER_PORT, WS_PORT } from './helpers/netns-mgmt';

const SENSORS = 8;

interface Proc {
  child: ChildProcess;
  out: () => string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A node's row in get-nodes. */
interface NodeRow {
  state: string;
  pid?: number;
  cluster_role?: string | null;
  mgmt_role?: string | null;
  port?: number;
}

/**
 * The cluster: manager and proxy on sensor-1, a logger on sensor-2, one worker sniffing lo on
 * every sensor; [instances] with host:port when the controller dials the agents.
 */
function clusterIni(hosts: Hosts, dial: boolean, extra = ''): string {
  return clusterIniWith(hosts, { dialPorts: dial ? new Map(hosts.sensors.map((s) => [s.name, { host: s.addr, port: AGENT_PORT }])) : undefined, extra });
}

/** Whether the process runs the zeek executable itself (not, say, node with "zeek" in an argument). */
function runsZeek(pid: number): boolean {
  try {
    return path.basename(fs.readlinkSync(`/proc/${pid}/exe`)) === 'zeek';
  } catch {
    return false;
  }
}

/** The command line of a process, NULs as spaces ('' once it is gone). */
function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('Zeek 8.0.9\'s own processes with ours on a controller host and eight sensor hosts in network namespaces (issue 24)', function () {
  this.timeout(240_000);
  const zeek = findZeek();
  const skip = netnsSkipReason()
    ?? (zeek === null ? 'no zeek binary (set ZEEK, or install Zeek 8.0.9 at /opt/zeek)' : null)
    ?? (fs.existsSync(RUN_JS) && fs.existsSync(CLI_JS) ? null : 'build first (npm run build)');
  const zeekClient = zeek ? findZeekClient(zeek) : null;
  let hosts: Hosts;
  let certs: TestCerts;
  let root = '';
  let controller: Proc | undefined;
  let ctlDir = '';
  const agents = new Map<string, Proc>();

  const tls = (): string[] => [`Broker::ssl_cafile=${certs.caCert}`, `Broker::ssl_certificate=${certs.serverCert}`, `Broker::ssl_keyfile=${certs.serverKey}`];

  const start = (host: NetnsHost, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc => {
    const child = hosts.exec(host, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return { child, out: () => out };
  };

  const startController = (): void => {
    controller = start(hosts.controller, [
      process.execPath, RUN_JS, 'controller', `Management::state_dir=${ctlDir}`, `Management::spool_dir=${ctlDir}/spool`,
      `Management::Controller::default_port=${CONTROLLER_PORT}/tcp`, `Management::Controller::default_port_websocket=${WS_PORT}/tcp`,
      // Real nodes on eight hosts sharing two CPUs take longer than Zeek's 10 s to check in.
      'Management::connect_retry=0.2 secs', 'Management::Request::timeout_interval=60 secs', ...tls(),
    ], { env: { ...process.env, ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1' } });
  };

  /** Zeek's agent on a sensor, with its Supervisor; its state, spool and output below root/<sensor>. */
  const startZeekAgent = (host: NetnsHost, dial: boolean): void => {
    const dir = path.join(root, host.name);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const d of ['state', 'spool']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    agents.set(host.name, start(host, [
      zeek!, '-j', 'policy/frameworks/management/agent',
      dial ? 'Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]' : `Management::Agent::controller=[$address="${hosts.controller.addr}", $bound_port=${CONTROLLER_PORT}/tcp]`,
      // Zeek's agent answers a deploy after 5 s by default; its nodes here need longer.
      'Management::Request::timeout_interval=50 secs',
      ...tls(),
    ], {
      cwd: dir,
      env: {
        ...process.env,
        ZEEK_AGENT_NAME: host.name,
        ZEEK_AGENT_ADDR: host.addr,
        ZEEK_AGENT_PORT: `${AGENT_PORT}/tcp`,
        ZEEK_MANAGEMENT_STATE_DIR: path.join(dir, 'state'),
        ZEEK_MANAGEMENT_SPOOL_DIR: path.join(dir, 'spool'),
      },
    }));
  };

  /** Zeek's controller on the controller host, with its Supervisor; state, spool and output below root/controller. */
  const startZeekController = (): void => {
    for (const d of ['state', 'spool']) fs.mkdirSync(path.join(ctlDir, d), { recursive: true });
    controller = start(hosts.controller, [
      zeek!, '-j', 'policy/frameworks/management/controller',
      'Management::Request::timeout_interval=60 secs', ...tls(),
    ], {
      cwd: ctlDir,
      env: {
        ...process.env,
        ZEEK_CONTROLLER_ADDR: hosts.controller.addr,
        ZEEK_CONTROLLER_PORT: `${CONTROLLER_PORT}/tcp`,
        ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
        ZEEK_CONTROLLER_WEBSOCKET_PORT: `${WS_PORT}/tcp`,
        ZEEK_MANAGEMENT_STATE_DIR: path.join(ctlDir, 'state'),
        ZEEK_MANAGEMENT_SPOOL_DIR: path.join(ctlDir, 'spool'),
      },
    });
  };

  /** Our agent (`zeek-mgmt run agent`, our Supervisor) on a sensor, its nodes real zeek processes. */
  const startOurAgent = (host: NetnsHost, dial: boolean): void => {
    const dir = path.join(root, host.name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    agents.set(host.name, start(host, [
      process.execPath, RUN_JS, 'agent', `Management::state_dir=${dir}`, `Management::spool_dir=${dir}/spool`,
      'Broker::default_port=9999/tcp', `Management::Agent::default_port=${AGENT_PORT}/tcp`, `Management::Agent::name=${host.name}`,
      'Management::Agent::node_runtime=ZEEK', `Management::Agent::zeek_binary=${zeek}`, 'Management::Request::timeout_interval=50 secs',
      dial ? 'Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]' : `Management::Agent::controller=[$address="${hosts.controller.addr}", $bound_port=${CONTROLLER_PORT}/tcp]`,
      ...tls(),
    ]));
  };

  /** A command line run inside the controller's namespace: exit status and output. */
  const inController = (argv: string[], input?: string): Run => {
    const r = spawnSync('ip', ['netns', 'exec', hosts.controller.ns, ...argv], { encoding: 'utf8', timeout: 150_000, input });
    return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
  };
  // Both clients wait up to 120 s for an answer (zeek-client's 20 s is short for a deploy of
  // real nodes on eight hosts sharing two loaded CPUs).
  const clientArgs = ['--controller', `127.0.0.1:${WS_PORT}`, '--set', 'client.request_timeout_secs=120'];
  const cli = (args: string[], input?: string): Run => inController([process.execPath, CLI_JS, ...clientArgs, ...args], input);
  const zc = (args: string[]): Run => inController([...zeekClient!, ...clientArgs, ...args]);
  const json = (r: Run, what: string): any => {
    assert.equal(r.status, 0, `${what}: exit ${r.status}\n${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout);
  };
  const connected = (): string[] => Object.keys(json(cli(['get-instances']), 'get-instances')).sort();
  /** get-nodes as instance -> node -> row, through zeek-mgmt or zeek-client. */
  const nodes = (via: 'ours' | 'zeek-client' = 'ours'): Record<string, Record<string, NodeRow>> =>
    json(via === 'ours' ? cli(['get-nodes']) : zc(['get-nodes']), `get-nodes (${via})`).results;
  /** The cluster nodes' pids as "instance/node" -> pid (agents left out). */
  const pids = (via: 'ours' | 'zeek-client' = 'ours'): Map<string, number> => {
    const m = new Map<string, number>();
    for (const [inst, ns] of Object.entries(nodes(via))) {
      for (const [name, row] of Object.entries(ns)) if (row.mgmt_role !== 'AGENT' && row.pid) m.set(`${inst}/${name}`, row.pid);
    }
    return m;
  };
  const sensorOf = (key: string): NetnsHost => hosts.sensors.find((s) => key.startsWith(`${s.name}/`))!;
  const expectedNodes = (extra: string[] = []): string[] =>
    ['sensor-1/manager', 'sensor-1/proxy-1', 'sensor-2/logger-1', ...hosts.sensors.map((s, i) => `${s.name}/worker-${i + 1}`), ...extra].sort();

  /** Every node RUNNING in get-nodes (through `via`), with these keys; bounded. */
  const allRunning = (keys: string[], via: 'ours' | 'zeek-client' = 'ours'): Promise<Map<string, number>> =>
    waitFor(`${keys.length} nodes RUNNING`, () => {
      const all = nodes(via);
      const m = new Map<string, number>();
      for (const [inst, ns] of Object.entries(all)) {
        for (const [name, row] of Object.entries(ns)) if (row.mgmt_role !== 'AGENT' && row.state === 'RUNNING' && row.pid) m.set(`${inst}/${name}`, row.pid);
      }
      return [...m.keys()].sort().join() === keys.join() ? m : null;
    }, 90_000, 1000);

  before(async function () {
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    hosts = await createHosts(SENSORS);
    certs = makeTestCerts(hosts.all().map((h) => h.addr));
    root = tempDir('zeek-mgmt-netns-real-zeek-');
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    if (controller) console.log(`--- controller output:\n${controller.out().slice(-3000)}`);
    for (const [n, a] of agents) console.log(`--- ${n}'s agent output:\n${a.out().slice(-1500)}`);
  });

  after(async () => {
    await hosts?.teardown();
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  /** Stops everything from the last run and starts afresh below root. */
  const fresh = async (): Promise<void> => {
    for (const h of hosts.all()) await hosts.killAll(h);
    agents.clear();
    controller = undefined;
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root);
    ctlDir = path.join(root, 'controller');
    fs.mkdirSync(ctlDir);
  };

  /** Until each sensor's agent listens on its address (dial), or all eight are at the controller. */
  const agentsReady = async (dial: boolean): Promise<void> => {
    if (dial) {
      for (const s of hosts.sensors) {
        await waitFor(`the agent listening on ${s.addr}:${AGENT_PORT}`, () => /LISTEN/.test(hosts.execSync(s, ['ss', '-ltnH', `sport = :${AGENT_PORT}`])), 90_000, 500);
      }
    } else {
      await waitFor('eight agents at the controller', () => connected().length === SENSORS, 90_000, 1000);
    }
  };

  // Which side is Zeek's: the agents (under our controller) or the controller (over our
  // agents); and which side connects.
  const runs: Array<{ zeekSide: 'agents' | 'controller'; dial: boolean; title: string }> = [
    { zeekSide: 'agents', dial: false, title: 'Zeek\'s agents (real nodes) connect to our controller' },
    { zeekSide: 'agents', dial: true, title: 'our controller connects to Zeek\'s agents (real nodes)' },
    { zeekSide: 'controller', dial: false, title: 'our agents (real nodes) connect to Zeek\'s controller' },
    { zeekSide: 'controller', dial: true, title: 'Zeek\'s controller connects to our agents (real nodes)' },
  ];
  for (const { zeekSide, dial, title } of runs) {
    describe(title, () => {
      /** The controller's and agents' processes: zeek for Zeek's, our run.js for ours. */
      const agentLooks = zeekSide === 'agents' ? /-j policy\/frameworks\/management\/agent/ : /run\.js agent/;
      before(async () => {
        await fresh();
        if (zeekSide === 'agents') startController();
        else startZeekController();
        for (const s of hosts.sensors) (zeekSide === 'agents' ? startZeekAgent : startOurAgent)(s, dial);
        await agentsReady(dial);
      });

      it('deploy-config over TLS with certificates: real zeek nodes on every sensor, in that sensor\'s namespace', async () => {
        const r = cli(['deploy-config', '-'], clusterIni(hosts, dial));
        const out = json(r, 'deploy-config');
        assert.deepEqual(out.errors, [], r.stdout);
        assert.deepEqual(Object.keys(out.results.nodes).sort(), expectedNodes().map((k) => k.split('/')[1]).sort());
        for (const [name, n] of Object.entries<any>(out.results.nodes)) assert.equal(n.success, true, `${name}: ${JSON.stringify(n)}`);
        // get-instances as Zeek's controller and ours both put it: each sensor at its address on
        // the bridge, with the agent's port when the controller dials it.
        const instances = json(cli(['get-instances']), 'get-instances');
        assert.deepEqual(instances, Object.fromEntries(hosts.sensors.map((s) => [s.name, dial ? { host: s.addr, port: AGENT_PORT } : { host: s.addr }])));
        const p = await allRunning(expectedNodes());
        for (const [key, pid] of p) {
          assert.ok(hosts.pids(sensorOf(key)).includes(pid), `${key} (pid ${pid}) runs in ${sensorOf(key).name}'s namespace`);
          assert.ok(runsZeek(pid), `${key} (pid ${pid}) is a real zeek process: ${cmdline(pid)}`);
        }
        // The controller and the agents are who this run says: Zeek's (its Supervisor, the zeek
        // executable) or ours (`zeek-mgmt run`, node).
        const ctlPid = controller!.child.pid!;
        assert.equal(runsZeek(ctlPid), zeekSide === 'controller', `the controller: ${cmdline(ctlPid)}`);
        assert.match(cmdline(ctlPid), zeekSide === 'controller' ? /-j policy\/frameworks\/management\/controller/ : /run\.js controller/);
        for (const s of hosts.sensors) {
          const pid = agents.get(s.name)!.child.pid!;
          assert.equal(runsZeek(pid), zeekSide === 'agents', `${s.name}'s agent: ${cmdline(pid)}`);
          assert.match(cmdline(pid), agentLooks, `${s.name}'s agent`);
        }
      });

      it('the agent links are native Broker over TLS with certificates', async () => {
        if (zeekSide === 'agents' ? !dial : dial) {
          // Our side accepted them and logged each verified certificate: our controller
          // (agents connecting) or each of our agents (Zeek's controller connecting).
          const log = zeekSide === 'agents' ? controller!.out() + textBelow(ctlDir) : textBelow(root);
          const verified = log.match(/native Broker peer \S+ over TLS with a verified certificate/g) ?? [];
          assert.ok(verified.length >= SENSORS, log.slice(-3000));
          return;
        }
        // Our side dialed: Zeek's listening side (sensor-3's agent, or the controller) takes a
        // native Broker peering with the CA and the client certificate, and refuses one with
        // the CA alone and one with anonymous TLS; reached from the test through a forward
        // into that namespace, with our own native Broker peer.
        const host = zeekSide === 'agents' ? hosts.sensors[2] : hosts.controller;
        const fwd = await hosts.forward(host, zeekSide === 'agents' ? AGENT_PORT : CONTROLLER_PORT, host.addr);
        try {
          const ca = fs.readFileSync(certs.caCert);
          const peerWith = async (tls: boolean | BrokerTlsFiles): Promise<string> => {
            try {
              const peer = await NativePeer.connect('127.0.0.1', fwd.port, { tls, handshakeTimeoutMs: 15_000 });
              await peer.unpeer(2000);
              return 'peered';
            } catch (err) {
              return `refused: ${(err as Error).message}`;
            }
          };
          assert.equal(await peerWith({ ca, cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) }), 'peered');
          assert.match(await peerWith({ ca }), /^refused: /);
          assert.match(await peerWith(true), /^refused: /);
        } finally {
          await fwd.close();
        }
      });

      it('the workers on sensors 2-8 peer across namespaces with the manager on sensor-1', async () => {
        const cfg = json(cli(['get-config', '--deployed', '--as-json']), 'get-config');
        const manager = cfg.nodes.find((n: any) => n.name === 'manager');
        assert.ok(manager?.port, JSON.stringify(manager));
        const managerAddr = hosts.sensors[0].addr;
        for (const s of hosts.sensors.slice(1)) {
          await waitFor(`a TCP connection from ${s.name} to the manager at ${managerAddr}:${manager.port}`, () =>
            hosts.execSync(s, ['ss', '-tnH', 'state', 'established', 'dst', `${managerAddr}:${manager.port}`]).trim() !== '' || null, 60_000, 500);
        }
      });

      it('get-id-value reaches every real node across the hosts', () => {
        const ids = json(cli(['get-id-value', 'Cluster::node']), 'get-id-value');
        assert.deepEqual(ids.errors, []);
        const names = expectedNodes().map((k) => k.split('/')[1]);
        assert.deepEqual(ids.results, Object.fromEntries(names.sort().map((n) => [n, n])));
        // One node by name on each of three hosts.
        const some = json(cli(['get-id-value', 'Cluster::node', 'worker-8', 'logger-1', 'proxy-1']), 'get-id-value');
        assert.deepEqual(some, { errors: [], results: { 'logger-1': 'logger-1', 'proxy-1': 'proxy-1', 'worker-8': 'worker-8' } });
      });

      it('restart of worker-5 on sensor-5: a new zeek process there, every other pid unchanged', async () => {
        const before = pids();
        const r = json(cli(['restart', 'worker-5']), 'restart');
        assert.deepEqual(r, { errors: [], results: { 'worker-5': true } });
        const after = await waitFor('worker-5 RUNNING with a new pid', () => {
          const rows = nodes();
          const w = rows['sensor-5']?.['worker-5'];
          return w?.state === 'RUNNING' && w.pid && w.pid !== before.get('sensor-5/worker-5') ? pids() : null;
        }, 60_000, 1000);
        assert.ok(hosts.pids(hosts.sensors[4]).includes(after.get('sensor-5/worker-5')!));
        assert.ok(runsZeek(after.get('sensor-5/worker-5')!), 'worker-5 is a real zeek process');
        for (const [k, v] of before) if (k !== 'sensor-5/worker-5') assert.equal(after.get(k), v, k);
      });

      it('plan, apply and drift through zeek-mgmt: a worker added on sensor-8', async () => {
        const file = path.join(root, 'desired.ini');
        fs.writeFileSync(file, clusterIni(hosts, dial, '\n[worker-9]\ninstance = sensor-8\nrole = worker\ninterface = lo\n'));
        const plan = cli(['plan', '--no-color', file]);
        assert.equal(plan.status, 2, plan.stdout + plan.stderr);
        assert.match(plan.stdout, /worker-9/);
        const drift = cli(['drift', '--format', 'json', file]);
        assert.equal(drift.status, 2, drift.stdout + drift.stderr);
        assert.equal(JSON.parse(drift.stdout).in_sync, false);
        assert.match(JSON.stringify(JSON.parse(drift.stdout).differences), /worker-9/);
        const apply = cli(['apply', file]);
        assert.equal(apply.status, 0, apply.stdout + apply.stderr);
        assert.match(apply.stderr, /info: deployed /);
        const after = await allRunning(expectedNodes(['sensor-8/worker-9']));
        assert.ok(runsZeek(after.get('sensor-8/worker-9')!), 'worker-9 is a real zeek process');
        assert.ok(hosts.pids(hosts.sensors[7]).includes(after.get('sensor-8/worker-9')!));
        const again = cli(['drift', '--format', 'json', file]);
        assert.equal(again.status, 0, again.stdout + again.stderr);
        assert.equal(JSON.parse(again.stdout).in_sync, true);
        const planAgain = cli(['plan', '--no-color', file]);
        assert.equal(planAgain.status, 0, planAgain.stdout + planAgain.stderr);
      });

      it('zeek-client in the controller\'s namespace: get-nodes, get-id-value, deploy-config, deploy', async function () {
        if (!zeekClient) {
          console.log('      skipped: no zeek-client here');
          this.skip();
        }
        const keys = expectedNodes(['sensor-8/worker-9']);
        const theirs = pids('zeek-client');
        assert.deepEqual([...theirs.keys()].sort(), keys);
        assert.deepEqual([...theirs].sort(), [...pids()].sort(), 'zeek-client and zeek-mgmt list the same pids');
        const ids = json(zc(['get-id-value', 'Cluster::node', 'worker-3', 'manager']), 'zeek-client get-id-value');
        assert.deepEqual(ids, { errors: [], results: { manager: 'manager', 'worker-3': 'worker-3' } });
        // zeek-client's deploy-config of the first cluster: worker-9 goes, every node is a new process.
        const file = path.join(root, 'cluster.ini');
        fs.writeFileSync(file, clusterIni(hosts, dial));
        const d = json(zc(['deploy-config', file]), 'zeek-client deploy-config');
        assert.deepEqual(d.errors, [], JSON.stringify(d));
        assert.deepEqual(Object.keys(d.results.nodes).sort(), expectedNodes().map((k) => k.split('/')[1]).sort());
        const after = await allRunning(expectedNodes(), 'zeek-client');
        for (const [k, pid] of after) {
          assert.notEqual(pid, theirs.get(k), `${k} was restarted by the deploy`);
          assert.ok(hosts.pids(sensorOf(k)).includes(pid), `${k} runs in ${sensorOf(k).name}`);
        }
        // zeek-client's deploy of what is staged, already running: as Zeek's agent does
        // (deploy_request with force=F), every agent leaves its nodes alone and names none.
        const again = json(zc(['deploy']), 'zeek-client deploy');
        assert.deepEqual(again.errors, [], JSON.stringify(again));
        assert.equal(again.results.nodes, undefined, JSON.stringify(again));
        assert.deepEqual([...pids()].sort(), [...after].sort());
      });
    });
  }
});

