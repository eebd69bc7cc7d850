// The Management agent (Zeek's policy/frameworks/management/agent/main.zeek): it talks
// to its Supervisor for node processes, to the controller (connecting to it, or being
// connected to) for instructions, and to its cluster nodes, which check in on the
// agent's listening port. Requests, responses and result shapes are Zeek's.

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { B, BrokerData } from '../../sdk/broker/data';
import { ZeekEvent } from '../../sdk/broker/event';
import { AgentApi, DIAG_CAPABILITY, DiagApi, NodeApi, SITE_CAPABILITY, SiteApi, SupervisorApi } from '../../sdk/model/events';
import { nodeDiagnosticsFromJson } from '../../sdk/model/diagnostics';
import { configurationSite } from '../../sdk/site/apply';
import { SITE_DIR_ENV } from '../../sdk/site/site';
import { AgentSites } from './site';
import {
  configurationFromData, makeResult, nodeOutputsFromData, nodeOutputsToData, nodeStatusToData, Result, resultFromData,
  resultToData, resultVecToData,
} from '../../sdk/model/records';
import { Configuration, Instance, Node, NodeOutputs, NodeStatus } from '../../sdk/model/schemas';
import { BrokerTlsFiles, brokerTls } from '../../sdk/broker/native/tls';
import { BrokerPeering } from '../../sdk/transport/broker-peering';
import { peerRetryMs } from '../../sdk/transport/connect-retry';
import { EndpointServer, Peer } from '../../sdk/transport/endpoint-server';
import { topicMatches } from '../../sdk/transport/topics';
import { Settings } from '../settings/settings';
import { ClusterEndpoint, clusterToData, nodeConfig, SupervisorStatus } from '../supervisor/records';
import { SupervisorLink } from './supervisor-link';
import { LogArchival } from '../logs/archival';
import { archivalSettings } from '../logs/log-settings';
import { fsyncDir, ioErrorReason, writeFileDurable } from '../logs/durable-fs';

export const MANAGEMENT_NODE_SCRIPT = 'policy/frameworks/management/node';

/**
 * How many create_requests of a deployment are outstanding at most. Each carries the whole
 * cluster layout (~350 bytes per node: 69 KB at 200 nodes); sent all at once, as Zeek's
 * agent does, they waited in the agent's socket buffers while the Supervisor started one
 * node after the other (8-14 MB at 200 nodes). The Supervisor serves creates in order
 * anyway, so a few in flight keep it just as busy.
 */
export const CREATES_IN_FLIGHT = 4;

export type RuntimeName = 'emulated' | 'zeek';

export interface AgentOptions {
  settings: Settings;
  /** Node runtime for cluster nodes, already resolved from Management::Agent::node_runtime. */
  runtime: RuntimeName;
  /** The Supervisor's secret for its control port (supervisor/control-secret.ts); without it the Supervisor refuses the agent. */
  supervisorSecret?: string;
  log?: (level: 'debug' | 'info' | 'warning' | 'error', msg: string) => void;
}

interface DeployState {
  reqid: string;
  pending: Set<string>;
  results: Result[];
  timer: NodeJS.Timeout;
}

interface DispatchState {
  reqid: string;
  action: string[];
  pending: Set<string>;
  results: Result[];
  timer: NodeJS.Timeout;
}

interface RestartState {
  reqid: string;
  pending: Set<string>;
  results: Result[];
  timer: NodeJS.Timeout;
  done: boolean;
}

/** Where an event came from, so that hello goes back on the same path. */
type Source = { kind: 'controller-client' } | { kind: 'peer'; peer: Peer } | { kind: 'internal' };

export class Agent {
  readonly name: string;
  readonly topic: string;
  readonly nodeTopic: string;
  private readonly settings: Settings;
  private server: EndpointServer | null = null;
  /** Our Broker::peer to Management::Agent::controller, when the agent connects to it. */
  private controller: BrokerPeering | null = null;
  private supervisor: SupervisorLink | null = null;
  private readonly abort = new AbortController();
  private stopped = false;
  /** Periodic log archival (framework/logs/archival.ts). */
  readonly archival: LogArchival;

  // Zeek's g_config, g_instances, g_nodes, g_outputs, g_config_reqid_pending.
  private config: Configuration | null = null;
  private instances = new Map<string, Instance>();
  private nodes = new Map<string, Node>();
  private outputs = new Map<string, NodeOutputs>();
  private deploy: DeployState | null = null;
  /** Counts adopted configurations: a deployment stops creating nodes once another one is adopted. */
  private deployGeneration = 0;
  /** Writes of deployed-config.json, one after the other. */
  private configWrites: Promise<void> = Promise.resolve();
  private readonly dispatches = new Map<string, DispatchState>();
  private readonly restarts = new Map<string, RestartState>();
  /** Sites (ours): stored under <agent dir>/sites. */
  readonly sites: AgentSites;

