// Handlers of Management::Agent::API events arriving from agents: the check-in
// (notify_agent_hello), the responses to the controller's requests, and the
// notifications. Zeek's behaviour (controller/main.zeek), hardened in one respect: a
// response only counts when it answers a request the controller sent to the agent on
// that connection, and matches the kind of request it claims to answer.

import { B } from '../../sdk/broker/data';
import { AgentApi, ControllerApi, DiagApi, SiteApi } from '../../sdk/model/events';
import { BrokerData } from '../../sdk/broker/data';
import {
  nodeOutputsFromData, nodeOutputsToData, nodeStatusFromData, nodeStatusToData, Result, resultVecToData,
} from '../../sdk/model/records';
import { Node, State } from '../../sdk/model/schemas';
import { AgentLink } from './agents';
import { ArgumentError } from './arguments';
import { Request, requestToString } from './requests';
import { ControllerRuntime } from './runtime';
import { resultVecToString, short } from './strings';

export type AgentEventHandler = (rt: ControllerRuntime, args: Record<string, unknown>, link: AgentLink) => void;

const A = AgentApi;
const C = ControllerApi;

type ParentKind = 'deploy' | 'get_nodes' | 'node_dispatch' | 'restart' | null;

/**
 * Looks up the agent request `reqid` answered by `event`, checks that it went to the
 * instance behind `link`, finishes it and returns it with its parent (if requested).
 * Returns undefined, with a log line, for anything else.
 */
function claim(rt: ControllerRuntime, reqid: string, link: AgentLink, request: string, parentKind: ParentKind): { areq: Request; parent?: Request } | undefined {
  const areq = rt.requests.lookup(reqid);
  if (!areq) return undefined;
  const st = areq.state;
  const from = link.instance ?? link.expectedName;
  if (st?.kind !== 'agent' || st.event !== request) {
    rt.log.warning(`ignoring response ${short(reqid)} from ${link.describe()}: it does not answer a ${request}`);
    return undefined;
  }
  if (st.instance !== from) {
    rt.log.warning(`ignoring response ${short(reqid)} from ${link.describe()}: the request went to instance ${st.instance}`);
    return undefined;
  }
  rt.requests.finish(areq.key);
  if (parentKind === null || areq.parentId === undefined) return { areq };
  const parent = rt.requests.lookup(areq.parentId);
  if (!parent || parent.state?.kind !== parentKind) return { areq };
  return { areq, parent };
}

function checkNodeOutputs(results: Result[]): Result[] {
  return results.map((r, i) => {
    if (r.data === null) return r;
    try {
      return { ...r, data: nodeOutputsToData(nodeOutputsFromData(r.data, `$[${i}].data`)) };
    } catch (err) {
      throw new ArgumentError(`${A.deploy_response}: result ${i + 1} data is not a Management::NodeOutputs: ${(err as Error).message}`);
    }
  });
}

