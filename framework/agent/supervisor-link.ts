// The agent's connection to its Supervisor (127.0.0.1 at Broker::default_port), topics
// zeek/supervisor and zeek/management/supervisor: SupervisorControl requests with
// reqid-matched responses, and the Supervisor's notifications. Messages are read piece by
// piece as they arrive (supervisor-reader.ts): a status reply, which holds the whole
// cluster layout once per node, is never held whole, and each node's cluster table in it
// is reduced to the node's own entry, the only one the agent reads. The upgrade request
// carries the Supervisor's secret (supervisor/control-secret.ts), without which it is refused.
// With our own Supervisor (it announces SUPERVISOR_LAYOUTS_CAPABILITY in answer to the
// hello sent on connecting), a deployment's cluster layout goes once (layout()) and each
// create refers to it, and a status holds each node's own endpoint only: both are
// ZeekMgmt::SupervisorControl requests, O(nodes) on this link instead of Zeek's O(nodes²).
// A Supervisor that does not answer the hello gets Zeek's requests.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { B, BrokerData } from '../../sdk/broker/data';
import { ZeekEvent } from '../../sdk/broker/event';
import { DiagApi } from '../../sdk/model/events';
import { ConnectError, EndpointClient } from '../../sdk/transport/endpoint-client';
import { authorizationHeader, SECRET_FILE_ENV } from '../supervisor/control-secret';
import { SUPERVISOR_LAYOUTS_CAPABILITY, SupervisorControl, ZeekMgmtSupervisorControl } from '../supervisor/events';
import { NodeConfig, nodeConfigToData, statusFromData, SupervisorStatus } from '../supervisor/records';
import { SupervisorMessageReader } from './supervisor-reader';

/**
 * Largest message taken from the Supervisor. Read piece by piece, its size costs time, not
 * memory (each status table entry and the rest are bounded by the codec's 16 MiB text
 * limit); a status reply is ~350 bytes × nodes², so this allows ~1,700 nodes on one agent.
 */
export const MAX_SUPERVISOR_MESSAGE_BYTES = 1024 * 1024 * 1024;

export interface SupervisorLinkEvents {
  /** Events that are not responses (notify_node_exit, node_status, notify_node_hello). */
  event: [ev: ZeekEvent];
  close: [];
}

interface Pending {
  resolve: (ev: ZeekEvent) => void;
  reject: (err: Error) => void;
}

export class SupervisorLink extends EventEmitter<SupervisorLinkEvents> {
  private readonly pending = new Map<string, Pending>();
  /** The Supervisor takes layouts once and gives own-endpoint statuses (it said so in its hello_response). */
  private layouts = false;
  private layoutSeq = 0;

