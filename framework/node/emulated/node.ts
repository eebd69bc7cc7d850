// An emulated Zeek cluster node: as far as management can see, it behaves like one.
// It fails at start-up where Zeek would (missing interface, pcap or script), listens on
// its Broker port (a clash is reported and retried as Broker does), serves Prometheus
// metrics (and service discovery on the manager), writes Zeek-style logs, checks in with
// its agent (Management::Node::API::notify_node_hello, again after every reconnect) and
// answers node_dispatch get_id_value from its real configuration.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { B, BrokerData } from '../../../sdk/broker/data';
import { ZeekEvent } from '../../../sdk/broker/event';
import { NodeApi } from '../../../sdk/model/events';
import type { NodeLaunchSpec } from '../launch-spec';
import { lookupIdValue, nodeListenAddress } from '../id-values';
import { LogFormat, LogStream, LogWriter } from '../log-writer';
import { NodeLogRotation, startNodeRotation } from '../../logs/node-rotation';
import { peerRetryMs } from '../../../sdk/transport/connect-retry';
import { BrokerPeer } from './broker-peer';
import { findScript, interfaceProblem, isDistributionScript, pcapProblem, scriptProblem } from './checks';
import { metricsServer } from './metrics';

export class FatalError extends Error {}

const MANAGEMENT_NODE_SCRIPT = 'policy/frameworks/management/node';

const CONN_FIELDS = [
  { name: 'ts', type: 'time' }, { name: 'uid', type: 'string' }, { name: 'id.orig_h', type: 'addr' }, { name: 'id.orig_p', type: 'port' },
  { name: 'id.resp_h', type: 'addr' }, { name: 'id.resp_p', type: 'port' }, { name: 'proto', type: 'enum' }, { name: 'service', type: 'string' },
  { name: 'duration', type: 'interval' }, { name: 'orig_bytes', type: 'count' }, { name: 'resp_bytes', type: 'count' }, { name: 'conn_state', type: 'string' },
] as const;

const UID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function uid(): string {
  return 'C' + [...randomBytes(17)].map((b) => UID_CHARS[b % UID_CHARS.length]).join('');
}

export class EmulatedNode {
  readonly startedAt = Date.now();
  private logs!: LogWriter;
  private cluster!: LogStream;
  private conn!: LogStream;
  private rotation: NodeLogRotation | null = null;
  private peer: BrokerPeer | null = null;
  private brokerServer: net.Server | null = null;
  private metrics: ReturnType<typeof metricsServer> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly counters = new Map<string, number>();
  readonly nodeTopic: string;

  constructor(readonly spec: NodeLaunchSpec, readonly env: NodeJS.ProcessEnv = process.env) {
    this.nodeTopic = (spec.globals['Management::Node::node_topic'] as string) || 'zeek/management/node';
  }

  /** Effects of well-known distribution scripts the node was given. */
  private scriptEffects(): { useJson: boolean } {
    return { useJson: this.spec.scripts.some((s) => /^(policy\/)?tuning\/json-logs(\.zeek)?$/.test(s)) };
  }