  constructor(readonly options: AgentOptions) {
    this.settings = options.settings;
    this.name = this.settings.agentName();
    this.topic = `${this.settings.str('Management::Agent::topic_prefix')}/${this.name}`;
    this.nodeTopic = this.settings.str('Management::Node::node_topic');
    this.sites = new AgentSites(path.join(this.settings.agentDirectory(), 'sites'), Math.max(1, this.settings.num('ZeekMgmt::site_keep')),
      options.runtime, this.settings, (level, msg) => this.log(level, msg));
    this.archival = new LogArchival({
      settings: archivalSettings(this.settings),
      log: (level, msg) => this.log(level, msg),
      notify: (msg) => this.publish(AgentApi.notify_log, [B.str(this.name), B.str(msg), B.str('')]),
    });
  }

  private log(level: 'debug' | 'info' | 'warning' | 'error', msg: string): void {
    this.options.log?.(level, msg);
  }

  private get timeoutMs(): number {
    return this.settings.agentRequestTimeout() * 1000;
  }

  get endpointId(): string {
    return this.server?.endpointId ?? '';
  }

  get listenPort(): number {
    return this.server?.address?.port ?? this.settings.agentListen().port;
  }

  // ---- start-up ----------------------------------------------------------------------

  /** Peers with the Supervisor, rediscovers running nodes, listens, and connects to the controller. */
  async start(): Promise<void> {
    const sup = this.settings.supervisorListen();
    this.supervisor = await SupervisorLink.connect({
      host: sup.address, port: sup.port,
      topics: [this.settings.str('SupervisorControl::topic_prefix'), this.settings.str('Management::Supervisor::topic_prefix')],
      topicPrefix: this.settings.str('SupervisorControl::topic_prefix'),
      retryMs: this.settings.num('Management::connect_retry') * 1000,
      signal: this.abort.signal,
      secret: this.options.supervisorSecret,
      onRetry: (n, err) => { if (n === 1) this.log('info', `waiting for the supervisor at ${sup.address}:${sup.port}: ${err.message}`); },
    });
    if (this.stopped) return;
    this.supervisor.on('event', (ev) => this.onSupervisorEvent(ev));
    this.supervisor.on('close', () => {
      if (!this.stopped) {
        this.log('error', 'lost the connection to the supervisor; exiting');
        process.exitCode = 1;
        void this.stop();
      }
    });
    await this.rediscover();

    const listen = this.settings.agentListen();
    // Native Broker beside WebSocket on the same port: real Zeek nodes (policy/frameworks/
    // management/node, unchanged) peer natively and check in on the node topic.
    this.server = new EndpointServer({
      host: listen.address, port: listen.port, relay: false, log: (lvl, msg) => this.log(lvl, msg),
      native: { filter: [this.topic, this.nodeTopic], tls: this.brokerTls(), keepalive: this.keepalive() },
    });
    this.server.on('event', (ev, topic, peer) => this.onEvent(ev, { kind: 'peer', peer }, topic));
    this.server.on('peer', (peer) => this.onPeer(peer));
    await this.server.listen();
    this.log('info', `agent ${this.name} is live, Broker ID ${this.endpointId}, listening on ${listen.address}:${this.listenPort}`);

    const target = this.settings.agentControllerTarget();
    if (target) this.connectController(target);
    this.archival.start();
  }