  private constructor(private readonly client: EndpointClient, readonly topicPrefix: string) {
    super();
    client.on('event', (ev) => this.dispatch(ev));
    client.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection to the supervisor closed'));
      this.pending.clear();
      this.emit('close');
    });
    // Not awaited: until (unless) the answer comes, Zeek's requests are used.
    this.request(ZeekMgmtSupervisorControl.hello_request, []).then((ev) => {
      const caps = ev.args[1];
      this.layouts = caps?.type === 'vector' && caps.value.some((c) => c.type === 'string' && c.value === SUPERVISOR_LAYOUTS_CAPABILITY);
    }, () => undefined);
  }

  /** Whether the Supervisor takes a layout once for many creates (and gives own-endpoint statuses). */
  get takesLayouts(): boolean {
    return this.layouts;
  }

  /** Connects, retrying every retryMs until it succeeds or the signal aborts. */
  static async connect(o: { host: string; port: number; topics: string[]; topicPrefix: string; retryMs: number; secret?: string; signal?: AbortSignal; onRetry?: (n: number, err: Error) => void }): Promise<SupervisorLink> {
    let client: EndpointClient;
    try {
      client = await EndpointClient.connect({
        host: o.host, port: o.port, topics: o.topics, attempts: Number.MAX_SAFE_INTEGER, retryDelayMs: o.retryMs,
        appName: 'zeek-mgmt-agent', signal: o.signal, onRetry: o.onRetry,
        headers: o.secret !== undefined ? authorizationHeader(o.secret) : undefined,
        streamingReader: { open: () => new SupervisorMessageReader(), maxMessageBytes: MAX_SUPERVISOR_MESSAGE_BYTES },
      });
    } catch (err) {
      if (/Unexpected server response: 401/.test((err as Error).message)) {
        throw new ConnectError(`the supervisor at ${o.host}:${o.port} refused this agent (HTTP 401): ${o.secret === undefined ? 'no' : 'a wrong'} Supervisor secret; `
          + `an agent started by hand needs ${SECRET_FILE_ENV} naming the file its Supervisor reads the secret from`, err as Error);
      }
      throw err;
    }
    return new SupervisorLink(client, o.topicPrefix);
  }

  private dispatch(ev: ZeekEvent): void {
    const first = ev.args[0];
    if (ev.name.endsWith('_response') && first?.type === 'string') {
      const p = this.pending.get(first.value);
      if (p) {
        this.pending.delete(first.value);
        p.resolve(ev);
        return;
      }
    }
    this.emit('event', ev);
  }

  private request(name: string, args: BrokerData[]): Promise<ZeekEvent> {
    const reqid = randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(reqid, { resolve, reject });
      try {
        this.client.publishEvent(this.topicPrefix, { name, args: [B.str(reqid), ...args] });
      } catch (err) {
        this.pending.delete(reqid);
        reject(err as Error);
      }
    });
  }

  /** The Supervisor's status; each NodeConfig's `cluster` holds only that node's own endpoint (see supervisor-reader.ts). */
  async status(node = ''): Promise<SupervisorStatus> {
    const ev = await this.request(this.layouts ? ZeekMgmtSupervisorControl.status_request : SupervisorControl.status_request, [B.str(node)]);
    return statusFromData(ev.args[1] ?? { type: 'none' }, '$.args[1]');
  }

  /**
   * Sends a cluster layout (clusterToData of it) for creates to refer to; resolves with its
   * id, or null when the Supervisor does not take layouts (create() then carries it each time).
   */
  async layout(cluster: BrokerData): Promise<string | null> {
    if (!this.layouts) return null;
    const id = `layout-${++this.layoutSeq}`;
    const ev = await this.request(ZeekMgmtSupervisorControl.layout_request, [B.str(id), cluster]);
    const r = ev.args[1];
    if (r?.type !== 'string') throw new Error('malformed layout_response');
    if (r.value !== '') throw new Error(r.value);
    return id;
  }

  /**
   * '' on success, else the Supervisor's error. `cluster`: cfg.cluster already encoded
   * (clusterToData), when shared by many nodes; `layoutId`: a layout() that holds
   * cfg.cluster, sent in its place.
   */
  async create(cfg: NodeConfig, cluster?: BrokerData, layoutId?: string | null): Promise<string> {
    const ev = layoutId
      ? await this.request(ZeekMgmtSupervisorControl.create_request, [nodeConfigToData(cfg, B.table([])), B.str(layoutId)])
      : await this.request(SupervisorControl.create_request, [nodeConfigToData(cfg, cluster)]);
    const r = ev.args[1];
    return r?.type === 'string' ? r.value : 'malformed create_response';
  }

  async destroy(node: string): Promise<boolean> {
    const ev = await this.request(SupervisorControl.destroy_request, [B.str(node)]);
    return ev.args[1]?.type === 'boolean' ? ev.args[1].value : false;
  }

  /** The Supervisor's node diagnostics (ours), as its JSON text; node '' = all. */
  async diagnostics(node = ''): Promise<string> {
    const ev = await this.request(DiagApi.supervisor_diagnostics_request, [B.str(node)]);
    const r = ev.args[1];
    if (r?.type !== 'string') throw new Error(`malformed ${DiagApi.supervisor_diagnostics_response}: argument 2 is ${r?.type ?? 'missing'}, not a string`);
    return r.value;
  }

  async restart(node: string): Promise<boolean> {
    const ev = await this.request(SupervisorControl.restart_request, [B.str(node)]);
    return ev.args[1]?.type === 'boolean' ? ev.args[1].value : false;
  }

  get isOpen(): boolean {
    return this.client.isOpen;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
