// The controller: its two listeners (WebSocket clients on 2149; agents on 2150, native Broker or WebSocket JSON), the
// agent links, the persisted configurations, and the dispatch of incoming events to the
// handlers. Dispatch enforces who may say what:
//
// - Management::Controller::API requests are accepted from WebSocket clients;
// - Management::Agent::API events only from agent links (the agent port, or connections
//   the controller made to agents), so a client cannot forge an agent's results;
// - everything else on the controller's topics (unknown events, wrong argument types) is
//   answered with a Broker error message where the protocol allows, and logged. Nothing
//   a peer sends can take the controller down or affect other peers.

import { eventToData, ZeekEvent } from '../../sdk/broker/event';
import type { KnownTexts } from '../../sdk/broker/json-encode';
import { encodeError } from '../../sdk/broker/messages';
import { brokerTls } from '../../sdk/broker/native/tls';
import { AgentApi, CONTROLLER_REQUESTS, DiagApi } from '../../sdk/model/events';
import { EndpointServer, LogFn, Peer } from '../../sdk/transport/endpoint-server';
import { ServerTlsSettings } from '../../sdk/transport/tls';
import { AGENT_EVENT_HANDLERS } from './agent-api';
import { AgentLink, AgentLinks } from './agents';
import { CLIENT_REQUEST_HANDLERS } from './api';
import { ArgumentError, decodeArguments } from './arguments';
import { clientPortWarning, ControllerConfig, requiresClientCertificates } from './config';
import { ManagementLog } from './log';
import { StateFile } from './persistence';
import { ControllerRuntime } from './runtime';
import { ConfigStore } from './state';
import { short } from './strings';

const AGENT_API_PREFIX = 'Management::Agent::API::';
const CONTROLLER_API_PREFIX = 'Management::Controller::API::';
/** Agent API requests: the controller sends these, it does not handle them. */
const AGENT_REQUESTS = new Set<string>([
  AgentApi.deploy_request, AgentApi.get_nodes_request, AgentApi.node_dispatch_request,
  AgentApi.agent_welcome_request, AgentApi.agent_standby_request, AgentApi.restart_request,
  DiagApi.agent_diagnostics_request,
]);

export class Controller {
  wsPort: number | null = null;
  agentPort: number | null = null;
  readonly log: ManagementLog;
  readonly configs: ConfigStore;
  private readonly stateFile: StateFile;
  private wsServer?: EndpointServer;
  private agentServer?: EndpointServer;
  private links?: AgentLinks;
  private rt?: ControllerRuntime;
  private started = false;
  private closed = false;

  constructor(readonly config: ControllerConfig) {
    this.log = new ManagementLog({
      directory: config.directory,
      logFile: config.logFile,
      node: config.name,
      level: config.logLevel,
      outputFiles: config.writeOutputFiles ? { stdout: config.stdoutFile, stderr: config.stderrFile } : undefined,
    });
    this.stateFile = new StateFile(config.stateFile);
    this.configs = new ConfigStore(this.stateFile, this.log);
  }

