// The controller's runtime state and deployment orchestration, after Zeek's
// controller/main.zeek: which instances the current configuration needs (g_instances),
// which agents have checked in (g_instances_known), which of the needed ones have
// accepted our welcome (g_instances_ready), the one pending deployment
// (g_config_reqid_pending), and the functions that move between these states:
// add_instance, drop_instance, deploy, check_instances_ready, notify_agents_ready,
// config_deploy_to_agents and the request_expired handler.

import { randomUUID } from 'node:crypto';
import { B, BrokerData } from '../../sdk/broker/data';
import { encodeDataFieldsAfter, KnownTexts } from '../../sdk/broker/json-encode';
import { eventToData, ZeekEvent } from '../../sdk/broker/event';
import { encodeDataMessage } from '../../sdk/broker/messages';
import { AgentApi, ControllerApi } from '../../sdk/model/events';
import { configurationToData, makeResult, Result, resultToData, resultVecToData } from '../../sdk/model/records';
import { Configuration, Instance } from '../../sdk/model/schemas';
import { strcmp } from '../../sdk/validation/configuration';
import { AgentLink, AgentLinks, PreparedMessage } from './agents';
import { ControllerConfig } from './config';
import { ManagementLog } from './log';
import { Request, requestToString, RequestTable } from './requests';
import { StoredConfigs } from './persistence';
import { ConfigStore } from './state';
import { short } from './strings';
import { ControllerDiagnostics } from './diagnostics';
import { ControllerSites } from './site';
import { configurationSite } from '../../sdk/site/apply';

export interface KnownInstance {
  instance: Instance;
  /** The connection the agent checked in on (Zeek tracks this via g_instances_by_id). */
  link: AgentLink;
}

const sorted = (names: Iterable<string>): string[] => [...names].sort(strcmp);

/** deploy_request(reqid, config, F) as Broker data, around the configuration's data. */
const deployRequestData = (reqid: string, configData: BrokerData): BrokerData =>
  eventToData({ name: AgentApi.deploy_request, args: [B.str(reqid), configData, B.bool(false)] });

/**
 * The data message of deploy_request(reqid, config, F) on a topic, as a function of topic
 * and reqid, with the configuration encoded once. Placeholders mark where the two go.
 */
export function deployMessageTemplate(config: Configuration | BrokerData): (topic: string, reqid: string) => string {
  const configData = 'type' in config ? config : configurationToData(config);
  const topicMark = `@@topic-${randomUUID()}@@`;
  const reqidMark = `@@reqid-${randomUUID()}@@`;
  const text = encodeDataMessage(topicMark, deployRequestData(reqidMark, configData));
  const [head, rest, extra] = text.split(topicMark);
  const parts = rest?.split(reqidMark);
  if (extra !== undefined || parts?.length !== 2) {
    // Cannot happen with fresh random marks; encode per agent if it ever does.
    return (topic, reqid) => encodeDataMessage(topic, deployRequestData(reqid, configData));
  }
  const inJson = (s: string): string => JSON.stringify(s).slice(1, -1);
  return (topic, reqid) => head + inJson(topic) + parts[0] + inJson(reqid) + parts[1];
}

/**
 * deploy_request messages for the agents of one deployment, as a function of topic and
 * reqid. The configuration becomes Broker data once; native Broker links take that data
 * (wrapped per agent in its event, which shares the configuration's data), and the JSON
 * text for WebSocket peers is encoded once, from the same data, when the first one needs it.
 */
export function deployMessages(config: Configuration): (topic: string, reqid: string) => PreparedMessage {
  const configData = configurationToData(config);
  let template: ((topic: string, reqid: string) => string) | undefined;
  return (topic, reqid) => {
    let data: BrokerData | undefined;
    let text: string | undefined;
    return {
      topic,
      data: () => (data ??= deployRequestData(reqid, configData)),
      text: () => (text ??= (template ??= deployMessageTemplate(configData))(topic, reqid)),
    };
  };
}

