// A client of the Management controller: one WebSocket connection, request/response
// transactions matched on reqid (several may be in flight), a typed method for every
// Management::Controller::API request.

import { randomUUID } from '../transport/random';
import { B, BrokerData } from '../broker/data';
import { ShapeError } from '../broker/errors';
import { eventToData, ZeekEvent } from '../broker/event';
import { ControllerApi, DiagApi, SiteApi } from '../model/events';
import { configurationToData, Result, resultFromData, resultVecFromData } from '../model/records';
import { Configuration } from '../model/schemas';
import { EndpointClient, EndpointClientOptions } from '../transport/endpoint-client';
import { ClientTlsSettings } from '../transport/tls';
import { TOPICS } from '../transport/topics';

export interface ControllerClientOptions {
  host?: string;
  port?: number;
  /** wss:// with these settings when set. */
  tls?: ClientTlsSettings;
  /** zeek-client's client.peering_attempts (10). */
  peeringAttempts?: number;
  /** zeek-client's client.peering_retry_delay_secs (1.0), in seconds. */
  peeringRetryDelaySecs?: number;
  /** zeek-client's client.request_timeout_secs (20). */
  requestTimeoutSecs?: number;
  topic?: string;
  appName?: string;
  onRetry?: EndpointClientOptions['onRetry'];
  retryable?: EndpointClientOptions['retryable'];
  /**
   * A request that changes nothing, sent with the handshake, right behind the
   * subscriptions (EndpointClientOptions.earlyMessages): the first call of its method with
   * the same arguments takes its response instead of sending it again. A round trip less
   * for a command that asks one thing.
   */
  first?: FirstRequest;
}

/** The requests that may go out with the handshake (ControllerClientOptions.first): those that only read. */
export type FirstRequest =
  | { method: 'getInstances' }
  | { method: 'getNodes' }
  | { method: 'getConfiguration'; deployed: boolean }
  | { method: 'getIdValue'; id: string; nodes: string[] };

interface RequestSpec { request: string; response: string; args: BrokerData[] }

function requestOf(f: FirstRequest): RequestSpec {
  switch (f.method) {
    case 'getInstances': return { request: ControllerApi.get_instances_request, response: ControllerApi.get_instances_response, args: [] };
    case 'getNodes': return { request: ControllerApi.get_nodes_request, response: ControllerApi.get_nodes_response, args: [] };
    case 'getConfiguration': return { request: ControllerApi.get_configuration_request, response: ControllerApi.get_configuration_response, args: [B.bool(f.deployed)] };
    case 'getIdValue': return { request: ControllerApi.get_id_value_request, response: ControllerApi.get_id_value_response, args: [B.str(f.id), B.set(f.nodes.map(B.str))] };
  }
}

/** Which call a FirstRequest stands for: method and arguments. */
const firstKey = (f: FirstRequest): string => JSON.stringify(f);

/**
 * zeek-client's rule for connection attempts: try again after a refused connection or a
 * timeout, give up at once on anything else (a TLS mismatch, a bad certificate, a
 * server that is not a Broker endpoint), where retrying only delays the same failure.
 */
