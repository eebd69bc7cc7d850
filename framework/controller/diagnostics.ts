// The controller's part of node diagnostics (ours; ARCHITECTURE.md, "Node diagnostics"):
// which agents announced that they answer them (DIAG_CAPABILITY in
// notify_agent_capabilities, which Zeek's agents never send), and one gathering per client
// request: every connected instance is asked, each answer is checked and passed on as it
// came, and each instance that cannot answer gets a Result naming it: one that is not ours
// at once, one that does not answer within the request timeout, one whose link goes away.
// A client request is answered once every instance has answered or failed, never later
// than the timeout.

import { B, BrokerData } from '../../sdk/broker/data';
import { DiagnosticsFormatError, nodeDiagnosticsFromJson } from '../../sdk/model/diagnostics';
import { DIAG_CAPABILITY, DiagApi } from '../../sdk/model/events';
import { makeResult, Result, resultFromData } from '../../sdk/model/records';
import { AgentLink } from './agents';
import { ManagementLog } from './log';
import { short } from './strings';

interface PendingCall {
  instance: string;
  link: AgentLink;
  resolve: (r: Result) => void;
  timer: NodeJS.Timeout;
}

export class ControllerDiagnostics {
  /** Instances whose agent announced the diagnostics capability, with the link it came over. */
  private readonly capable = new Map<string, AgentLink>();
  private readonly calls = new Map<string, PendingCall>();
  private seq = 0;

  constructor(
    private readonly log: ManagementLog,
    private readonly timeoutMs: number,
    private readonly linkFor: (instance: string) => AgentLink | undefined,
  ) {}

  capabilities(instance: string, caps: string[], link: AgentLink): void {
    if (caps.includes(DIAG_CAPABILITY)) this.capable.set(instance, link);
    else this.capable.delete(instance);
  }

  isCapable(instance: string): boolean {
    const link = this.capable.get(instance);
    return link !== undefined && link === this.linkFor(instance);
  }

  linkLost(link: AgentLink): void {
    for (const [name, l] of this.capable) if (l === link) this.capable.delete(name);
    for (const [id, c] of this.calls) {
      if (c.link !== link) continue;
      this.calls.delete(id);
      clearTimeout(c.timer);
      c.resolve(failure(c.instance, `lost the connection to instance '${c.instance}' before it answered`));
    }
  }

  /** An agent's get_node_diagnostics_response: counts only for a call that went to that instance over that link. */
  agentResponse(reqid: string, result: BrokerData, link: AgentLink): void {
    const c = this.calls.get(reqid);
    if (!c) return;
    if (c.link !== link) {
      this.log.warning(`ignoring diagnostics response ${short(reqid)} from ${link.describe()}: the request went to instance ${c.instance}`);
      return;
    }
    this.calls.delete(reqid);
    clearTimeout(c.timer);
    c.resolve(checked(c.instance, result));
  }

  /** One Result per instance: success with data the JSON text of its nodes' diagnostics, or an error naming it. Never rejects. */
  gather(instances: string[], nodes: string[]): Promise<Result[]> {
    return Promise.all(instances.map((name) => this.ask(name, nodes)));
  }

  private ask(instance: string, nodes: string[]): Promise<Result> {
    const link = this.linkFor(instance);
    if (!link) return Promise.resolve(failure(instance, `instance '${instance}' is not connected`));
    if (!this.isCapable(instance)) {
      return Promise.resolve(failure(instance, `instance '${instance}' does not report node diagnostics: its agent does not announce ${DIAG_CAPABILITY} (a Zeek agent?)`));
    }
    const reqid = `diag-${++this.seq}-${Date.now().toString(36)}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(reqid);
        resolve(failure(instance, `instance '${instance}' did not answer ${DiagApi.agent_diagnostics_request} within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.calls.set(reqid, { instance, link, timer, resolve });
      link.send(`zeek/management/agent/${instance}`, { name: DiagApi.agent_diagnostics_request, args: [B.str(reqid), B.set(nodes.map(B.str))] });
    });
  }

  close(): void {
    for (const c of this.calls.values()) clearTimeout(c.timer);
    this.calls.clear();
  }
}

function failure(instance: string, error: string): Result {
  return makeResult('', { success: false, instance, error });
}

/** An agent's Result as passed on: its instance is the one asked, its data well-formed diagnostics of that instance's nodes. */
function checked(instance: string, data: BrokerData): Result {
  let r: Result;
  try {
    r = resultFromData(data, 'result');
  } catch (err) {
    return failure(instance, `instance '${instance}' sent malformed diagnostics: ${(err as Error).message}`);
  }
  if (!r.success) return failure(instance, r.error ?? `instance '${instance}' could not report node diagnostics`);
  if (r.data?.type !== 'string') return failure(instance, `instance '${instance}' sent malformed diagnostics: data is ${r.data?.type ?? 'missing'}, not a string`);
  try {
    const list = nodeDiagnosticsFromJson(r.data.value, 'data');
    const foreign = list.find((d) => d.instance !== instance);
    if (foreign) return failure(instance, `instance '${instance}' sent malformed diagnostics: node ${short(foreign.node)} is given as on instance ${short(foreign.instance)}`);
  } catch (err) {
    if (!(err instanceof DiagnosticsFormatError)) throw err;
    return failure(instance, `instance '${instance}' sent malformed diagnostics: ${err.message}`);
  }
  return makeResult('', { instance, data: r.data });
}
