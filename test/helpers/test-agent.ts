// An in-test agent that speaks the Management::Agent::API over the wire, for testing
// the controller before (and independently of) the real agent. It either connects to
// the controller's agent port, or listens for the controller to connect to it, and
// answers the controller's requests the way Zeek's agent shapes its answers.

import { B, BrokerData } from '../../sdk/broker/data';
import { ZeekEvent } from '../../sdk/broker/event';
import { AgentApi } from '../../sdk/model/events';
import {
  configurationFromData, makeResult, nodeOutputsToData, nodeStatusToData, Result, resultToData, resultVecToData,
} from '../../sdk/model/records';
import { Configuration, NodeStatus } from '../../sdk/model/schemas';
import { NativePeer } from '../../sdk/broker/native/peer';
import { EndpointClient } from '../../sdk/transport/endpoint-client';
import { EndpointServer } from '../../sdk/transport/endpoint-server';
import { agentTopic } from '../../sdk/transport/topics';

export interface TestAgentOptions {
  name: string;
  /** Request events this agent receives but never answers. */
  silent?: string[];
  /** notify_agent_hello's api_version (1). */
  apiVersion?: number;
  /** Nodes whose deployment fails, with this stderr. */
  failNodes?: Record<string, string>;
  /** JSON renderings returned for get_id_value, by identifier. */
  idValues?: Record<string, string>;
  /** Extra NodeStatus entries reported by get_nodes (e.g. the controller's). */
  extraStatuses?: NodeStatus[];
}

const str = (d: BrokerData | undefined): string => (d?.type === 'string' ? d.value : '');
const strings = (d: BrokerData | undefined): string[] => (d && (d.type === 'set' || d.type === 'vector') ? d.value.map(str) : []);

export class TestAgent {
  readonly received: ZeekEvent[] = [];
  deployed?: Configuration;
  standbys = 0;
  private readonly unconsumed: ZeekEvent[] = [];
  private waiters: Array<{ name: string; resolve: (ev: ZeekEvent) => void }> = [];
  private send!: (ev: ZeekEvent) => void;
  private closeFn!: () => Promise<void>;
  port = 0;

  private constructor(readonly opts: TestAgentOptions) {}

  get topic(): string {
    return agentTopic(this.opts.name);
  }

  /** An agent that connects to the controller's agent port and checks in. */
  static async connect(controllerAgentPort: number, opts: TestAgentOptions, host = '127.0.0.1'): Promise<TestAgent> {
    const a = new TestAgent(opts);
    const client = await EndpointClient.connect({ host, port: controllerAgentPort, topics: [a.topic], attempts: 20, retryDelayMs: 100 });
    a.send = (ev) => client.isOpen && client.publishEvent(a.topic, ev);
    a.closeFn = () => client.close();
    client.on('event', (ev) => a.handle(ev));
    a.hello(true);
    return a;
  }

  /**
   * An agent that peers with the controller's agent port over native Broker, as Zeek's
   * agent does (anonymous TLS by default, plain TCP with tls: false), and checks in with
   * its Broker endpoint id.
   */
  static async connectNative(controllerAgentPort: number, opts: TestAgentOptions, wire: { tls?: boolean } = {}, host = '127.0.0.1'): Promise<TestAgent> {
    const a = new TestAgent(opts);
    const peer = await NativePeer.connect(host, controllerAgentPort, { filter: [a.topic], tls: wire.tls ?? true });
    a.native = peer;
    a.send = (ev) => { if (!peer.isClosed) peer.publishEvent(a.topic, ev); };
    a.closeFn = () => peer.unpeer();
    peer.on('event', (_topic: string, ev: ZeekEvent) => a.handle(ev));
    a.helloId = peer.localId.toString();
    a.hello(true);
    return a;
  }

  /** The native peering, for agents made by connectNative. */
  native?: NativePeer;
  private helloId?: string;

  /** An agent that listens; the controller connects to it (instance given as host:port), natively as Broker::peer does. */
  static async listen(opts: TestAgentOptions, port = 0): Promise<TestAgent> {
    const a = new TestAgent(opts);
    const server = new EndpointServer({ host: '127.0.0.1', port, relay: false, native: { filter: [a.topic] } });
    a.port = (await server.listen()).port;
    a.send = (ev) => server.publishEvent(a.topic, ev);
    a.closeFn = () => server.close();
    server.on('peer', () => a.hello(false));
    server.on('event', (ev) => a.handle(ev));
    return a;
  }