  /** Learns the cluster nodes the Supervisor still runs (after an agent restart, they keep running). */
  private async rediscover(): Promise<void> {
    const status = await this.supervisor!.status('');
    for (const [name, ns] of Object.entries(status.nodes)) {
      const cfg = ns.node;
      if (cfg.env.ZEEK_MANAGEMENT_NODE !== undefined) continue;
      const cep = cfg.cluster[name];
      if (!cep) continue;
      this.nodes.set(name, {
        name, instance: this.name, role: cep.role, state: 'PENDING', port: cep.p === 0 ? null : cep.p,
        scripts: cfg.addl_user_scripts.filter((s) => s !== MANAGEMENT_NODE_SCRIPT), options: null,
        interface: cfg.interface, cpu_affinity: cfg.cpu_affinity, env: withoutKey(cfg.env, SITE_DIR_ENV), metrics_port: cep.metrics_port,
      });
    }
    if (this.nodes.size) this.log('info', `rediscovered ${this.nodes.size} cluster node(s) from the supervisor: ${[...this.nodes.keys()].sort().join(', ')}`);
    // The configuration these nodes came from, when they are exactly its nodes: a
    // controller re-sending it after our restart then finds it already running.
    // Every field the Supervisor kept must match, so that a record left over from an
    // earlier deployment with the same node names is not taken for the running one.
    const saved = this.loadConfig();
    if (saved && this.nodes.size > 0) {
      const mine = saved.nodes.filter((n) => n.instance === this.name);
      const same = (n: Node): boolean => {
        const r = this.nodes.get(n.name);
        return r !== undefined && r.role === n.role && r.port === n.port && r.interface === n.interface
          && r.cpu_affinity === n.cpu_affinity && r.metrics_port === n.metrics_port
          && JSON.stringify(r.scripts) === JSON.stringify(n.scripts ?? [])
          && JSON.stringify(Object.entries(r.env).sort()) === JSON.stringify(Object.entries(n.env ?? {}).sort());
      };
      if (mine.length === this.nodes.size && mine.every(same)) {
        this.config = saved;
        this.instances = new Map(saved.instances.map((i) => [i.name, i]));
        this.log('info', `nodes run configuration ${saved.id}`);
      }
    }
  }

  private get configFile(): string {
    return path.join(this.settings.agentDirectory(), 'deployed-config.json');
  }

