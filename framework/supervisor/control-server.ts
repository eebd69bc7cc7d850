// The Supervisor's remote control endpoint: listens (on 127.0.0.1 at Broker::default_port)
// for its agent, serves SupervisorControl::{create,status,restart,destroy,stop}_request
// in arrival order (destroys overlap: each is answered when its process has exited, and a
// later create or restart waits until every destroy in progress is done, so a new node
// never finds an old one on its port), publishes responses on zeek/supervisor/<what>_response/<reqid>,
// SupervisorControl::node_status on (re)starts and, for the Management framework,
// Management::Supervisor::API::notify_node_exit with a dead node's recent output, and
// (ours) ZeekMgmt::Supervisor::API::get_node_diagnostics_request, answered at once with the
// JSON text of Supervisor.diagnostics().
// A status reply lists every node's NodeConfig with its whole cluster layout, as Zeek's
// does (O(nodes²) text): it is built around the Supervisor's shared layout subtrees and
// written as one frame in parts (EndpointServer's sendParts), never made whole.
// Our own agent may instead send a deployment's layout once and create nodes referring to
// it, and ask for statuses whose NodeConfigs hold only each node's own endpoint
// (ZeekMgmt::SupervisorControl, events.ts), announced in hello_response.
// Only the Supervisor's own agent is served: its upgrade request must carry the secret
// (control-secret.ts); any other connection is refused before the upgrade, and logged.

import { B, BrokerData } from '../../sdk/broker/data';
import { ZeekEvent } from '../../sdk/broker/event';
import { KnownTexts } from '../../sdk/broker/json-encode';
import { DiagApi, SupervisorApi } from '../../sdk/model/events';
import { EndpointServer, LogFn } from '../../sdk/transport/endpoint-server';
import { checkAuthorization, localConnectionOwner } from './control-secret';
import { SUPERVISOR_LAYOUTS_CAPABILITY, SupervisorControl, ZeekMgmtSupervisorControl } from './events';
import { ClusterEndpoint, clusterFromData, NodeConfig, nodeConfigFromData } from './records';
import { ownString } from './stored-node-configs';
import { Supervisor } from './supervisor';

export interface ControlServerOptions {
  host: string;
  port: number;
  /** SupervisorControl::topic_prefix. */
  topicPrefix: string;
  /** Management::Supervisor::topic_prefix. */
  managementTopic: string;
  /**
   * The secret only the Supervisor's own agent knows (control-secret.ts): an upgrade request
   * without it is refused (HTTP 401) and logged. null serves anyone who connects; only
   * tests that are about something else pass that.
   */
  secret: string | null;
  onStopRequest?: () => void;
  log?: LogFn;
}

function stringArg(ev: ZeekEvent, i: number): string {
  const a = ev.args[i];
  if (a?.type !== 'string') throw new Error(`${ev.name}: argument ${i + 1} must be a string`);
  return a.value;
}

/** Layouts kept for ZeekMgmt create_requests: the newest few (a deployment sends one, then its creates). */
const LAYOUTS_KEPT = 8;

export class SupervisorControlServer {
  readonly server: EndpointServer;
  /** Layouts our agent sent (layout_request), by its id, oldest first. */
  private readonly layouts = new Map<string, Record<string, ClusterEndpoint>>();
  private queue: Promise<void> = Promise.resolve();
  /** Destroys whose processes are still stopping. */
  private readonly stopping = new Set<Promise<boolean>>();

  constructor(readonly supervisor: Supervisor, readonly options: ControlServerOptions) {
    const secret = options.secret;
    this.server = new EndpointServer({
      host: options.host, port: options.port, relay: false, log: options.log,
      authorize: secret === null ? undefined : (req) => {
        const why = checkAuthorization(req, secret);
        if (why === null) return null;
        const owner = localConnectionOwner(req.socket.remotePort, req.socket.localPort);
        return `${why}${owner !== null ? ` (the connecting socket belongs to uid ${owner})` : ''}`;
      },
    });
    this.server.on('event', (ev) => {
      if (ev.name === DiagApi.supervisor_diagnostics_request) {
        // Read-only and immediate: not queued behind creates and destroys.
        this.diagnostics(ev);
        return;
      }
      // Answered at once, in arrival order: creates that follow a layout find it.
      if (ev.name === ZeekMgmtSupervisorControl.hello_request || ev.name === ZeekMgmtSupervisorControl.layout_request) {
        try {
          this.handleNow(ev);
        } catch (err) {
          options.log?.('error', `supervisor request ${ev.name} failed: ${(err as Error).message}`);
        }
        return;
      }
      const run = ev.name === SupervisorControl.create_request || ev.name === ZeekMgmtSupervisorControl.create_request ? this.createHandler(ev) : () => this.handle(ev);
      this.queue = this.queue.then(run).catch((err) => options.log?.('error', `supervisor request ${ev.name} failed: ${(err as Error).message}`));
    });
    supervisor.on('node-status', (name, pid) => {
      this.publish(`${options.topicPrefix}/node_status`, SupervisorControl.node_status, [B.str(name), B.count(pid)]);
    });
    supervisor.on('node-exit', (name, outputs) => {
      this.publish(options.managementTopic, SupervisorApi.notify_node_exit, [B.str(name), B.vec([B.str(outputs.stdout), B.str(outputs.stderr)])]);
    });
  }

  listen(): ReturnType<EndpointServer['listen']> {
    return this.server.listen();
  }

  private publish(topic: string, name: string, args: BrokerData[], known?: KnownTexts): void {
    this.server.publishEvent(topic, { name, args }, known);
  }

