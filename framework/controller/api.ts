// Handlers of Management::Controller::API requests from clients, one per request
// event, with Zeek's behaviour, results and error strings (controller/main.zeek).
// Arguments arrive already decoded and type-checked (arguments.ts).

import { B } from '../../sdk/broker/data';
import { AgentApi, ControllerApi, DiagApi, SiteApi } from '../../sdk/model/events';
import { configurationSite } from '../../sdk/site/apply';
import { siteManifest } from '../../sdk/site/site';
import {
  instanceToData, makeResult, resultToData, resultVecToData,
} from '../../sdk/model/records';
import { Configuration } from '../../sdk/model/schemas';
import { strcmp } from '../../sdk/validation/configuration';
import { ConfigState } from './persistence';
import { requestToString } from './requests';
import { ControllerRuntime } from './runtime';
import { stageConfiguration } from './staging';
import { resultToString, short } from './strings';

/** The most node diagnostics text one get_node_diagnostics_response carries (Broker messages are at most 16 MiB). */
export const DIAGNOSTICS_RESPONSE_BUDGET_BYTES = 8 * 1024 * 1024;

export type ClientRequestHandler = (rt: ControllerRuntime, args: Record<string, unknown>) => void;

const C = ControllerApi;

/** config_filter_nodes_by_name against the deployed configuration; the rest are unknown. */
function splitNodes(rt: ControllerRuntime, nodes: string[]): { known: string[]; unknown: string[] } {
  const names = new Set((rt.configs.get('DEPLOYED')?.nodes ?? []).map((n) => n.name));
  const known = nodes.filter((n) => names.has(n)).sort(strcmp);
  const unknown = nodes.filter((n) => !names.has(n)).sort(strcmp);
  return { known, unknown };
}