  /**
   * Records the configuration being adopted, for a restarted agent to recognise its
   * nodes. The previous record goes first (durably), so that a crash or a failed write
   * leaves no record rather than one that no longer describes the nodes; the new one is
   * written atomically (writeFileDurable), writes in order.
   */
  private saveConfig(config: Configuration): void {
    const file = this.configFile;
    try {
      fs.rmSync(file, { force: true });
      fsyncDir(path.dirname(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log('warning', `could not remove the previous deployed configuration ${file}: ${ioErrorReason(err)}`);
    }
    const text = JSON.stringify(config);
    this.configWrites = this.configWrites.then(async () => {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await writeFileDurable(file, text, 0o644);
      } catch (err) {
        this.log('warning', `could not save the deployed configuration to ${file}: ${ioErrorReason(err)}`);
      }
    });
  }

  private loadConfig(): Configuration | null {
    try {
      const c = JSON.parse(fs.readFileSync(this.configFile, 'utf8')) as Configuration;
      return typeof c.id === 'string' && Array.isArray(c.nodes) && Array.isArray(c.instances) ? c : null;
    } catch {
      return null;
    }
  }

  /**
   * Broker::peer(Management::Agent::controller, Management::connect_retry), in native
   * Broker as Zeek's agent does (TLS unless Broker::disable_ssl=T). The peering carries
   * the agent's endpoint id, which notify_agent_hello names: Zeek's controller looks the
   * hello's id up among its peers.
   */
  private connectController(target: { address: string; port: number }): void {
    const where = `${target.address}:${target.port}`;
    const peering = new BrokerPeering({
      host: target.address, port: target.port, topics: [this.topic],
      tls: this.brokerTls(),
      // Broker::peer(..., Management::connect_retry): ZEEK_DEFAULT_CONNECT_RETRY overrides it.
      retryMs: peerRetryMs(this.settings.num('Management::connect_retry')),
      endpointId: this.endpointId,
      keepalive: this.keepalive(),
    });
    this.controller = peering;
    peering.on('failed', (err, attempt) => {
      if (attempt === 1 || attempt % 60 === 0) this.log('warning', `cannot connect to the controller at ${where} (attempt ${attempt}): ${err.message}`);
    });
    peering.on('up', () => {
      this.log('info', `connected to the controller at ${where}`);
      peering.publishEvent(this.topic, this.hello(true));
      peering.publishEvent(this.topic, this.capabilities());
    });
    peering.on('event', (ev, topic) => this.onEvent(ev, { kind: 'controller-client' }, topic));
    peering.on('protocol-error', (err) => this.log('warning', `discarded malformed message from the controller at ${where}: ${err.message}`));
    peering.on('lost', (_peer, reason) => {
      if (!this.stopped) this.log('warning', `lost the connection to the controller (${reason}), reconnecting`);
    });
    peering.start();
  }

  /**
   * Ours: a native link silent for ZeekMgmt::peer_timeout is closed (Broker has no such
   * check): a controller we dialed is dialed again, one that dialed us will do so itself.
   */
  private keepalive(): { intervalMs: number; timeoutMs: number } {
    return { intervalMs: this.settings.num('ZeekMgmt::peer_ping_interval') * 1000, timeoutMs: this.settings.num('ZeekMgmt::peer_timeout') * 1000 };
  }

  /** Broker's TLS for native links: anonymous, with certificates (Broker::ssl_*), or none (Broker::disable_ssl). */
  private brokerTls(): boolean | BrokerTlsFiles {
    const s = (k: string): string => this.settings.str(`Broker::ssl_${k}`);
    return brokerTls(this.settings.bool('Broker::disable_ssl'), { cafile: s('cafile'), capath: s('capath'), certificate: s('certificate'), keyfile: s('keyfile'), passphrase: s('passphrase') });
  }

  private hello(connecting: boolean): ZeekEvent {
    return {
      name: AgentApi.notify_agent_hello,
      args: [B.str(this.name), B.str(this.endpointId), B.bool(connecting), B.count(AgentApi.version)],
    };
  }

  /**
   * Ours, right after the hello on the same link: this agent takes sites and answers node
   * diagnostics. Zeek's controller has no handler for the event and drops it (Broker's
   * process_event).
   */
  private capabilities(): ZeekEvent {
    return { name: SiteApi.notify_agent_capabilities, args: [B.str(this.name), B.vec([B.str(SITE_CAPABILITY), B.str(DIAG_CAPABILITY)])] };
  }

  /** A controller peering with us gets notify_agent_hello; cluster nodes announce themselves. */
  private onPeer(peer: Peer): void {
    if (topicMatches(peer.subscriptions, this.topic)) {
      this.log('info', `controller peered from ${peer.remoteAddress}:${peer.remotePort}`);
      // Like Broker's peer_added, the greeting follows the handshake rather than riding
      // along with its ack, so that a peer that just finished connecting is listening.
      setTimeout(() => {
        peer.sendEvent(this.topic, this.hello(false));
        peer.sendEvent(this.topic, this.capabilities());
      }, 50);
    }
  }

  // ---- sending -----------------------------------------------------------------------

  /** Publishes on the agent topic, to the controller we connected to and to controllers connected to us. */
  private publish(name: string, args: BrokerData[]): void {
    const ev = { name, args };
    this.server?.publishEvent(this.topic, ev);
    // Goes out only while peered; a controller that reconnects re-requests.
    this.controller?.publishEvent(this.topic, ev);
  }

  private result(reqid: string, fields: Partial<Omit<Result, 'reqid'>> = {}): Result {
    return makeResult(reqid, { instance: this.name, ...fields });
  }

  // ---- receiving ---------------------------------------------------------------------

  private onEvent(ev: ZeekEvent, source: Source, topic: string): void {
    try {
      if (topic.startsWith(this.nodeTopic)) {
        this.onNodeEvent(ev);
        return;
      }
      this.onAgentRequest(ev, source);
    } catch (err) {
      this.log('error', `cannot handle ${ev.name}: ${(err as Error).message}`);
    }
  }

  private onAgentRequest(ev: ZeekEvent, _source: Source): void {
    const reqid = ev.args[0]?.type === 'string' ? ev.args[0].value : null;
    if (reqid === null) return;
    switch (ev.name) {
      case AgentApi.deploy_request: {
        const cfg = configurationFromData(ev.args[1] ?? { type: 'none' }, '$.args[1]');
        const force = ev.args[2]?.type === 'boolean' ? ev.args[2].value : false;
        void this.onDeploy(reqid, cfg, force);
        return;
      }
      case AgentApi.get_nodes_request:
        void this.onGetNodes(reqid);
        return;
      case AgentApi.node_dispatch_request:
        this.onDispatch(reqid, strings(ev.args[1]), strings(ev.args[2]));
        return;
      case AgentApi.restart_request:
        this.onRestart(reqid, strings(ev.args[1]));
        return;
      case AgentApi.agent_welcome_request:
        this.log('info', `rx ${ev.name} ${reqid}`);
        this.publish(AgentApi.agent_welcome_response, [B.str(reqid), resultToData(this.result(reqid))]);
        return;
      case SiteApi.site_chunk_request: {
        const num = (d: BrokerData | undefined): number => (d?.type === 'count' && d.value <= 1_000_000_000n ? Number(d.value) : -1);
        const str = (d: BrokerData | undefined): string => (d?.type === 'string' ? d.value : '');
        const inUse = this.config ? configurationSite(this.config).hash : null;
        const a = this.sites.chunk(str(ev.args[1]), num(ev.args[2]), num(ev.args[3]), str(ev.args[4]), inUse);
        this.publish(SiteApi.site_chunk_response, [B.str(reqid), resultToData(this.result(reqid, { success: a.success, error: a.error ?? null, data: a.data !== undefined ? B.str(a.data) : null }))]);
        return;
      }
      case SiteApi.site_check_request: {
        const hash = ev.args[1]?.type === 'string' ? ev.args[1].value : '';
        let cfg: Configuration;
        try {
          cfg = configurationFromData(ev.args[2] ?? { type: 'none' }, '$.args[2]');
        } catch (err) {
          this.publish(SiteApi.site_check_response, [B.str(reqid), resultVecToData([this.result(reqid, { success: false, error: `malformed site check: ${(err as Error).message}` })])]);
          return;
        }
        void this.sites.check(hash, cfg, this.name, this.config ? configurationSite(this.config).hash : null).then((answers) => {
          this.publish(SiteApi.site_check_response, [B.str(reqid), resultVecToData(answers.map((a) => this.result(reqid, { success: a.success, error: a.error ?? null, data: a.data !== undefined ? B.str(a.data) : null })))]);
        });
        return;
      }
      case SiteApi.site_status_request: {
        const hash = ev.args[1]?.type === 'string' ? ev.args[1].value : '';
        const a = this.sites.status(hash, this.config);
        this.publish(SiteApi.site_status_response, [B.str(reqid), resultToData(this.result(reqid, { success: a.success, error: a.error ?? null, data: a.data !== undefined ? B.str(a.data) : null }))]);
        return;
      }
      case DiagApi.agent_diagnostics_request:
        void this.onDiagnostics(reqid, strings(ev.args[1]));
        return;
      case AgentApi.agent_standby_request:
        this.log('info', `rx ${ev.name} ${reqid}`);
        void this.onDeploy('', { id: '', instances: [], nodes: [] }, false);
        this.publish(AgentApi.agent_standby_response, [B.str(reqid), resultToData(this.result(reqid))]);
        return;
      default:
        return;
    }
  }

  private onNodeEvent(ev: ZeekEvent): void {
    if (ev.name === NodeApi.notify_node_hello) {
      const node = ev.args[0]?.type === 'string' ? ev.args[0].value : null;
      if (node !== null) this.onNodeHello(node);
    } else if (ev.name === NodeApi.node_dispatch_response) {
      const reqid = ev.args[0]?.type === 'string' ? ev.args[0].value : null;
      if (reqid !== null && ev.args[1]) this.onDispatchResponse(reqid, resultFromData(ev.args[1], '$.args[1]'));
    }
  }

  private onSupervisorEvent(ev: ZeekEvent): void {
    if (ev.name === SupervisorApi.notify_node_exit) {
      const node = ev.args[0]?.type === 'string' ? ev.args[0].value : null;
      if (node === null || !ev.args[1]) return;
      this.log('info', `rx ${ev.name} ${node}`);
      const n = this.nodes.get(node);
      if (n) {
        this.outputs.set(node, nodeOutputsFromData(ev.args[1], '$.args[1]'));
        n.state = 'PENDING';
      }
    }
  }

  // ---- deploy ------------------------------------------------------------------------

  private async onDeploy(reqid: string, config: Configuration, force: boolean): Promise<void> {
    this.log('info', `rx ${AgentApi.deploy_request} ${reqid} ${config.id}`);
    if (this.config !== null && this.config.id === config.id && !force) {
      this.log('info', `already running config ${config.id}`);
      this.publish(AgentApi.deploy_response, [B.str(reqid), resultVecToData([this.result(reqid)])]);
      return;
    }
    // A site (ours) must be here, intact, before anything is torn down.
    const site = configurationSite(config);
    let siteDir: string | null = null;
    if (site.error !== undefined || site.hash !== null) {
      const v = site.hash !== null ? this.sites.store.verify(site.hash) : null;
      if (site.error !== undefined || v?.state !== 'ok') {
        const error = site.error ?? `site ${site.hash} is not on instance '${this.name}' (${v?.detail ?? 'missing'}); nothing was changed`;
        this.log('warning', `refusing deploy_request ${reqid}: ${error}`);
        this.publish(AgentApi.deploy_response, [B.str(reqid), resultVecToData([this.result(reqid, { success: false, error })])]);
        return;
      }
      siteDir = this.sites.store.dir(site.hash!);
      this.sites.store.adopt(site.hash!);
    }
    // Adopting the configuration perturbs whatever ran before, so it is ours from here on.
    this.config = config;
    const generation = ++this.deployGeneration;
    this.saveConfig(config);
    this.instances = new Map(config.instances.map((i) => [i.name, i]));
    let status: SupervisorStatus;
    try {
      status = await this.supervisor!.status('');
    } catch (err) {
      this.publish(AgentApi.deploy_response, [B.str(reqid), resultVecToData([this.result(reqid, { success: false, error: `supervisor unavailable: ${(err as Error).message}` })])]);
      return;
    }
    // Tear down every cluster node (management nodes stay).
    for (const [name, ns] of Object.entries(status.nodes)) {
      if (ns.node.env.ZEEK_MANAGEMENT_NODE !== undefined) continue;
      void this.supervisor!.destroy(name).then((ok) => {
        if (!ok) this.notifyError(`failed to destroy node ${name}, ${reqid}`, name);
      }, () => undefined);
    }
    this.nodes = new Map();
    this.outputs = new Map();
    if (config.nodes.length === 0) {
      this.publish(AgentApi.deploy_response, [B.str(reqid), resultVecToData([this.result(reqid)])]);
      return;
    }
    const cluster: Record<string, ClusterEndpoint> = {};
    const mine: Node[] = [];
    for (const node of config.nodes) {
      if (node.instance === this.name) {
        mine.push({ ...node, state: 'PENDING' });
        this.nodes.set(node.name, mine[mine.length - 1]);
      }
      cluster[node.name] = {
        role: node.role,
        host: this.instances.get(node.instance)?.host ?? '127.0.0.1',
        p: node.port ?? 0,
        interface: node.interface,
        pcap_file: null,
        metrics_port: node.metrics_port,
      };
    }
    const state: DeployState = {
      reqid, pending: new Set(mine.map((n) => n.name)), results: [],
      timer: setTimeout(() => this.deployTimedOut(state), this.timeoutMs),
    };
    this.deploy = state;
    if (state.pending.size === 0) {
      this.finishDeploy(state);
      return;
    }
    const nodesDir = this.settings.nodesDir();
    // Every node gets the same layout: encoded once, not once per node, and sent to our
    // own Supervisor once, before the creates that refer to it (supervisor-link.ts).
    const clusterData = clusterToData(cluster);
    let layoutId: string | null = null;
    // CREATES_IN_FLIGHT at a time, in order; the next goes out as a response comes back.
    let next = 0;
    const createNext = (): void => {
      if (generation !== this.deployGeneration || this.stopped || next >= mine.length) return;
      const node = mine[next++];
      const directory = path.join(nodesDir, node.name);
      try {
        fs.mkdirSync(directory, { recursive: true });
      } catch (err) {
        this.log('warning', `could not create node state dir '${directory}': ${(err as Error).message}`);
      }
      const cfg = nodeConfig(node.name, {
        directory,
        interface: node.interface,
        cpu_affinity: node.cpu_affinity,
        addl_user_scripts: [...(node.scripts ?? []), MANAGEMENT_NODE_SCRIPT],
        env: siteDir !== null ? { ...node.env, [SITE_DIR_ENV]: siteDir } : { ...node.env },
        cluster,
        runtime: this.options.runtime,
      });
      void this.supervisor!.create(cfg, clusterData, layoutId).then((res) => {
        if (res !== '') {
          const msg = `failed to create node ${node.name}: ${res}`;
          this.log('error', msg);
          this.notifyError(msg, node.name);
        }
      }, (err) => this.log('error', `create ${node.name}: ${(err as Error).message}`)).finally(createNext);
    };
    void this.supervisor!.layout(clusterData).then((id) => {
      layoutId = id;
    }, (err) => {
      this.log('warning', `the supervisor did not take the cluster layout (${(err as Error).message}); every create_request carries it`);
    }).finally(() => {
      for (let i = 0; i < CREATES_IN_FLIGHT; i++) createNext();
    });
  }

  private notifyError(msg: string, node: string): void {
    this.publish(AgentApi.notify_error, [B.str(this.name), B.str(msg), B.str(node)]);
  }

  private deployTimedOut(state: DeployState): void {
    this.log('info', `request ${state.reqid} timed out`);
    state.results.push(this.result(state.reqid, { success: false, error: 'request timed out' }));
    this.finishDeploy(state);
  }

  /** Zeek's send_deploy_response: one result per node of this instance, failures with their outputs. */
  private finishDeploy(state: DeployState): void {
    clearTimeout(state.timer);
    if (this.deploy === state) this.deploy = null;
    for (const name of this.nodes.keys()) {
      const res = this.result(state.reqid, { node: name });
      if (state.pending.has(name)) {
        res.success = false;
        const out = this.outputs.get(name);
        if (out) res.data = nodeOutputsToData(out);
      }
      state.results.push(res);
    }
    this.publish(AgentApi.deploy_response, [B.str(state.reqid), resultVecToData(state.results)]);
  }

  private onNodeHello(node: string): void {
    this.log('info', `rx ${NodeApi.notify_node_hello} ${node}`);
    const n = this.nodes.get(node);
    if (n) n.state = 'RUNNING';
    const d = this.deploy;
    if (d && d.pending.delete(node) && d.pending.size === 0) this.finishDeploy(d);
  }

  // ---- get_nodes ---------------------------------------------------------------------

  private async onGetNodes(reqid: string): Promise<void> {
    this.log('info', `rx ${AgentApi.get_nodes_request} ${reqid}`);
    let status: SupervisorStatus;
    try {
      status = await this.supervisor!.status('');
    } catch (err) {
      this.publish(AgentApi.get_nodes_response, [B.str(reqid), resultToData(this.result(reqid, { success: false, error: `supervisor unavailable: ${(err as Error).message}` }))]);
      return;
    }
    const statuses: NodeStatus[] = [];
    const agentPort = this.listenPort;
    for (const name of Object.keys(status.nodes)) {
      const sns = status.nodes[name];
      const cns: NodeStatus = { node: name, state: 'PENDING', mgmt_role: 'NONE', cluster_role: 'NONE', pid: null, port: null, metrics_port: null };
      const cep = sns.node.cluster[name];
      if (cep) {
        cns.cluster_role = cep.role;
        const n = this.nodes.get(name);
        if (n) cns.state = n.state;
        if (cep.p !== 0) cns.port = cep.p;
        if (cep.metrics_port !== null) cns.metrics_port = cep.metrics_port;
      } else {
        const role = sns.node.env.ZEEK_MANAGEMENT_NODE;
        if (role === 'CONTROLLER') {
          cns.mgmt_role = 'CONTROLLER';
          cns.state = 'RUNNING';
          // As Zeek's agent reports it: the agent's own bound port.
          cns.port = agentPort;
        } else if (role === 'AGENT') {
          cns.mgmt_role = 'AGENT';
          cns.state = 'RUNNING';
          if (this.settings.agentControllerTarget() === null) cns.port = agentPort;
        } else if (role !== undefined) {
          this.log('warning', `unexpected cluster management node type '${role}'`);
        }
      }
      if (sns.pid !== null) cns.pid = sns.pid;
      statuses.push(cns);
    }
    const res = this.result(reqid, { data: B.vec(statuses.map(nodeStatusToData)) });
    this.publish(AgentApi.get_nodes_response, [B.str(reqid), resultToData(res)]);
  }

  // ---- diagnostics (ours) ------------------------------------------------------------

  /**
   * ZeekMgmt::Agent::API::get_node_diagnostics_request: the Supervisor's diagnostics of this
   * instance's nodes (all, or those named that run here), with the instance filled in.
   */
  private async onDiagnostics(reqid: string, nodes: string[]): Promise<void> {
    this.log('info', `rx ${DiagApi.agent_diagnostics_request} ${reqid} ${JSON.stringify([...nodes].sort())}`);
    const answer = (fields: Partial<Omit<Result, 'reqid'>>): void => {
      this.publish(DiagApi.agent_diagnostics_response, [B.str(reqid), resultToData(this.result(reqid, fields))]);
    };
    let text: string;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A Supervisor that does not answer (one without diagnostics) must not leave the request hanging.
      text = await Promise.race([
        this.supervisor!.diagnostics(''),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs); }),
      ]);
    } catch (err) {
      answer({ success: false, error: `instance '${this.name}': supervisor diagnostics unavailable: ${(err as Error).message}` });
      return;
    } finally {
      clearTimeout(timer);
    }
    let list;
    try {
      list = nodeDiagnosticsFromJson(text, 'supervisor');
    } catch (err) {
      answer({ success: false, error: `instance '${this.name}': malformed supervisor diagnostics: ${(err as Error).message}` });
      return;
    }
    const wanted = new Set(nodes);
    const mine = list.filter((d) => wanted.size === 0 || wanted.has(d.node)).map((d) => ({ ...d, instance: this.name }));
    answer({ data: B.str(JSON.stringify(mine)) });
  }

  // ---- node_dispatch -----------------------------------------------------------------

  private onDispatch(reqid: string, action: string[], nodes: string[]): void {
    this.log('info', `rx ${AgentApi.node_dispatch_request} ${reqid} ${JSON.stringify(action)} ${JSON.stringify([...nodes].sort())}`);
    let targets: string[];
    if (nodes.length > 0) {
      targets = nodes.filter((n) => this.nodes.has(n));
      if (targets.length === 0) {
        this.publish(AgentApi.node_dispatch_response, [B.str(reqid), B.vec([])]);
        return;
      }
    } else if (this.nodes.size === 0) {
      this.publish(AgentApi.node_dispatch_response, [B.str(reqid), B.vec([])]);
      return;
    } else {
      targets = [...this.nodes.keys()];
    }
    const state: DispatchState = { reqid, action, pending: new Set(), results: [], timer: setTimeout(() => undefined, 0) };
    for (const node of new Set(targets)) {
      if (this.nodes.get(node)!.state === 'RUNNING') state.pending.add(node);
      else state.results.push(this.result(reqid, { success: false, error: `cluster node ${node} not in running state`, node }));
    }
    if (state.pending.size === 0) {
      this.publish(AgentApi.node_dispatch_response, [B.str(reqid), resultVecToData(state.results)]);
      return;
    }
    const nreqid = randomUUID();
    // Like Zeek's request expiry for dispatches: the state goes away without a response.
    state.timer = setTimeout(() => this.dispatches.delete(nreqid), this.timeoutMs);
    this.dispatches.set(nreqid, state);
    this.server?.publishEvent(this.nodeTopic, {
      name: NodeApi.node_dispatch_request,
      args: [B.str(nreqid), B.vec(action.map(B.str)), B.set(nodes.map(B.str))],
    });
  }

  private onDispatchResponse(nreqid: string, result: Result): void {
    const state = this.dispatches.get(nreqid);
    if (!state) return;
    if (result.node !== null) {
      if (!state.pending.delete(result.node)) return; // unknown or duplicate
    }
    if (state.action[0] === 'get_id_value' && result.data !== null && result.data.type !== 'string') result.data = null;
    result.instance = this.name;
    result.reqid = state.reqid;
    state.results.push(result);
    if (state.pending.size > 0) return;
    clearTimeout(state.timer);
    this.dispatches.delete(nreqid);
    this.publish(AgentApi.node_dispatch_response, [B.str(state.reqid), resultVecToData(state.results)]);
  }

  // ---- restart -----------------------------------------------------------------------

  private onRestart(reqid: string, nodes: string[]): void {
    this.log('info', `rx ${AgentApi.restart_request} ${reqid} ${JSON.stringify([...nodes].sort())}`);
    let targets: string[];
    if (nodes.length > 0) {
      targets = [...new Set(nodes.filter((n) => this.nodes.has(n)))];
      if (targets.length === 0) {
        this.publish(AgentApi.restart_response, [B.str(reqid), B.vec([])]);
        return;
      }
    } else if (this.nodes.size === 0) {
      this.publish(AgentApi.restart_response, [B.str(reqid), B.vec([])]);
      return;
    } else {
      targets = [...this.nodes.keys()];
    }
    const state: RestartState = {
      reqid, pending: new Set(targets), results: [], done: false,
      timer: setTimeout(() => {
        if (state.done) return;
        state.done = true;
        this.restarts.delete(reqid);
        state.results.push(this.result(reqid, { success: false, error: 'request timed out' }));
        this.publish(AgentApi.restart_response, [B.str(reqid), resultVecToData(state.results)]);
      }, this.timeoutMs),
    };
    this.restarts.set(reqid, state);
    for (const node of targets) {
      const n = this.nodes.get(node);
      if (n) n.state = 'PENDING';
      void this.supervisor!.restart(node).catch(() => false).then((ok) => {
        if (state.done) return;
        const res = this.result(reqid, { node });
        if (!ok) {
          res.success = false;
          res.error = `could not restart node ${node}`;
          this.notifyError(`failed to restart node ${node}`, node);
        }
        state.results.push(res);
        state.pending.delete(node);
        if (state.pending.size > 0) return;
        state.done = true;
        clearTimeout(state.timer);
        this.restarts.delete(reqid);
        this.publish(AgentApi.restart_response, [B.str(reqid), resultVecToData(state.results)]);
      });
    }
  }

  // ---- shutdown ----------------------------------------------------------------------

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.deploy) clearTimeout(this.deploy.timer);
    for (const d of this.dispatches.values()) clearTimeout(d.timer);
    for (const r of this.restarts.values()) clearTimeout(r.timer);
    await Promise.allSettled([this.archival.stop(), this.controller?.close(), this.server?.close(), this.supervisor?.close(), this.configWrites]);
  }

  /** Node names and states, for tests and logs. */
  nodeStates(): Record<string, string> {
    return Object.fromEntries([...this.nodes].map(([k, v]) => [k, v.state]));
  }
}

function strings(d: BrokerData | undefined): string[] {
  if (!d || (d.type !== 'vector' && d.type !== 'set')) return [];
  return d.value.flatMap((x) => (x.type === 'string' ? [x.value] : []));
}

function withoutKey(env: Record<string, string>, key: string): Record<string, string> {
  if (!(key in env)) return env;
  const out = { ...env };
  delete out[key];
  return out;
}