  /** The runtime state (instances, requests); available after start(). */
  get runtime(): ControllerRuntime {
    if (!this.rt) throw new Error('controller not started');
    return this.rt;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('controller already started');
    this.started = true;
    const cfg = this.config;
    this.configs.load();
    const serverLog: LogFn = (level, message, fields) => {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      this.log.write(level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : level === 'warning' ? 'WARNING' : 'ERROR', `${message}${extra}`);
    };
    // Broker's TLS for native agent links: anonymous, with certificates (Broker::ssl_*), or none.
    const brokerTlsMode = brokerTls(cfg.disableSsl, { cafile: cfg.sslCafile, capath: cfg.sslCapath, certificate: cfg.sslCertificate, keyfile: cfg.sslKeyfile, passphrase: cfg.sslPassphrase });
    try {
      if (cfg.listenPort !== null) {
        this.agentServer = new EndpointServer({
          host: cfg.listenAddress,
          port: cfg.listenPort,
          relay: false,
          maxMessageBytes: cfg.maxMessageBytes,
          handshakeTimeoutMs: cfg.handshakeTimeoutMs,
          endpointId: cfg.name,
          log: (l, m, f) => serverLog(l, `agent port: ${m}`, f),
          // Native Broker beside WebSocket JSON, as Zeek's controller listens with
          // Broker::listen: Zeek's own agents peer natively. The filter is what Zeek's
          // controller subscribes to: Management::Agent::topic_prefix and Management::Controller::topic.
          // A native link silent for ZeekMgmt::peer_timeout is closed (ours; Broker never
          // notices a link that stalls without closing), and its instance dropped.
          native: { filter: [cfg.agentTopicPrefix, cfg.topic], tls: brokerTlsMode, keepalive: { intervalMs: cfg.peerPingIntervalMs, timeoutMs: cfg.peerTimeoutMs } },
          // With certificates, an agent must prove itself in native Broker over TLS; a
          // WebSocket JSON peer could not, so none is let in on this port then.
          ...(typeof brokerTlsMode === 'object'
            ? { authorize: () => 'Broker::ssl_* certificates are set: agents must peer in native Broker over TLS' }
            : {}),
        });
        this.agentPort = (await this.agentServer.listen()).port;
      }
      if (cfg.listenPortWebsocket !== null) {
        const tls: ServerTlsSettings | undefined = cfg.tlsWebsocket
          ? {
            certificate: cfg.tlsWebsocket.certFile, keyfile: cfg.tlsWebsocket.keyFile, cafile: cfg.tlsWebsocket.caFile, passphrase: cfg.tlsWebsocket.passphrase,
            requireClientCertificate: requiresClientCertificates(cfg.tlsWebsocket), ciphers: cfg.tlsWebsocket.ciphers,
          }
          : undefined;
        this.wsServer = new EndpointServer({
          host: cfg.listenAddressWebsocket,
          port: cfg.listenPortWebsocket,
          tls,
          maxMessageBytes: cfg.maxMessageBytes,
          handshakeTimeoutMs: cfg.handshakeTimeoutMs,
          endpointId: cfg.name,
          log: (l, m, f) => serverLog(l, `websocket port: ${m}`, f),
        });
        this.wsPort = (await this.wsServer.listen()).port;
      }
    } catch (err) {
      await this.close();
      throw err;
    }

    this.links = new AgentLinks({
      server: this.agentServer,
      topicPrefix: cfg.agentTopicPrefix,
      connectRetryMs: cfg.connectRetryMs,
      maxMessageBytes: cfg.maxMessageBytes,
      disableSsl: cfg.disableSsl,
      tls: brokerTlsMode,
      keepalive: { intervalMs: cfg.peerPingIntervalMs, timeoutMs: cfg.peerTimeoutMs },
      log: this.log,
    });
    const ws = this.wsServer;
    this.rt = new ControllerRuntime(cfg, this.log, this.configs, this.links, (ev, known) => this.publishToClients(ev, known), () => this.agentPort);
    this.links.on('event', (ev, topic, link) => this.onAgentEvent(ev, topic, link));
    this.links.on('lost', (link) => this.rt?.linkLost(link));
    ws?.on('event', (ev, topic, peer) => this.onClientEvent(ev, topic, peer));
    ws?.on('peer', (peer) => this.log.debug(`websocket client ${peer.remoteAddress}:${peer.remotePort} connected${peer.appName ? ` (${short(peer.appName)})` : ''}`));
    ws?.on('peer-closed', (peer) => this.log.debug(`websocket client ${peer.remoteAddress}:${peer.remotePort} disconnected`));

    const brokerInfo = this.agentPort !== null ? `Broker port ${cfg.listenAddress}:${this.agentPort}` : 'no Broker port';
    const wsInfo = this.wsPort !== null ? `websocket port ${cfg.listenAddressWebsocket}:${this.wsPort}${cfg.tlsWebsocket ? ' (TLS)' : ''}` : 'no Websocket port';
    this.log.info(`controller is live, Broker ID ${cfg.name}, ${brokerInfo}, ${wsInfo}`);
    this.log.console(`controller is live, name ${cfg.name}, ${brokerInfo}, ${wsInfo}`);
    const exposed = this.wsPort !== null ? clientPortWarning({ ...cfg, listenPortWebsocket: this.wsPort }) : null;
    if (exposed !== null) this.log.warning(exposed);

    // A persisted deployment must actually be running: deploy it again; agents already
    // running it do nothing.
    this.rt.deployPersisted();
  }