  hello(connecting: boolean): void {
    this.send({ name: AgentApi.notify_agent_hello, args: [B.str(this.opts.name), B.str(this.helloId ?? `broker-id-${this.opts.name}`), B.bool(connecting), B.count(this.opts.apiVersion ?? 1)] });
  }

  /** Sends any event on the agent's topic (for forged/malformed input tests). */
  emit(name: string, args: BrokerData[]): void {
    this.send({ name, args });
  }

  /** Resolves with the next (or an already received, unconsumed) event of that name. */
  waitFor(name: string, timeoutMs = 5000): Promise<ZeekEvent> {
    const queued = this.unconsumed.findIndex((e) => e.name === name);
    if (queued >= 0) return Promise.resolve(this.unconsumed.splice(queued, 1)[0]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.opts.name}: no ${name} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ name, resolve: (ev) => { clearTimeout(t); resolve(ev); } });
    });
  }

  count(name: string): number {
    return this.received.filter((e) => e.name === name).length;
  }

  private ownNodes(): Configuration['nodes'] {
    return (this.deployed?.nodes ?? []).filter((n) => n.instance === this.opts.name);
  }

  private handle(ev: ZeekEvent): void {
    this.received.push(ev);
    const i = this.waiters.findIndex((w) => w.name === ev.name);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(ev);
    else this.unconsumed.push(ev);
    if (this.opts.silent?.includes(ev.name)) return;
    const reqid = str(ev.args[0]);
    const name = this.opts.name;
    const result = (fields: Partial<Omit<Result, 'reqid'>> = {}): Result => makeResult(reqid, { instance: name, ...fields });
    switch (ev.name) {
      case AgentApi.agent_welcome_request:
        this.send({ name: AgentApi.agent_welcome_response, args: [B.str(reqid), resultToData(result())] });
        break;
      case AgentApi.agent_standby_request:
        this.deployed = undefined;
        this.standbys++;
        this.send({ name: AgentApi.agent_standby_response, args: [B.str(reqid), resultToData(result())] });
        break;
      case AgentApi.deploy_request: {
        this.deployed = configurationFromData(ev.args[1]);
        const results = this.ownNodes().map((n) => {
          const fail = this.opts.failNodes?.[n.name];
          return fail === undefined
            ? result({ node: n.name })
            : result({ node: n.name, success: false, data: nodeOutputsToData({ stdout: '', stderr: fail }) });
        });
        this.send({ name: AgentApi.deploy_response, args: [B.str(reqid), resultVecToData(results)] });
        break;
      }
      case AgentApi.get_nodes_request: {
        const statuses: NodeStatus[] = [
          ...(this.opts.extraStatuses ?? []),
          { node: name, state: 'RUNNING', mgmt_role: 'AGENT', cluster_role: 'NONE', pid: 4242, port: null, metrics_port: null },
          ...this.ownNodes().map((n, i): NodeStatus => ({ node: n.name, state: 'RUNNING', mgmt_role: 'NONE', cluster_role: n.role, pid: 5000 + i, port: n.port, metrics_port: n.metrics_port })),
        ];
        this.send({ name: AgentApi.get_nodes_response, args: [B.str(reqid), resultToData(result({ data: B.vec(statuses.map(nodeStatusToData)) }))] });
        break;
      }
      case AgentApi.node_dispatch_request: {
        const action = strings(ev.args[1]);
        const wanted = new Set(strings(ev.args[2]));
        const results = this.ownNodes()
          .filter((n) => wanted.size === 0 || wanted.has(n.name))
          .map((n) => result({ node: n.name, data: B.str(this.opts.idValues?.[action[1]] ?? 'false') }));
        this.send({ name: AgentApi.node_dispatch_response, args: [B.str(reqid), resultVecToData(results)] });
        break;
      }
      case AgentApi.restart_request: {
        const wanted = new Set(strings(ev.args[1]));
        const results = this.ownNodes().filter((n) => wanted.size === 0 || wanted.has(n.name)).map((n) => result({ node: n.name }));
        this.send({ name: AgentApi.restart_response, args: [B.str(reqid), resultVecToData(results)] });
        break;
      }
    }
  }

  async close(): Promise<void> {
    await this.closeFn();
  }
}