export class ControllerRuntime {
  /** g_instances: the instances the current configuration needs. */
  readonly instances = new Map<string, Instance>();
  /** g_instances_known: every agent that has checked in with notify_agent_hello. */
  readonly known = new Map<string, KnownInstance>();
  /** g_instances_ready: needed instances that have answered our welcome. */
  readonly ready = new Set<string>();
  /** g_config_reqid_pending: the key of the deployment in progress, "" when none. */
  pendingDeploy = '';
  readonly requests: RequestTable;
  /** Sites (ours): staged ones, agents that take them, the steps before a deployment with one. */
  readonly sites: ControllerSites;
  /** Node diagnostics (ours): agents that answer them, gatherings in progress. */
  readonly diagnostics: ControllerDiagnostics;
  /**
   * Ours: a configuration whose deployment timed out before every instance answered, while
   * DEPLOYED (Zeek's rule: only a deployment every agent answered is adopted) still holds
   * the one before; null once a deployment completes. When the instances are all ready
   * again with no deployment pending, this one is deployed (internally) rather than
   * DEPLOYED: Zeek's notify_agents_ready would send DEPLOYED to every instance, rolling
   * back those that took the newer one and leaving two generations of a moved node side
   * by side until then. Agents that already run it do nothing.
   */
  unsettledDeploy: Configuration | null = null;

  constructor(
    readonly config: ControllerConfig,
    readonly log: ManagementLog,
    readonly configs: ConfigStore,
    readonly agents: AgentLinks,
    private readonly publishToClients: (ev: ZeekEvent, known?: KnownTexts) => void,
    /** The controller's Broker (agent) port as bound, for validation; null when not listening. */
    readonly controllerPort: () => number | null,
  ) {
    this.requests = new RequestTable(config.requestTimeoutMs, (req) => this.requestExpired(req));
    this.sites = new ControllerSites(config.stateDir, config.siteKeep, log, config.requestTimeoutMs, (n) => this.known.get(n)?.link);
    this.diagnostics = new ControllerDiagnostics(log, config.requestTimeoutMs, (n) => this.known.get(n)?.link);
  }

  // ---- publishing -----------------------------------------------------------------

  /** Broker::publish(Management::Controller::topic, ...). */
  respond(name: string, args: BrokerData[], known?: KnownTexts): void {
    this.publishToClients({ name, args }, known);
  }

  /**
   * A configuration as get_configuration_response carries it, as Broker data to put into
   * the Result and the encoded texts that stand for it (KnownTexts): a stand-in value and
   * the JSON text of configurationToData(config), made once per stored configuration
   * (they do not change once stored) and kept as text only, not as the much larger tree.
   * The client port is WebSocket JSON only, so the text is all any client is sent.
   */
  configurationForClients(config: Configuration): { data: BrokerData; known: KnownTexts } {
    let text = this.configTexts.get(config);
    if (text === undefined) {
      text = encodeDataFieldsAfter('', configurationToData(config));
      this.configTexts.set(config, text);
    }
    const data: BrokerData = { type: 'none' };
    return { data, known: new Map([[data, text]]) };
  }

  private readonly configTexts = new WeakMap<Configuration, string>();

  // ---- persisting ----------------------------------------------------------------

  /** Writes of configurations in flight, each with what runs once it has finished. */
  private readonly writes = new Set<Promise<void>>();
  /** Requests waiting for writes (afterWrites), in arrival order. */
  private deferred: Promise<void> | null = null;