  private respond(what: string, reqid: string, result: BrokerData, known?: KnownTexts): void {
    this.publish(`${this.options.topicPrefix}/${what}_response/${reqid}`, `SupervisorControl::${what}_response`, [B.str(reqid), result], known);
  }

  private diagnostics(ev: ZeekEvent): void {
    let reqid: string;
    let node: string;
    try {
      reqid = stringArg(ev, 0);
      node = ev.args.length > 1 ? stringArg(ev, 1) : '';
    } catch (err) {
      this.options.log?.('warning', `supervisor request refused: ${(err as Error).message}`);
      return;
    }
    this.publish(`${this.options.topicPrefix}/get_node_diagnostics_response/${reqid}`, DiagApi.supervisor_diagnostics_response,
      [B.str(reqid), B.str(JSON.stringify(this.supervisor.diagnostics(node)))]);
  }

  /**
   * A create_request carries the whole cluster layout. It is decoded as it arrives, to the
   * form the Supervisor keeps (Supervisor.compact: own strings, equal layouts shared), and
   * only that waits for its turn in the queue, not the request's Broker data and JSON text
   * (the agent has up to 4 creates outstanding; at 200 nodes, holding theirs was enough
   * for V8 to promote ~20 MB of them to its old generation over a deployment).
   */
  private createHandler(ev: ZeekEvent): () => Promise<void> {
    let reqid: string;
    try {
      reqid = ownString(stringArg(ev, 0));
    } catch (err) {
      return () => Promise.reject(err);
    }
    let cfg: NodeConfig | string;
    try {
      const decoded = nodeConfigFromData(ev.args[1] ?? { type: 'none' }, '$.args[1]');
      if (ev.name === ZeekMgmtSupervisorControl.create_request) {
        // Ours: the NodeConfig comes without its cluster, which is the layout named.
        const id = stringArg(ev, 2);
        const layout = this.layouts.get(id);
        if (layout === undefined) throw new Error(`unknown cluster layout '${id}'`);
        if (Object.keys(decoded.cluster).length > 0) throw new Error('a create_request naming a layout must have an empty cluster table');
        decoded.cluster = layout;
      }
      cfg = this.supervisor.compact(decoded);
    } catch (err) {
      cfg = `invalid node configuration: ${(err as Error).message}`;
    }
    return async () => {
      await this.stopped();
      let result: string;
      try {
        result = typeof cfg === 'string' ? cfg : this.supervisor.create(cfg);
      } catch (err) {
        result = `invalid node configuration: ${(err as Error).message}`;
      }
      this.respond('create', reqid, B.str(result));
    };
  }

  /** Our agent's hello and layout requests, answered as they arrive. */
  private handleNow(ev: ZeekEvent): void {
    const reqid = stringArg(ev, 0);
    const topic = (what: string): string => `${this.options.topicPrefix}/${what}_response/${reqid}`;
    if (ev.name === ZeekMgmtSupervisorControl.hello_request) {
      this.publish(topic('hello'), ZeekMgmtSupervisorControl.hello_response, [B.str(reqid), B.vec([B.str(SUPERVISOR_LAYOUTS_CAPABILITY)])]);
      return;
    }
    let result = '';
    try {
      const id = ownString(stringArg(ev, 1));
      const layout = this.supervisor.compactLayout(clusterFromData(ev.args[2] ?? { type: 'none' }, '$.args[2]'));
      this.layouts.delete(id);
      this.layouts.set(id, layout);
      while (this.layouts.size > LAYOUTS_KEPT) this.layouts.delete(this.layouts.keys().next().value as string);
    } catch (err) {
      result = `invalid cluster layout: ${(err as Error).message}`;
    }
    this.publish(topic('layout'), ZeekMgmtSupervisorControl.layout_response, [B.str(reqid), B.str(result)]);
  }

  private async handle(ev: ZeekEvent): Promise<void> {
    const str = (i: number): string => stringArg(ev, i);
    switch (ev.name) {
      case SupervisorControl.status_request: {
        // Every node's NodeConfig with its whole cluster layout, as Zeek's Supervisor sends
        // it (O(nodes²) text): built around shared layout subtrees and sent in parts.
        const reqid = str(0);
        const { data, known } = this.supervisor.statusData(str(1));
        this.respond('status', reqid, data, known);
        return;
      }
      case ZeekMgmtSupervisorControl.status_request: {
        // Ours: the same Status, each NodeConfig's cluster holding only the node's own endpoint.
        this.respond('status', str(0), this.supervisor.ownEndpointStatusData(str(1)));
        return;
      }
      case SupervisorControl.destroy_request: {
        const reqid = str(0);
        // The node leaves the table now; its process is stopped alongside other destroys.
        const done = this.supervisor.destroy(str(1)).catch((err: Error) => {
          this.options.log?.('error', `supervisor request ${ev.name} failed: ${err.message}`);
          return false;
        });
        this.stopping.add(done);
        void done.then((ok) => {
          this.stopping.delete(done);
          this.respond('destroy', reqid, B.bool(ok));
        });
        return;
      }
      case SupervisorControl.restart_request: {
        const reqid = str(0);
        await this.stopped();
        this.respond('restart', reqid, B.bool(await this.supervisor.restart(str(1))));
        return;
      }
      case SupervisorControl.stop_request:
        this.options.onStopRequest?.();
        return;
      default:
        return;
    }
  }

  /** Resolves once no destroyed node's process is left. */
  private async stopped(): Promise<void> {
    while (this.stopping.size > 0) await Promise.all([...this.stopping]);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
