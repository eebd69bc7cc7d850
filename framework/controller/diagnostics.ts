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
import { AgentCalls } from './agent-calls';
import { AgentLink } from './agents';
import { ManagementLog } from './log';
import { short } from './strings';

export class ControllerDiagnostics {
  private readonly calls: AgentCalls<BrokerData>;

  constructor(log: ManagementLog, timeoutMs: number, private readonly linkFor: (instance: string) => AgentLink | undefined) {
    this.calls = new AgentCalls<BrokerData>(DIAG_CAPABILITY, 'diagnostics', 'diag', log, timeoutMs, linkFor);
  }

  capabilities(instance: string, caps: string[], link: AgentLink): void {
    this.calls.capabilities(instance, caps, link);
  }

  isCapable(instance: string): boolean {
    return this.calls.isCapable(instance);
  }

  linkLost(link: AgentLink): void {
    this.calls.linkLost(link);
  }

  /** An agent's get_node_diagnostics_response: counts only for a call that went to that instance over that link. */
  agentResponse(reqid: string, result: BrokerData, link: AgentLink): void {
    this.calls.response(reqid, result, link);
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
    return this.calls.send(instance, link, DiagApi.agent_diagnostics_request, [B.set(nodes.map(B.str))]).then((end) => {
      if ('answer' in end) return checked(instance, end.answer);
      if (end.kind === 'lost') return failure(instance, `lost the connection to instance '${instance}' before it answered`);
      return failure(instance, `instance '${instance}' did not answer ${DiagApi.agent_diagnostics_request} within ${end.seconds} s`);
    });
  }

  close(): void {
    this.calls.close();
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