export const AGENT_EVENT_HANDLERS: Readonly<Record<string, AgentEventHandler>> = {
  [A.notify_agent_hello](rt, { instance, id, connecting, api_version }, link) {
    const name = instance as string;
    const brokerId = id as string;
    rt.log.info(`rx Management::Agent::API::notify_agent_hello ${short(name)} ${short(brokerId)} ${connecting ? 'T' : 'F'}`);
    if (api_version !== BigInt(C.version)) {
      rt.log.warning(`instance ${short(name)}/${short(brokerId)} has checked in with incompatible API version ${api_version}`);
      const inst = rt.instances.get(name);
      if (inst) rt.dropInstance(inst);
      rt.known.delete(name);
      return;
    }
    if ((connecting as boolean) !== (link.kind === 'inbound')) {
      rt.log.warning(`notify_agent_hello from ${short(name)} says connecting=${connecting ? 'T' : 'F'}, but it came over an ${link.describe()}`);
    }
    if (link.expectedName !== undefined && link.expectedName !== name) {
      rt.log.warning(`agent at ${link.host}:${link.port} checked in as ${short(name)}, expected ${link.expectedName}`);
    }
    if (link.kind === 'inbound' && !link.receives(rt.agents.topicFor(name))) {
      rt.log.warning(`agent ${short(name)} is not subscribed to ${rt.agents.topicFor(name)} and will not receive requests`);
    }
    rt.log.debug(rt.known.has(name) ? `instance ${name} checked in again` : `instance ${name} newly checked in`);
    link.instance = name;
    rt.known.set(name, {
      instance: { name, host: link.host, listen_port: link.kind === 'outbound' ? link.port : null },
      link,
    });
    if (rt.instances.has(name) && !rt.ready.has(name)) rt.sendWelcome(name);
  },

  [A.agent_welcome_response](rt, { reqid, result }, link) {
    const id = reqid as string;
    const res = result as Result;
    rt.log.info(`rx Management::Agent::API::agent_welcome_response ${short(id)}`);
    if (!claim(rt, id, link, A.agent_welcome_request, null)) return;
    // Double-check we still want this agent, otherwise stand it down.
    if (!res.success || res.instance === null || !rt.instances.has(res.instance)) {
      const who = res.instance ?? link.instance ?? link.expectedName;
      if (who !== undefined) rt.sendStandby(who);
      return;
    }
    rt.ready.add(res.instance);
    rt.log.info(`instance ${res.instance} ready`);
    rt.checkInstancesReady();
  },

  [A.agent_standby_response](rt, { reqid }) {
    rt.log.debug(`rx Management::Agent::API::agent_standby_response ${short(reqid as string)}`);
  },

  [A.deploy_response](rt, { reqid, results }, link) {
    const id = reqid as string;
    const checked = checkNodeOutputs(results as Result[]);
    rt.log.info(`rx Management::Agent::API::deploy_response ${short(id)} ${resultVecToString(checked)}`);
    const c = claim(rt, id, link, A.deploy_request, 'deploy');
    if (!c?.parent) return;
    c.parent.results.push(...checked);
    rt.deployResponseArrived(c.parent, c.areq.key, (c.areq.state as { instance: string }).instance);
  },

  [A.get_nodes_response](rt, { reqid, result }, link) {
    const id = reqid as string;
    let res = result as Result;
    if (res.data !== null) {
      const data = res.data;
      if (data.type !== 'vector' && data.type !== 'set') throw new ArgumentError(`${A.get_nodes_response}: result data must be a vector of Management::NodeStatus, got ${data.type}`);
      try {
        res = { ...res, data: B.vec(data.value.map((d, i) => nodeStatusToData(nodeStatusFromData(d, `$.data[${i}]`)))) };
      } catch (err) {
        throw new ArgumentError(`${A.get_nodes_response}: result data is not a vector of Management::NodeStatus: ${(err as Error).message}`);
      }
    }
    rt.log.info(`rx Management::Agent::API::get_nodes_response ${short(id)}`);
    const c = claim(rt, id, link, A.get_nodes_request, 'get_nodes');
    if (!c?.parent || c.parent.state?.kind !== 'get_nodes') return;
    const req = c.parent;
    req.results.push(res);
    (req.state as { requests: Set<string> }).requests.delete(c.areq.key);
    if ((req.state as { requests: Set<string> }).requests.size > 0) return;
    rt.log.info(`tx Management::Controller::API::get_nodes_response ${requestToString(req)}`);
    rt.respond(C.get_nodes_response, [B.str(req.id), resultVecToData(req.results)]);
    rt.requests.finish(req.key);
  },

  [A.node_dispatch_response](rt, { reqid, results }, link) {
    const id = reqid as string;
    const rs = results as Result[];
    rt.log.info(`rx Management::Agent::API::node_dispatch_response ${short(id)}`);
    const areq = rt.requests.lookup(id);
    const parent = areq?.parentId !== undefined ? rt.requests.lookup(areq.parentId) : undefined;
    if (parent?.state?.kind === 'node_dispatch' && parent.state.action[0] === 'get_id_value') {
      rs.forEach((r, i) => {
        if (r.data !== null && r.data.type !== 'string') {
          throw new ArgumentError(`${A.node_dispatch_response}: result ${i + 1} data must be a string (the JSON rendering of the value), got ${r.data.type}`);
        }
      });
    }
    const c = claim(rt, id, link, A.node_dispatch_request, 'node_dispatch');
    if (!c?.parent || c.parent.state?.kind !== 'node_dispatch') return;
    const req = c.parent;
    const state = c.parent.state;
    req.results.push(...rs);
    state.requests.delete(c.areq.key);
    if (state.requests.size > 0) return;
    if (state.action[0] === 'get_id_value') {
      rt.log.info(`tx Management::Controller::API::get_id_value_response ${requestToString(req)}`);
      rt.respond(C.get_id_value_response, [B.str(req.id), resultVecToData(req.results)]);
    } else rt.log.error(`unexpected dispatch command ${state.action[0]}`);
    rt.requests.finish(req.key);
  },

  [A.restart_response](rt, { reqid, results }, link) {
    const id = reqid as string;
    rt.log.info(`rx Management::Agent::API::restart_response ${short(id)}`);
    const c = claim(rt, id, link, A.restart_request, 'restart');
    if (!c?.parent || c.parent.state?.kind !== 'restart') return;
    const req = c.parent;
    const state = c.parent.state;
    req.results.push(...(results as Result[]));
    state.requests.delete(c.areq.key);
    if (state.requests.size > 0) return;
    rt.log.info(`tx Management::Controller::API::restart_response ${requestToString(req)}`);
    rt.respond(C.restart_response, [B.str(req.id), resultVecToData(req.results)]);
    rt.requests.finish(req.key);
  },

  // Ours: what an agent of ours takes beyond Zeek's API (sites, diagnostics), said after its hello.
  [SiteApi.notify_agent_capabilities](rt, { instance, capabilities }, link) {
    const name = instance as string;
    if (link.instance !== name) {
      rt.log.warning(`ignoring capabilities of ${short(name)} from ${link.describe()}: that link checked in as ${link.instance ?? 'nothing yet'}`);
      return;
    }
    rt.log.info(`rx ZeekMgmt::Agent::API::notify_agent_capabilities ${short(name)} [${(capabilities as string[]).map((c) => short(c)).join(', ')}]`);
    rt.sites.capabilities(name, capabilities as string[], link);
    rt.diagnostics.capabilities(name, capabilities as string[], link);
  },

  // Ours: node diagnostics (framework/controller/diagnostics.ts).
  [DiagApi.agent_diagnostics_response](rt, { reqid, result }, link) {
    rt.log.info(`rx ${DiagApi.agent_diagnostics_response} ${short(reqid as string)}`);
    rt.diagnostics.agentResponse(reqid as string, result as BrokerData, link);
  },

  [SiteApi.site_chunk_response](rt, { reqid, result }, link) {
    rt.sites.agentResponse(reqid as string, [B.str(reqid as string), result as BrokerData], link);
  },

  [SiteApi.site_check_response](rt, { reqid, results }, link) {
    rt.sites.agentResponse(reqid as string, [B.str(reqid as string), results as BrokerData], link);
  },

  [SiteApi.site_status_response](rt, { reqid, result }, link) {
    rt.sites.agentResponse(reqid as string, [B.str(reqid as string), result as BrokerData], link);
  },

  // Zeek's controller does not act on these notifications yet; we log them.
  [A.notify_change](rt, { instance, n, old, new: nu }) {
    rt.log.info(`rx Management::Agent::API::notify_change ${short(instance as string)} ${short((n as Node).name)} ${old as State} -> ${nu as State}`);
  },

  [A.notify_error](rt, { instance, msg, node }) {
    rt.log.warning(`rx Management::Agent::API::notify_error ${short(instance as string)}${node ? ` node ${short(node as string)}` : ''}: ${short(msg as string, 2000)}`);
  },

  [A.notify_log](rt, { instance, msg, node }) {
    rt.log.info(`rx Management::Agent::API::notify_log ${short(instance as string)}${node ? ` node ${short(node as string)}` : ''}: ${short(msg as string, 2000)}`);
  },
};