  /**
   * Writes configuration changes, then calls `then` with null once they are on disk (and
   * `configs` shows them) or with the error for the client when the write failed (and
   * `configs` still shows what is on disk).
   */
  persist(updates: StoredConfigs, then: (error: string | null) => void): void {
    const p = this.configs.set(updates).then(then).catch((err: Error) => this.log.error(`after persisting: ${err.stack ?? err}`));
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  /**
   * Runs `fn` now, or, when configuration writes are in flight, once those (and what they
   * answer) have finished, so that a request sees the outcome of the ones before it.
   * Deferred requests keep their order.
   */
  afterWrites(fn: () => void): void {
    if (this.writes.size === 0 && this.deferred === null) {
      fn();
      return;
    }
    const before = [...this.writes];
    const run = (this.deferred ?? Promise.resolve())
      .then(() => Promise.all(before))
      .then(fn)
      .catch((err: Error) => this.log.error(`handling a request failed: ${err.stack ?? err}`));
    this.deferred = run;
    void run.finally(() => {
      if (this.deferred === run) this.deferred = null;
    });
  }

  /** Broker::publish(Management::Agent::topic_prefix + "/" + name, ...). */
  sendToAgent(name: string, event: string, args: BrokerData[]): void {
    const n = this.agents.publish(name, { name: event, args });
    if (n === 0) this.log.debug(`no connection to agent ${name}, ${event} not delivered`);
  }

  // ---- instances ------------------------------------------------------------------

  /** add_instance. */
  addInstance(inst: Instance): void {
    this.instances.set(inst.name, inst);
    if (inst.listen_port !== null) {
      this.agents.disconnectOthers(inst.name, inst.host, inst.listen_port);
      this.agents.connect(inst.name, inst.host, inst.listen_port);
    }
    const known = this.known.get(inst.name);
    if (!known) {
      this.log.debug(`instance ${inst.name} not known to us, skipping`);
      return;
    }
    // An agent that connected to us: use its address as we observed it.
    if (inst.listen_port === null) this.instances.set(inst.name, { ...inst, host: known.instance.host });
    this.sendWelcome(inst.name);
  }

  sendWelcome(name: string): void {
    const req = this.requests.create(undefined, { kind: 'agent', instance: name, event: AgentApi.agent_welcome_request });
    this.log.info(`tx Management::Agent::API::agent_welcome_request ${req.id} to ${name}`);
    this.sendToAgent(name, AgentApi.agent_welcome_request, [B.str(req.id)]);
  }

  sendStandby(name: string): void {
    this.log.info(`tx Management::Agent::API::agent_standby_request to ${name}`);
    this.sendToAgent(name, AgentApi.agent_standby_request, [B.str('')]);
  }

  /** drop_instance: the agent stays known, but releases its cluster nodes. */
  dropInstance(inst: Instance): void {
    if (!this.instances.has(inst.name)) return;
    this.sendStandby(inst.name);
    this.instances.delete(inst.name);
    this.ready.delete(inst.name);
    this.log.info(`dropped instance ${inst.name}`);
  }

  /** is_instance_connectivity_change. */
  private isConnectivityChange(inst: Instance): boolean {
    const cur = this.instances.get(inst.name);
    if (!cur) return false;
    if (inst.host !== '0.0.0.0' && inst.host !== cur.host) return true;
    if ((inst.listen_port === null) !== (cur.listen_port === null)) return true;
    return inst.listen_port !== null && cur.listen_port !== null && inst.listen_port !== cur.listen_port;
  }

  // ---- deployment -----------------------------------------------------------------

  /**
   * deploy: makes the request pending, aligns the needed instances with the
   * configuration's, and finishes at once when the configuration has no instances.
   * (Zeek reads the instances from the READY configuration; we read them from the
   * configuration being deployed, which is the same for client deployments and the
   * right one for internal re-deployments of the DEPLOYED configuration.)
   */
  deploy(req: Request): void {
    const state = req.state;
    if (state?.kind !== 'deploy') return;
    this.pendingDeploy = req.key;

    const current = new Set(this.instances.keys());
    const wanted = new Map(state.config.instances.map((i) => [i.name, i]));
    const toDrop = new Set([...current].filter((n) => !wanted.has(n)));
    const toPeer = new Map<string, Instance>();
    for (const inst of wanted.values()) {
      if (!current.has(inst.name)) toPeer.set(inst.name, inst);
      else if (this.isConnectivityChange(inst)) {
        toDrop.add(inst.name);
        toPeer.set(inst.name, inst);
      }
    }
    // With a site, instances leaving the cluster are stood down only once every remaining
    // one has stored and checked the site (deployWithSite), so a refused site stops nothing.
    const site = configurationSite(state.config).hash;
    if (site !== null) {
      state.before = { instances: new Map(this.instances), ready: new Set(this.ready) };
      state.deferredDrops = [];
    }
    for (const name of sorted(toDrop)) {
      this.log.debug(`dropping instance ${name}`);
      if (state.deferredDrops && !toPeer.has(name)) {
        state.deferredDrops.push(name);
        this.instances.delete(name);
        this.ready.delete(name);
      } else this.dropInstance(this.instances.get(name)!);
    }
    for (const name of sorted(toPeer.keys())) {
      this.log.debug(`adding instance ${name}`);
      this.addInstance(toPeer.get(name)!);
    }

    if (wanted.size === 0) this.completeDeployment(req);
  }

  /**
   * The deployment succeeded everywhere (or needed no agent): adopt and answer. The
   * configuration becomes DEPLOYED once it is on disk; when that write fails, the client
   * gets the error after the agents' results, and DEPLOYED stays what is on disk. The
   * deployment counts as pending until then, so no other one starts in between.
   */
  private completeDeployment(req: Request): void {
    const state = req.state;
    if (state?.kind !== 'deploy') return;
    this.requests.finish(req.key);
    this.unsettledDeploy = null;
    const answer = (error: string | null): void => {
      if (this.pendingDeploy === req.key) this.pendingDeploy = '';
      req.results.push(error === null
        ? makeResult(req.id, { data: B.str(state.config.id) })
        : makeResult(req.id, { success: false, error }));
      if (!state.isInternal) {
        this.log.info(`tx Management::Controller::API::deploy_response ${requestToString(req)}`);
        this.respond(ControllerApi.deploy_response, [B.str(req.id), resultVecToData(req.results)]);
      }
    };
    // A re-deployment of what is on disk needs no write.
    if (this.configs.get('DEPLOYED') === state.config) answer(null);
    else this.persist({ DEPLOYED: state.config }, answer);
  }

  /** check_instances_ready. */
  checkInstancesReady(): void {
    if (this.instances.size !== this.ready.size) return;
    for (const name of this.instances.keys()) if (!this.ready.has(name)) return;
    this.notifyAgentsReady(sorted(this.instances.keys()));
  }

  /** The Management::Controller::API::notify_agents_ready handler. */
  notifyAgentsReady(names: string[]): void {
    this.log.info(`rx Management::Controller::API:notify_agents_ready ${names.join(', ')}`);
    const deployed = this.configs.get('DEPLOYED');
    const resync = this.unsettledDeploy ?? deployed;
    if (this.pendingDeploy === '' && resync) {
      // Some agents may have restarted or been cut off: bring them in sync. Agents already
      // running this configuration do nothing.
      const internal = this.requests.create(undefined, { kind: 'deploy', config: resync, isInternal: true, requests: new Set() });
      this.log.info(`no deployment in progress, triggering via ${internal.id}${resync !== deployed ? ` (configuration ${resync.id}, whose deployment did not reach every instance)` : ''}`);
      this.deploy(internal);
    }
    if (this.pendingDeploy === '') return;
    const req = this.requests.lookup(this.pendingDeploy);
    if (!req || req.state?.kind !== 'deploy') return;
    const site = configurationSite(req.state.config).hash;
    if (site === null) this.deployToAgents(req.state.config, req);
    else this.deployWithSite(site, req);
  }

  /**
   * A deployment whose configuration carries a site: every instance stores and checks it
   * first (ControllerSites.prepare); only then do the agents get their deploy_request and
   * leaving instances their standby. When that fails, the deployment answers with the
   * reasons, the instances are as before, and no node was stopped.
   */
  private deployWithSite(hash: string, req: Request): void {
    const state = req.state;
    if (state?.kind !== 'deploy') return;
    // Once every instance holds and has checked the site, an agent that is ready again
    // (it reconnected) gets its deploy_request as without a site; it refuses one whose site
    // it no longer holds.
    if (state.siteDone) return this.deployToAgents(state.config, req);
    if (state.sitePreparing) return;
    state.sitePreparing = true;
    const names = sorted(this.instances.keys()).filter((n) => this.ready.has(n));
    this.log.info(`deployment ${short(req.id)}: site ${hash} to ${names.join(', ') || 'no instance'}`);
    void this.sites.prepare(hash, state.config, names).then((outcome) => {
      if (this.pendingDeploy !== req.key || this.requests.lookup(req.key) !== req) return;
      if (outcome.ok) {
        state.siteDone = true;
        req.results.push(...outcome.results.map((r) => ({ ...r, reqid: req.id })));
        for (const name of state.deferredDrops ?? []) {
          this.log.debug(`standing down instance ${name}`);
          this.sendStandby(name);
        }
        this.deployToAgents(state.config, req);
        return;
      }
      this.requests.finish(req.key);
      this.pendingDeploy = '';
      if (state.before) {
        this.instances.clear();
        for (const [k, v] of state.before.instances) this.instances.set(k, v);
        this.ready.clear();
        for (const n of state.before.ready) if (this.known.has(n)) this.ready.add(n);
      }
      req.results.push(...outcome.results.map((r) => ({ ...r, reqid: req.id })));
      this.log.warning(`deployment ${short(req.id)} refused before any node was touched: ${outcome.results.filter((r) => !r.success).map((r) => r.error).join('; ')}`);
      if (!state.isInternal) {
        this.log.info(`tx Management::Controller::API::deploy_response ${requestToString(req)}`);
        this.respond(ControllerApi.deploy_response, [B.str(req.id), resultVecToData(req.results)]);
      }
    });
  }

  /**
   * config_deploy_to_agents. The configuration (possibly thousands of nodes) is converted
   * once (deployMessages); only the topic and the request id differ between the agents'
   * messages.
   */
  private deployToAgents(config: Configuration, req: Request): void {
    if (req.state?.kind !== 'deploy') return;
    const message = deployMessages(config);
    for (const name of sorted(this.instances.keys())) {
      if (!this.ready.has(name)) continue;
      const areq = this.requests.create(undefined, { kind: 'agent', instance: name, event: AgentApi.deploy_request }, req.key);
      req.state.requests.add(areq.key);
      (req.state.sent ??= new Set()).add(name);
      this.log.info(`tx Management::Agent::API::deploy_request ${areq.id} to ${name}`);
      const n = this.agents.publishPrepared(name, message(this.agents.topicFor(name), areq.id));
      if (n === 0) this.log.debug(`no connection to agent ${name}, deploy_request not delivered`);
    }
  }

  /** Instance `instance`'s deploy_response arrived and was added to `req`; finish when all have. */
  deployResponseArrived(req: Request, areqId: string, instance: string): void {
    if (req.state?.kind !== 'deploy') return;
    (req.state.answered ??= new Set()).add(instance);
    req.state.requests.delete(areqId);
    if (req.state.requests.size > 0) return;
    this.completeDeployment(req);
  }

  /** Used when starting with a persisted DEPLOYED configuration. */
  deployPersisted(): void {
    const deployed = this.configs.get('DEPLOYED');
    if (!deployed) return;
    const req = this.requests.create(undefined, { kind: 'deploy', config: deployed, isInternal: true, requests: new Set() });
    this.log.info(`deploying persisted configuration ${deployed.id}, request ${req.id}`);
    this.deploy(req);
    // Agents that connect later trigger notify_agents_ready themselves.
  }

  // ---- agent links ----------------------------------------------------------------

  /** Broker::peer_lost: forget the instance that checked in over this link. */
  linkLost(link: AgentLink): void {
    this.sites.linkLost(link);
    this.diagnostics.linkLost(link);
    for (const [name, k] of this.known) {
      if (k.link !== link) continue;
      this.known.delete(name);
      this.ready.delete(name);
      this.log.info(`dropped state for instance ${name}`);
    }
  }

  // ---- timeouts -------------------------------------------------------------------

  /**
   * Why a deployment is still waiting when it expires (ours; Zeek says only "request timed
   * out"): the configuration's instances that never checked in, with the agents that did;
   * or, all being connected, those that did not answer the welcome or the deploy_request.
   */
  deployTimeoutDetail(req: Request): string {
    const state = req.state;
    if (state?.kind !== 'deploy') return '';
    const wanted = sorted(state.config.instances.map((i) => i.name));
    // At most ten names each, so that a cluster of hundreds of instances gives a readable line.
    const some = (names: string[], fmt: (n: string) => string): string =>
      names.slice(0, 10).map(fmt).join(', ') + (names.length > 10 ? ` and ${names.length - 10} more` : '');
    const quoted = (names: string[]): string => some(names, (n) => `'${short(n)}'`);
    const list = (names: string[]): string => (names.length > 0 ? some(names, (n) => short(n)) : 'none');
    const subject = (names: string[]): string => `${names.length === 1 ? 'instance' : 'instances'} ${quoted(names)} ${names.length === 1 ? 'is' : 'are'}`;
    const missing = wanted.filter((n) => !this.known.has(n));
    if (missing.length > 0) return `${subject(missing)} not connected (connected: ${list(sorted(this.known.keys()))})`;
    // Every instance is connected: waiting for welcomes, or for the agents' deploy responses.
    const waiting = new Set<string>();
    if (state.requests.size === 0) {
      for (const n of wanted) if (!this.ready.has(n)) waiting.add(n);
    } else {
      for (const key of state.requests) {
        const child = this.requests.lookup(key)?.state;
        if (child?.kind === 'agent') waiting.add(child.instance);
      }
    }
    if (waiting.size === 0) return '';
    const late = sorted(waiting);
    return `${subject(late)} connected but did not answer in time (answered: ${list(wanted.filter((n) => !waiting.has(n)))})`;
  }

  /**
   * Ours, for a deployment that timed out: one failed Result per node of each instance that
   * gave no deploy_response (instance and node set, as zeek-client lists node results),
   * saying what the controller knows: the request went out and no answer came, so the
   * node's state there is unknown; or it never went out, so the node was not deployed.
   */
  unansweredNodeResults(req: Request): Result[] {
    const state = req.state;
    if (state?.kind !== 'deploy') return [];
    const out: Result[] = [];
    const nodes = [...state.config.nodes].sort((a, b) => strcmp(a.name, b.name));
    for (const inst of sorted(state.config.instances.map((i) => i.name))) {
      if (state.answered?.has(inst)) continue;
      const link = this.known.has(inst) ? 'connected' : 'not connected';
      const error = state.sent?.has(inst)
        ? `instance '${short(inst)}' (${link}) did not answer its deploy_request: whether the node runs this configuration is unknown`
        : `instance '${short(inst)}' (${link}) was not sent the configuration: the node was not deployed there`;
      for (const n of nodes) if (n.instance === inst) out.push(makeResult(req.id, { success: false, instance: inst, node: n.name, error }));
    }
    return out;
  }

  /** Management::Request::request_expired. */
  requestExpired(req: Request): void {
    const state = req.state;
    if (!state || state.kind === 'agent') return;
    const detail = state.kind === 'deploy' ? this.deployTimeoutDetail(req) : '';
    const res = makeResult(req.id, { success: false, error: detail ? `request timed out: ${detail}` : 'request timed out' });
    this.log.info(`request ${short(req.id)} timed out${detail ? `: ${short(detail)}` : ''}`);
    switch (state.kind) {
      case 'deploy':
        if (this.pendingDeploy === req.key) this.pendingDeploy = '';
        if (state.config !== this.configs.get('DEPLOYED')) this.unsettledDeploy = state.config;
        req.results.push(...this.unansweredNodeResults(req), res);
        if (!state.isInternal) {
          this.log.info(`tx Management::Controller::API::deploy_response ${requestToString(req)}`);
          this.respond(ControllerApi.deploy_response, [B.str(req.id), resultVecToData(req.results)]);
        }
        break;
      case 'get_nodes': {
        // Ours: the instances that did not answer, by name (Zeek: one "request timed out").
        const silent = sorted([...state.requests].flatMap((k) => {
          const child = this.requests.lookup(k)?.state;
          return child?.kind === 'agent' ? [child.instance] : [];
        }));
        if (silent.length === 0) req.results.push(res);
        for (const inst of silent) req.results.push(makeResult(req.id, { success: false, instance: inst, error: `request timed out: instance '${short(inst)}' did not answer` }));
        this.log.info(`tx Management::Controller::API::get_nodes_response ${requestToString(req)}`);
        this.respond(ControllerApi.get_nodes_response, [B.str(req.id), resultVecToData(req.results)]);
        break;
      }
      case 'node_dispatch':
        req.results.push(res);
        if (state.action[0] === 'get_id_value') {
          this.log.info(`tx Management::Controller::API::get_id_value_response ${requestToString(req)}`);
          this.respond(ControllerApi.get_id_value_response, [B.str(req.id), resultVecToData(req.results)]);
        } else this.log.error(`unexpected dispatch command ${state.action[0]}`);
        break;
      case 'restart':
        req.results.push(res);
        this.log.info(`tx Management::Controller::API::restart_response ${requestToString(req)}`);
        this.respond(ControllerApi.restart_response, [B.str(req.id), resultVecToData(req.results)]);
        break;
      case 'test':
        this.log.info(`tx Management::Controller::API::test_timeout_response ${short(req.id)}`);
        this.respond(ControllerApi.test_timeout_response, [B.str(req.id), resultToData(res)]);
        break;
    }
  }
}