  private count(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  private clusterLog(message: string): void {
    if (this.spec.globals['Log::enable_local_logging'] === false) return;
    this.cluster.write({ ts: Date.now() / 1000, node: this.spec.name, message });
    this.count('cluster');
  }

  /** Start-up checks; throws FatalError with Zeek's message. */
  check(): void {
    const s = this.spec;
    if (s.interface) {
      const p = interfaceProblem(s.interface);
      if (p) throw new FatalError(p);
    }
    if (s.pcap_file) {
      const p = pcapProblem(s.pcap_file, s.directory);
      if (p) throw new FatalError(p);
    }
    // A site (ours): its directory comes first on the script path, before the distribution's
    // names, as ZEEKPATH puts it first for a real node.
    const siteDir = this.env.ZEEK_MGMT_SITE_DIR || '';
    // Zeek loads a script once, however often it is named or @loaded.
    const loaded = new Set<string>();
    for (const script of s.scripts) {
      const inSite = siteDir ? findScript(script, siteDir, undefined) : null;
      if (inSite) {
        if (!loaded.has(inSite)) this.applyRedefs(inSite);
        const { siteValues } = require('./script-redefs') as typeof import('./script-redefs');
        s.siteValues = siteValues(inSite, siteDir, s.siteValues ?? {}, loaded);
        continue;
      }
      if (isDistributionScript(script)) continue;
      const file = findScript(script, s.directory, this.env.ZEEKPATH);
      if (!file) throw new FatalError(scriptProblem(script));
      this.applyRedefs(file);
    }
  }

  /** Picks up `redef NAME = VALUE;` of node globals from a user script, as loading it would. */
  private applyRedefs(file: string): void {
    const { parseRedefLenient } = require('./script-redefs') as typeof import('./script-redefs');
    Object.assign(this.spec.globals, parseRedefLenient(fs.readFileSync(file, 'utf8')));
  }

  /** The log format, once the node's scripts have had their say. */
  private openLogs(): void {
    const spec = this.spec;
    const g = spec.globals;
    const format: LogFormat = {
      useJson: g['LogAscii::use_json'] === true || this.scriptEffects().useJson,
      separator: typeof g['LogAscii::separator'] === 'string' ? (g['LogAscii::separator'] as string) : '\t',
      setSeparator: typeof g['LogAscii::set_separator'] === 'string' ? (g['LogAscii::set_separator'] as string) : ',',
      emptyField: typeof g['LogAscii::empty_field'] === 'string' ? (g['LogAscii::empty_field'] as string) : '(empty)',
      unsetField: typeof g['LogAscii::unset_field'] === 'string' ? (g['LogAscii::unset_field'] as string) : '-',
    };
    if (format.useJson) spec.globals['LogAscii::use_json'] = true;
    this.logs = new LogWriter(spec.directory, format);
  }

  async start(): Promise<void> {
    const s = this.spec;
    // A supervised Zeek node reports its capture source, placed at the node parameters.
    if (s.interface) process.stderr.write(`<params>, line 1: listening on ${s.interface}\n`);
    this.openLogs();
    this.rotation = startNodeRotation(this.logs, s, (msg) => process.stderr.write(`${msg}\n`));
    this.cluster = this.logs.stream('cluster', [{ name: 'ts', type: 'time' }, { name: 'node', type: 'string' }, { name: 'message', type: 'string' }]);
    this.conn = this.logs.stream('conn', CONN_FIELDS.map((f) => ({ ...f })));
    const loaded = this.logs.stream('loaded_scripts', [{ name: 'name', type: 'string' }]);
    for (const script of s.scripts.includes(MANAGEMENT_NODE_SCRIPT) ? s.scripts : [...s.scripts, MANAGEMENT_NODE_SCRIPT]) loaded.write({ name: script });

    const self = s.cluster[s.name];
    if (self && self.p !== 0) this.listenBroker(self.p);
    if (self?.metrics_port) await this.listenMetrics(self.metrics_port, self.role === 'MANAGER');
    this.connectAgent();
  }

  private listenAddress(): string {
    return nodeListenAddress(this.spec) || '0.0.0.0';
  }

  private trackConnections(server: net.Server, service: string | null): void {
    server.on('connection', (sock: net.Socket) => {
      const start = Date.now();
      const rec = { ts: start / 1000, uid: uid(), 'id.orig_h': sock.remoteAddress?.replace(/^::ffff:/, ''), 'id.orig_p': sock.remotePort, 'id.resp_h': sock.localAddress?.replace(/^::ffff:/, ''), 'id.resp_p': sock.localPort };
      sock.on('error', () => undefined);
      sock.on('close', () => {
        if (this.stopped) return;
        this.conn.write({ ...rec, proto: 'tcp', service, duration: (Date.now() - start) / 1000, orig_bytes: sock.bytesRead, resp_bytes: sock.bytesWritten, conn_state: 'SF' });
        this.count('conn');
      });
    });
  }

  /**
   * Listens like Broker::listen: a failure is an error on stderr, retried every
   * Broker::default_listen_retry, or as the node's ZEEK_DEFAULT_LISTEN_RETRY (seconds, as
   * the script's to_double reads it) says where set and not empty; 0 means no retry.
   */
  private listenBroker(port: number): void {
    const addr = this.listenAddress();
    const fromEnv = process.env.ZEEK_DEFAULT_LISTEN_RETRY;
    const secs = fromEnv !== undefined && fromEnv !== '' ? Number.parseFloat(fromEnv) || 0 : ((this.spec.globals['Broker::default_listen_retry'] as number) ?? 1);
    const retry = secs * 1000;
    const attempt = (): void => {
      if (this.stopped) return;
      const server = net.createServer((sock) => sock.on('error', () => undefined));
      this.trackConnections(server, null);
      server.once('error', () => {
        process.stderr.write(`error: Failed to listen on ${addr}:${port}\n`);
        server.close();
        if (retry > 0) this.timers.push(setTimeout(attempt, retry));
      });
      server.listen(port, addr, () => {
        this.brokerServer = server;
      });
    };
    attempt();
    this.clusterLog(`listening on ${addr}:${port}/tcp`);
  }

  private listenMetrics(port: number, isManager: boolean): Promise<void> {
    const addr = (this.spec.globals['Telemetry::metrics_address'] as string) || '0.0.0.0';
    const server = metricsServer({
      node: this.spec.name,
      cluster: this.spec.cluster,
      startedAt: this.startedAt,
      counters: () => [...this.counters].map(([path, value]) => ({ name: 'zeek_log_writes_total', help: 'Number of log writes.', labels: { log_id: path }, value })),
    }, isManager);
    this.trackConnections(server, 'http');
    this.metrics = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new FatalError(`fatal error: Failed to setup Prometheus endpoint: ${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'Address already in use' : err.message}. Attempted to bind to ${addr}:${port}.`)));
      server.listen(port, addr, () => resolve());
    });
  }

  /** Peers with the agent (Management::Agent::endpoint_info()), retrying every Management::connect_retry. */
  private connectAgent(): void {
    const host = this.spec.agent.host === '0.0.0.0' || this.spec.agent.host === '' ? '127.0.0.1' : this.spec.agent.host === '::' ? '::1' : this.spec.agent.host;
    // Broker::peer(..., Management::connect_retry), which the node's ZEEK_DEFAULT_CONNECT_RETRY overrides.
    const retry = peerRetryMs((this.spec.globals['Management::connect_retry'] as number) ?? 1);
    const peer = new BrokerPeer(host, this.spec.agent.port, [this.nodeTopic]);
    this.peer = peer;
    peer.on('ready', () => {
      peer.publishEvent(this.nodeTopic, { name: NodeApi.notify_node_hello, args: [B.str(this.spec.name)] });
    });
    peer.on('event', (ev) => this.onEvent(ev));
    peer.on('close', () => {
      if (!this.stopped && retry !== null) this.timers.push(setTimeout(() => peer.connect(), retry));
    });
    peer.connect();
  }

  private onEvent(ev: ZeekEvent): void {
    if (ev.name !== NodeApi.node_dispatch_request) return;
    const [reqidD, actionD, nodesD] = ev.args;
    if (reqidD?.type !== 'string') return;
    const strings = (d: BrokerData | undefined): string[] =>
      d && (d.type === 'vector' || d.type === 'set') ? d.value.flatMap((x) => (x.type === 'string' ? [x.value] : [])) : [];
    const action = strings(actionD);
    const nodes = strings(nodesD);
    if (nodes.length > 0 && !nodes.includes(this.spec.name)) return;
    this.count('dispatch');
    let success = true;
    let error: string | null = null;
    let data: BrokerData = B.none();
    if (action.length === 0) {
      success = false;
      error = 'no dispatch arguments provided';
    } else if (action[0] !== 'get_id_value') {
      success = false;
      error = `dispatch ${action[0]} unknown`;
    } else if (action.length < 2) {
      success = false;
      error = 'get_id_value expects name of global identifier';
    } else {
      const v = lookupIdValue(this.spec, action[1]);
      if (v.ok) data = B.str(v.json);
      else {
        success = false;
        error = v.error;
      }
    }
    // Management::Result: reqid, success, instance, data, error, node.
    const result = B.vec([B.str(reqidD.value), B.bool(success), B.none(), data, B.opt(error, B.str), B.str(this.spec.name)]);
    this.peer?.publishEvent(this.nodeTopic, { name: NodeApi.node_dispatch_response, args: [reqidD, result] });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // As Zeek on SIGTERM: the signal, then a sniffing node's capture statistics (none captured here).
    process.stderr.write('<params>, line 1: received termination signal\n');
    if (this.spec.interface) process.stderr.write(`<params>, line 1: 0 packets received on interface ${this.spec.interface}, 0 (0.00%) dropped, 0 (0.00%) not processed\n`);
    for (const t of this.timers) clearTimeout(t);
    this.peer?.close();
    this.brokerServer?.close();
    this.metrics?.close();
    // Zeek rotates every log once more on a clean shutdown (when rotation is on).
    if (this.rotation) this.rotation.finish();
    else this.logs?.closeAll();
  }
}