  /** Broker::publish(Management::Controller::topic, ev): encoded once, sent to every subscribed client. */
  private publishToClients(ev: ZeekEvent, known?: KnownTexts): void {
    if (!this.wsServer) return;
    this.wsServer.publish(this.config.topic, eventToData(ev), known);
  }

  /** Whether the controller subscribes to `topic` (Zeek: the controller topic and the agent prefix). */
  private subscribed(topic: string): boolean {
    return topic.startsWith(this.config.topic) || topic.startsWith(this.config.agentTopicPrefix);
  }

  private onClientEvent(ev: ZeekEvent, topic: string, peer: Peer): void {
    if (!this.subscribed(topic)) return;
    const who = `websocket client ${peer.remoteAddress}:${peer.remotePort}`;
    const reject = (code: string, context: string): void => {
      this.log.warning(`rejected ${short(ev.name)} from ${who}: ${context}`);
      peer.sendText(encodeError(code, context));
    };
    if (ev.name.startsWith(AGENT_API_PREFIX) || ev.name.startsWith('ZeekMgmt::Agent::API::')) {
      reject('unspecified', `${short(ev.name)} rejected: Management::Agent::API events are accepted only from agent connections`);
      return;
    }
    const handler = CLIENT_REQUEST_HANDLERS[ev.name];
    if (!handler) {
      reject('unspecified', ev.name.startsWith(CONTROLLER_API_PREFIX) && !CONTROLLER_REQUESTS.has(ev.name)
        ? `${short(ev.name)} is not a request the controller handles`
        : `unknown event ${short(ev.name)}`);
      return;
    }
    let args: Record<string, unknown>;
    try {
      args = decodeArguments(ev.name, ev.args);
    } catch (err) {
      reject('deserialization_failed', (err as Error).message);
      return;
    }
    try {
      handler(this.runtime, args);
    } catch (err) {
      this.log.error(`handling ${ev.name} from ${who} failed: ${(err as Error).stack ?? err}`);
    }
  }

  private onAgentEvent(ev: ZeekEvent, topic: string, link: AgentLink): void {
    if (!this.subscribed(topic)) {
      this.log.debug(`ignoring ${short(ev.name)} on topic ${short(topic)} from ${link.describe()}`);
      return;
    }
    const handler = AGENT_EVENT_HANDLERS[ev.name];
    if (!handler) {
      if (AGENT_REQUESTS.has(ev.name)) {
        this.log.debug(`ignoring ${ev.name} from ${link.describe()}`);
        return;
      }
      const why = ev.name.startsWith(CONTROLLER_API_PREFIX)
        ? `${short(ev.name)} rejected: Management::Controller::API requests are accepted only from WebSocket clients`
        : `unknown event ${short(ev.name)}`;
      this.log.warning(`rejected ${short(ev.name)} from ${link.describe()}: ${why}`);
      link.reject('unspecified', why);
      return;
    }
    try {
      handler(this.runtime, decodeArguments(ev.name, ev.args), link);
    } catch (err) {
      if (err instanceof ArgumentError) {
        this.log.warning(`rejected ${short(ev.name)} from ${link.describe()}: ${err.message}`);
        link.reject('deserialization_failed', err.message);
        return;
      }
      this.log.error(`handling ${ev.name} from ${link.describe()} failed: ${(err as Error).stack ?? err}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rt?.requests.clear();
    this.rt?.sites.close();
    this.rt?.diagnostics.close();
    await this.links?.close();
    await this.wsServer?.close();
    await this.agentServer?.close();
    await this.configs.flush();
    this.log.info('controller shut down');
    await this.log.close();
  }
}