export const CLIENT_REQUEST_HANDLERS: Readonly<Record<string, ClientRequestHandler>> = {
  [C.get_instances_request](rt, { reqid }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::get_instances_request ${short(id)}`);
    const insts = [...rt.known.keys()].sort(strcmp).map((n) => instanceToData(rt.known.get(n)!.instance));
    const res = makeResult(id, { data: B.vec(insts) });
    rt.log.info(`tx Management::Controller::API::get_instances_response ${short(id)}`);
    rt.respond(C.get_instances_response, [B.str(id), resultToData(res)]);
  },

  [C.stage_configuration_request](rt, { reqid, config }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::stage_configuration_request ${short(id)}`);
    // A configuration that carries a site (ours) names one the controller holds.
    const site = configurationSite(config as Configuration);
    const siteError = site.error ?? (site.hash !== null && !rt.sites.store.has(site.hash)
      ? `site ${site.hash} is not staged on this controller: send its files first (zeek-mgmt --site DIR)`
      : undefined);
    if (siteError !== undefined) {
      const results = [makeResult(id, { success: false, error: siteError })];
      rt.log.info(`tx Management::Controller::API::stage_configuration_response ${requestToString({ id, results, finished: true })}`);
      rt.respond(C.stage_configuration_response, [B.str(id), resultVecToData(results)]);
      return;
    }
    const outcome = stageConfiguration(config as Configuration, {
      controllerPort: rt.controllerPort(),
      autoAssignBrokerPorts: rt.config.autoAssignBrokerPorts,
      autoAssignBrokerStartPort: rt.config.autoAssignBrokerStartPort,
      autoAssignMetricsPorts: rt.config.autoAssignMetricsPorts,
      autoAssignMetricsStartPort: rt.config.autoAssignMetricsStartPort,
    }, (name) => rt.known.get(name)?.instance.host);
    if (!outcome.ok) {
      const results = outcome.errors.map((e) => makeResult(id, { success: false, error: e }));
      rt.log.info(`tx Management::Controller::API::stage_configuration_response ${requestToString({ id, results, finished: true })}`);
      rt.respond(C.stage_configuration_response, [B.str(id), resultVecToData(results)]);
      return;
    }
    const { staged, ready } = outcome;
    // Success is answered once both are on disk; a failed write is the answer instead,
    // and the previous configurations stay.
    rt.persist({ STAGED: staged, READY: ready }, (error) => {
      const res = error === null ? makeResult(id, { data: B.str(staged.id) }) : makeResult(id, { success: false, error });
      rt.log.info(`tx Management::Controller::API::stage_configuration_response ${resultToString(res)}`);
      rt.respond(C.stage_configuration_response, [B.str(id), resultVecToData([res])]);
    });
  },

  [C.get_configuration_request](rt, { reqid, deployed }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::get_configuration_request ${short(id)}`);
    // After a stage or deploy still being written, this shows its outcome.
    rt.afterWrites(() => {
      const key: ConfigState = deployed ? 'DEPLOYED' : 'STAGED';
      const config = rt.configs.get(key);
      // The configuration's encoded text is made once and reused (configurationForClients).
      const forClients = config ? rt.configurationForClients(config) : null;
      const res = forClients
        ? makeResult(id, { data: forClients.data })
        : makeResult(id, { success: false, error: `no ${key.toLowerCase()} configuration available` });
      rt.log.info(`tx Management::Controller::API::get_configuration_response ${resultToString(res)}`);
      rt.respond(C.get_configuration_response, [B.str(id), resultToData(res)], forClients?.known);
    });
  },

  [C.deploy_request](rt, { reqid }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::deploy_request ${short(id)}`);
    const fail = (error: string): void => {
      const results = [makeResult(id, { success: false, error })];
      rt.log.info(`tx Management::Controller::API::deploy_response ${requestToString({ id, results, finished: false })}`);
      rt.respond(C.deploy_response, [B.str(id), resultVecToData(results)]);
    };
    // What a stage still being written leaves READY is what gets deployed.
    rt.afterWrites(() => {
      const ready = rt.configs.get('READY');
      if (!ready) return fail('no configuration available to deploy');
      // At the moment there can only be one pending deployment.
      if (rt.pendingDeploy !== '') return fail(`earlier deployment ${short(rt.requests.lookup(rt.pendingDeploy)?.id ?? rt.pendingDeploy)} still pending`);
      const req = rt.requests.create(id, { kind: 'deploy', config: ready, isInternal: false, requests: new Set() });
      rt.deploy(req);
      // Deploys to the agents now if all are ready (via notify_agents_ready).
      rt.checkInstancesReady();
    });
  },

  [C.get_nodes_request](rt, { reqid }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::get_nodes_request ${short(id)}`);
    if (rt.known.size === 0) {
      rt.log.info(`tx Management::Controller::API::get_nodes_response ${short(id)}`);
      const res = makeResult(id, { success: false, error: 'no instances connected' });
      rt.respond(C.get_nodes_response, [B.str(id), resultVecToData([res])]);
      return;
    }
    const req = rt.requests.create(id, { kind: 'get_nodes', requests: new Set() });
    // Ours: instances of the cluster whose agent is not connected are named (Zeek leaves
    // them out), so that a cut-off sensor shows as such rather than as absent.
    for (const name of [...rt.instances.keys()].sort(strcmp)) {
      if (!rt.known.has(name)) req.results.push(makeResult(id, { success: false, instance: name, error: `instance '${short(name)}' is not connected` }));
    }
    for (const name of [...rt.known.keys()].sort(strcmp)) {
      const areq = rt.requests.create(undefined, { kind: 'agent', instance: name, event: AgentApi.get_nodes_request }, req.key);
      if (req.state?.kind === 'get_nodes') req.state.requests.add(areq.key);
      rt.log.info(`tx Management::Agent::API::get_nodes_request ${areq.id} to ${name}`);
      rt.sendToAgent(name, AgentApi.get_nodes_request, [B.str(areq.id)]);
    }
  },

  [C.get_id_value_request](rt, { reqid, id: ident, nodes }) {
    const id = reqid as string;
    const idName = ident as string;
    rt.log.info(`rx Management::Controller::API::get_id_value_request ${short(id)} ${short(idName)}`);
    // Special case: without a deployed cluster, respond right away.
    if (rt.instances.size === 0) {
      rt.log.info(`tx Management::Controller::API::get_id_value_response ${short(id)}`);
      const res = makeResult(id, { success: false, error: 'no cluster deployed' });
      rt.respond(C.get_id_value_response, [B.str(id), resultVecToData([res])]);
      return;
    }
    const action = ['get_id_value', idName];
    const req = rt.requests.create(id, { kind: 'node_dispatch', action, requests: new Set() });
    let final: string[] = [];
    const requested = nodes as string[];
    if (requested.length > 0) {
      const split = splitNodes(rt, requested);
      final = split.known;
      for (const node of split.unknown) req.results.push(makeResult(id, { success: false, error: 'unknown cluster node', node }));
      if (final.length === 0) {
        rt.log.info(`tx Management::Controller::API::get_id_value_response ${requestToString(req)}`);
        rt.respond(C.get_id_value_response, [B.str(id), resultVecToData(req.results)]);
        rt.requests.finish(req.key);
        return;
      }
    }
    for (const name of [...rt.instances.keys()].sort(strcmp)) {
      if (!rt.ready.has(name)) continue;
      const areq = rt.requests.create(undefined, { kind: 'agent', instance: name, event: AgentApi.node_dispatch_request }, req.key);
      if (req.state?.kind === 'node_dispatch') req.state.requests.add(areq.key);
      rt.log.info(`tx Management::Agent::API::node_dispatch_request ${areq.id} [${action.map((a) => short(a)).join(', ')}] to ${name}`);
      rt.sendToAgent(name, AgentApi.node_dispatch_request, [B.str(areq.id), B.vec(action.map(B.str)), B.set(final.map(B.str))]);
    }
  },

  [C.restart_request](rt, { reqid, nodes }) {
    const id = reqid as string;
    const requested = nodes as string[];
    rt.log.info(`rx Management::Controller::API::restart_request ${short(id)} [${requested.slice().sort(strcmp).map((n) => short(n)).join(', ')}]`);
    const req = rt.requests.create(id, { kind: 'restart', requests: new Set() });
    const fail = (error: string): void => {
      req.results.push(makeResult(id, { success: false, error }));
      rt.log.info(`tx Management::Controller::API::restart_response ${requestToString(req)}`);
      rt.respond(C.restart_response, [B.str(id), resultVecToData(req.results)]);
      rt.requests.finish(req.key);
    };
    if (rt.known.size === 0) return fail('no instances connected');
    if (!rt.configs.has('DEPLOYED')) return fail('no active cluster deployment');
    if (requested.length > 0) {
      const split = splitNodes(rt, requested);
      for (const node of split.unknown) req.results.push(makeResult(id, { success: false, error: 'unknown cluster node', node }));
      if (split.known.length === 0) {
        rt.log.info(`tx Management::Controller::API::restart_response ${requestToString(req)}`);
        rt.respond(C.restart_response, [B.str(id), resultVecToData(req.results)]);
        rt.requests.finish(req.key);
        return;
      }
    }
    // As Zeek does, the agents get the requested set; they skip nodes they do not run.
    for (const name of [...rt.instances.keys()].sort(strcmp)) {
      if (!rt.ready.has(name)) continue;
      const areq = rt.requests.create(undefined, { kind: 'agent', instance: name, event: AgentApi.restart_request }, req.key);
      if (req.state?.kind === 'restart') req.state.requests.add(areq.key);
      rt.log.info(`tx Management::Agent::API::restart_request ${areq.id} to ${name}`);
      rt.sendToAgent(name, AgentApi.restart_request, [B.str(areq.id), B.set(requested.map(B.str))]);
    }
  },

  [C.test_timeout_request](rt, { reqid, with_state }) {
    const id = reqid as string;
    rt.log.info(`rx Management::Controller::API::test_timeout_request ${short(id)} ${with_state ? 'T' : 'F'}`);
    // The state times out and triggers the response (runtime.requestExpired).
    if (with_state) rt.requests.create(id, { kind: 'test' });
  },

  // Ours: the site policy (framework/controller/site.ts).
  [SiteApi.stage_site_request](rt, { reqid, hash, index, total, data }) {
    const id = reqid as string;
    rt.log.debug(`rx ZeekMgmt::Controller::API::stage_site_request ${short(id)} ${short(hash as string)} ${index as number}/${total as number}`);
    const res = rt.sites.stageChunk(id, hash as string, index as number, total as number, data as string);
    rt.respond(SiteApi.stage_site_response, [B.str(id), resultToData(res)]);
  },

  [SiteApi.get_site_request](rt, { reqid, hash }) {
    const id = reqid as string;
    const h = hash as string;
    rt.log.info(`rx ZeekMgmt::Controller::API::get_site_request ${short(id)} ${short(h)}`);
    let res;
    try {
      res = makeResult(id, { data: B.str(JSON.stringify(siteManifest(rt.sites.store.read(h)))) });
    } catch (err) {
      res = makeResult(id, { success: false, error: `site ${short(h)} is not available on the controller: ${(err as Error).message}` });
    }
    rt.respond(SiteApi.get_site_response, [B.str(id), resultToData(res)]);
  },

  [SiteApi.get_site_status_request](rt, { reqid }) {
    const id = reqid as string;
    rt.log.info(`rx ZeekMgmt::Controller::API::get_site_status_request ${short(id)}`);
    const deployed = rt.configs.get('DEPLOYED');
    const hash = deployed ? configurationSite(deployed).hash : null;
    const names = (deployed?.instances ?? []).map((i) => i.name).filter((n) => rt.known.has(n)).sort(strcmp);
    const missing = (deployed?.instances ?? []).map((i) => i.name).filter((n) => !rt.known.has(n)).sort(strcmp);
    void rt.sites.status(hash, names).then((rs) => {
      const results = [
        ...rs.map((r) => ({ ...r, reqid: id })),
        ...missing.map((n) => makeResult(id, { success: false, instance: n, error: `instance '${n}' is not connected` })),
      ];
      rt.respond(SiteApi.get_site_status_response, [B.str(id), resultVecToData(results)]);
    });
  },

  // Ours: node diagnostics (framework/controller/diagnostics.ts). Every connected instance
  // is asked, and every instance of the deployed configuration that is not connected is
  // named; a node asked for that no instance reports is an unknown cluster node (only when
  // every instance answered: otherwise it may be on one that did not).
  [DiagApi.get_node_diagnostics_request](rt, { reqid, nodes }) {
    const id = reqid as string;
    const requested = [...new Set(nodes as string[])].sort(strcmp);
    rt.log.info(`rx ${DiagApi.get_node_diagnostics_request} ${short(id)} [${requested.map((n) => short(n)).join(', ')}]`);
    const deployed = (rt.configs.get('DEPLOYED')?.instances ?? []).map((i) => i.name);
    const connected = [...rt.known.keys()].sort(strcmp);
    const missing = deployed.filter((n) => !rt.known.has(n)).sort(strcmp);
    if (connected.length === 0 && missing.length === 0) {
      rt.respond(DiagApi.get_node_diagnostics_response, [B.str(id), resultVecToData([makeResult(id, { success: false, error: 'no instances connected' })])]);
      return;
    }
    void rt.diagnostics.gather(connected, requested).then((gathered) => {
      // The response must fit one Broker message (16 MiB); each answer is at most 2 MiB.
      let room = DIAGNOSTICS_RESPONSE_BUDGET_BYTES;
      const rs = gathered.map((r) => {
        const size = r.data?.type === 'string' ? Buffer.byteLength(r.data.value) : 0;
        if (size <= room) {
          room -= size;
          return r;
        }
        return makeResult(id, { success: false, instance: r.instance, error: `instance '${r.instance}': its node diagnostics (${size} bytes) do not fit in this answer beside the other instances'; ask for its nodes by name` });
      });
      const results = [
        ...rs.map((r) => ({ ...r, reqid: id })),
        ...missing.map((n) => makeResult(id, { success: false, instance: n, error: `instance '${n}' is not connected` })),
      ];
      if (requested.length > 0 && results.every((r) => r.success)) {
        const seen = new Set<string>();
        for (const r of results) {
          if (r.data?.type === 'string') for (const d of JSON.parse(r.data.value) as Array<{ node: string }>) seen.add(d.node);
        }
        for (const n of requested) if (!seen.has(n)) results.push(makeResult(id, { success: false, error: 'unknown cluster node', node: n }));
      }
      rt.log.info(`tx ${DiagApi.get_node_diagnostics_response} ${requestToString({ id, results, finished: true })}`);
      rt.respond(DiagApi.get_node_diagnostics_response, [B.str(id), resultVecToData(results)]);
    });
  },

  [C.test_noop_request](rt, { reqid }) {
    rt.log.info(`rx Management::Controller::API::test_noop_request ${short(reqid as string)}`);
  },
};