export function retriesLikeZeekClient(err: Error): boolean {
  return /ECONNREFUSED|ETIMEDOUT|timed out/.test(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`);
}

export const CONTROLLER_DEFAULTS = {
  host: '127.0.0.1',
  port: 2149,
  peeringAttempts: 10,
  peeringRetryDelaySecs: 1.0,
  requestTimeoutSecs: 20,
} as const;

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

interface Pending {
  response: string;
  resolve: (ev: ZeekEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ControllerClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(ev: ZeekEvent, topic: string) => void>();
  /** The response to the request sent with the handshake, until its method is called. */
  private first: { key: string; response: Promise<ZeekEvent> } | undefined;
  readonly requestTimeoutMs: number;
  readonly topic: string;

  private constructor(readonly connection: EndpointClient, opts: ControllerClientOptions) {
    this.requestTimeoutMs = (opts.requestTimeoutSecs ?? CONTROLLER_DEFAULTS.requestTimeoutSecs) * 1000;
    this.topic = opts.topic ?? TOPICS.controller;
    connection.on('event', (ev, topic) => this.dispatch(ev, topic));
    connection.on('close', () => {
      for (const [reqid, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`connection to controller closed while waiting for ${p.response} (reqid ${reqid})`));
      }
      this.pending.clear();
    });
  }

  static async connect(opts: ControllerClientOptions = {}): Promise<ControllerClient> {
    const topic = opts.topic ?? TOPICS.controller;
    const first = opts.first ? { ...requestOf(opts.first), reqid: randomUUID() } : undefined;
    const conn = await EndpointClient.connect({
      host: opts.host ?? CONTROLLER_DEFAULTS.host,
      port: opts.port ?? CONTROLLER_DEFAULTS.port,
      topics: [opts.topic ?? TOPICS.controller],
      tls: opts.tls,
      attempts: opts.peeringAttempts ?? CONTROLLER_DEFAULTS.peeringAttempts,
      retryDelayMs: (opts.peeringRetryDelaySecs ?? CONTROLLER_DEFAULTS.peeringRetryDelaySecs) * 1000,
      appName: opts.appName ?? 'zeek-mgmt',
      onRetry: opts.onRetry,
      retryable: opts.retryable,
      earlyMessages: first ? [{ topic, data: eventToData({ name: first.request, args: [B.str(first.reqid), ...first.args] }) }] : undefined,
    });
    const client = new ControllerClient(conn, opts);
    if (first && opts.first) {
      // Registered before any message is handed on (EndpointClient holds what came with
      // the ack until connect()'s caller has run), so the response cannot be missed.
      const response = client.awaitResponse(first.request, first.response, first.reqid, client.requestTimeoutMs);
      // Not taken (the command ended first): its rejection at close is nobody's error.
      response.catch(() => undefined);
      client.first = { key: firstKey(opts.first), response };
    }
    return client;
  }

  /** Every event received, matched to a transaction or not (for `monitor`). */
  onEvent(fn: (ev: ZeekEvent, topic: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private dispatch(ev: ZeekEvent, topic: string): void {
    for (const fn of this.listeners) fn(ev, topic);
    const first = ev.args[0];
    if (first?.type !== 'string') return;
    const p = this.pending.get(first.value);
    if (!p || p.response !== ev.name) return;
    this.pending.delete(first.value);
    clearTimeout(p.timer);
    p.resolve(ev);
  }

  /** Publishes a request (reqid first) and resolves with the matching response event. */
  transact(request: string, response: string, args: BrokerData[], opts: { reqid?: string; timeoutMs?: number } = {}): Promise<ZeekEvent> {
    const reqid = opts.reqid ?? randomUUID();
    const answer = this.awaitResponse(request, response, reqid, opts.timeoutMs ?? this.requestTimeoutMs);
    try {
      this.connection.publishEvent(this.topic, { name: request, args: [B.str(reqid), ...args] });
    } catch (err) {
      const p = this.pending.get(reqid);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(reqid);
        p.reject(err as Error);
      }
    }
    return answer;
  }

  /** The response to a request with this reqid, once it comes (or a RequestTimeoutError). */
  private awaitResponse(request: string, response: string, reqid: string, timeoutMs: number): Promise<ZeekEvent> {
    return new Promise<ZeekEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqid);
        reject(new RequestTimeoutError(`no response to ${request} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(reqid, { response, resolve, reject, timer });
    });
  }

  /** A read request's response: the one sent with the handshake if that was this call, else a new transaction. */
  private read(f: FirstRequest): Promise<ZeekEvent> {
    if (this.first !== undefined && this.first.key === firstKey(f)) {
      const { response } = this.first;
      this.first = undefined;
      return response;
    }
    const spec = requestOf(f);
    return this.transact(spec.request, spec.response, spec.args);
  }

  /** Publishes an event that has no response. */
  send(name: string, args: BrokerData[]): void {
    this.connection.publishEvent(this.topic, { name, args });
  }

  private async single(req: string, resp: string, args: BrokerData[]): Promise<Result> {
    const ev = await this.transact(req, resp, args);
    return resultFromData(argAt(ev, 1), '$.args[1]');
  }

  private async multi(req: string, resp: string, args: BrokerData[]): Promise<Result[]> {
    const ev = await this.transact(req, resp, args);
    return resultVecFromData(argAt(ev, 1), '$.args[1]');
  }

  getInstances(): Promise<Result> {
    return this.read({ method: 'getInstances' }).then((ev) => resultFromData(argAt(ev, 1), '$.args[1]'));
  }

  stageConfiguration(config: Configuration): Promise<Result[]> {
    return this.multi(ControllerApi.stage_configuration_request, ControllerApi.stage_configuration_response, [configurationToData(config)]);
  }

  getConfiguration(deployed: boolean): Promise<Result> {
    return this.read({ method: 'getConfiguration', deployed }).then((ev) => resultFromData(argAt(ev, 1), '$.args[1]'));
  }

  deploy(): Promise<Result[]> {
    return this.multi(ControllerApi.deploy_request, ControllerApi.deploy_response, []);
  }

  getNodes(): Promise<Result[]> {
    return this.read({ method: 'getNodes' }).then((ev) => resultVecFromData(argAt(ev, 1), '$.args[1]'));
  }

  getIdValue(id: string, nodes: string[] = []): Promise<Result[]> {
    return this.read({ method: 'getIdValue', id, nodes }).then((ev) => resultVecFromData(argAt(ev, 1), '$.args[1]'));
  }

  restart(nodes: string[] = []): Promise<Result[]> {
    return this.multi(ControllerApi.restart_request, ControllerApi.restart_response, [B.set(nodes.map(B.str))]);
  }

  testTimeout(withState: boolean): Promise<Result> {
    return this.single(ControllerApi.test_timeout_request, ControllerApi.test_timeout_response, [B.bool(withState)]);
  }

  /**
   * Sends a site to the controller (ours: SiteApi), chunk after chunk, each answered before
   * the next goes. Resolves with the last chunk's Result (success: the site is stored) or
   * the first failure.
   */
  async stageSite(packed: Buffer, chunkBytes?: number): Promise<Result> {
    // Required here, not at the top: it loads node:crypto, which other commands do not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chunkPacked } = require('../site/site') as typeof import('../site/site');
    let last: Result | undefined;
    for (const c of chunkPacked(packed, chunkBytes)) {
      last = await this.single(SiteApi.stage_site_request, SiteApi.stage_site_response,
        [B.str(c.hash), B.count(BigInt(c.index)), B.count(BigInt(c.total)), B.str(c.data)]);
      if (!last.success) return last;
    }
    return last!;
  }

  /** The files of a site the controller holds (ours): path → sha256 of the content; null when it has none of that hash. */
  async getSiteManifest(hash: string): Promise<Record<string, string> | null> {
    const r = await this.single(SiteApi.get_site_request, SiteApi.get_site_response, [B.str(hash)]);
    if (!r.success || r.data?.type !== 'string') return null;
    const m = JSON.parse(r.data.value) as unknown;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
    return m as Record<string, string>;
  }

  /** What each agent's disk holds of the deployed site (ours). */
  getSiteStatus(): Promise<Result[]> {
    return this.multi(SiteApi.get_site_status_request, SiteApi.get_site_status_response, []);
  }

  /**
   * Node diagnostics (ours; `zeek-mgmt diag`): per instance, a Result whose data is the JSON
   * text of its nodes' diagnostics (read it with nodeDiagnosticsOf), or success=F with an
   * error naming the instance (not connected, a Zeek agent, no answer in time); one Result
   * per unknown node. `nodes` empty: every node.
   */
  getNodeDiagnostics(nodes: string[] = []): Promise<Result[]> {
    return this.multi(DiagApi.get_node_diagnostics_request, DiagApi.get_node_diagnostics_response, [B.set(nodes.map(B.str))]);
  }

  testNoop(): void {
    this.send(ControllerApi.test_noop_request, [B.str(randomUUID())]);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function argAt(ev: ZeekEvent, i: number): BrokerData {
  const a = ev.args[i];
  if (a === undefined) throw new ShapeError(`${ev.name} has no argument ${i}`);
  return a;
}

