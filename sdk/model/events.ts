// Names of the Management framework's events, as Zeek declares them in
// controller/api.zeek, agent/api.zeek, node/api.zeek and supervisor/api.zeek.

const C = 'Management::Controller::API::';
const A = 'Management::Agent::API::';
const N = 'Management::Node::API::';
const S = 'Management::Supervisor::API::';

export const ControllerApi = {
  version: 1,
  get_instances_request: `${C}get_instances_request`,
  get_instances_response: `${C}get_instances_response`,
  stage_configuration_request: `${C}stage_configuration_request`,
  stage_configuration_response: `${C}stage_configuration_response`,
  get_configuration_request: `${C}get_configuration_request`,
  get_configuration_response: `${C}get_configuration_response`,
  deploy_request: `${C}deploy_request`,
  deploy_response: `${C}deploy_response`,
  get_nodes_request: `${C}get_nodes_request`,
  get_nodes_response: `${C}get_nodes_response`,
  get_id_value_request: `${C}get_id_value_request`,
  get_id_value_response: `${C}get_id_value_response`,
  restart_request: `${C}restart_request`,
  restart_response: `${C}restart_response`,
  test_timeout_request: `${C}test_timeout_request`,
  test_timeout_response: `${C}test_timeout_response`,
  test_noop_request: `${C}test_noop_request`,
  notify_agents_ready: `${C}notify_agents_ready`,
} as const;

export const AgentApi = {
  version: 1,
  deploy_request: `${A}deploy_request`,
  deploy_response: `${A}deploy_response`,
  get_nodes_request: `${A}get_nodes_request`,
  get_nodes_response: `${A}get_nodes_response`,
  node_dispatch_request: `${A}node_dispatch_request`,
  node_dispatch_response: `${A}node_dispatch_response`,
  agent_welcome_request: `${A}agent_welcome_request`,
  agent_welcome_response: `${A}agent_welcome_response`,
  agent_standby_request: `${A}agent_standby_request`,
  agent_standby_response: `${A}agent_standby_response`,
  restart_request: `${A}restart_request`,
  restart_response: `${A}restart_response`,
  notify_agent_hello: `${A}notify_agent_hello`,
  notify_change: `${A}notify_change`,
  notify_error: `${A}notify_error`,
  notify_log: `${A}notify_log`,
} as const;

export const NodeApi = {
  node_dispatch_request: `${N}node_dispatch_request`,
  node_dispatch_response: `${N}node_dispatch_response`,
  notify_node_hello: `${N}notify_node_hello`,
} as const;

export const SupervisorApi = {
  notify_node_exit: `${S}notify_node_exit`,
} as const;

/** Events a WebSocket client may send to the controller. */
export const CONTROLLER_REQUESTS: ReadonlySet<string> = new Set([
  ControllerApi.get_instances_request,
  ControllerApi.stage_configuration_request,
  ControllerApi.get_configuration_request,
  ControllerApi.deploy_request,
  ControllerApi.get_nodes_request,
  ControllerApi.get_id_value_request,
  ControllerApi.restart_request,
  ControllerApi.test_timeout_request,
  ControllerApi.test_noop_request,
]);

// Ours, beside Zeek's: the site policy (ARCHITECTURE.md, "Site policy"). A namespace of
// their own, so Zeek's controller and agents, which drop events they have no handler for,
// and zeek-client, which subscribes only to the controller topic's responses it awaits,
// are unaffected.
const ZC = 'ZeekMgmt::Controller::API::';
const ZA = 'ZeekMgmt::Agent::API::';

export const SiteApi = {
  /** Client → controller: (reqid, hash, index, total, data base64); answered per chunk. */
  stage_site_request: `${ZC}stage_site_request`,
  /** (reqid, Result): data "complete" once the site is stored, "more" before. */
  stage_site_response: `${ZC}stage_site_response`,
  /** Client → controller: (reqid); each capable agent reports the site on its disk. */
  get_site_status_request: `${ZC}get_site_status_request`,
  /** (reqid, vector of Result): per instance, data the JSON text of {hash, state, detail}. */
  get_site_status_response: `${ZC}get_site_status_response`,
  /** Client → controller: (reqid, hash); the files of a stored site. */
  get_site_request: `${ZC}get_site_request`,
  /** (reqid, Result): data the JSON text of {path: sha256 of its content}. */
  get_site_response: `${ZC}get_site_response`,
  /** Agent → controller, after notify_agent_hello: (instance, capabilities). */
  notify_agent_capabilities: `${ZA}notify_agent_capabilities`,
  /** Controller → agent: (reqid, hash, index, total, data base64). */
  site_chunk_request: `${ZA}site_chunk_request`,
  /** (reqid, Result): data "complete" or "more". */
  site_chunk_response: `${ZA}site_chunk_response`,
  /** Controller → agent: (reqid, hash, config); parse the site as this instance's nodes load it. */
  site_check_request: `${ZA}site_check_request`,
  /** (reqid, vector of Result): success with data "checked: ..." or "not checked: ...", or one failure per error. */
  site_check_response: `${ZA}site_check_response`,
  /** Controller → agent: (reqid, hash). */
  site_status_request: `${ZA}site_status_request`,
  /** (reqid, Result): data the JSON text of {hash, state, detail}. */
  site_status_response: `${ZA}site_status_response`,
} as const;

/** The capability an agent announces when it takes sites. */
export const SITE_CAPABILITY = 'site-v1';

// Ours, beside Zeek's: node diagnostics, as ZeekControl's `diag` gives them (ARCHITECTURE.md,
// "Node diagnostics"). Request/response with a reqid, like Zeek's get_nodes; the data travels
// as the JSON text of NodeDiagnostics records (sdk/model/diagnostics.ts) so that no Zeek
// record layout changes.
const ZS = 'ZeekMgmt::Supervisor::API::';

export const DiagApi = {
  /** Client → controller: (reqid, nodes: set of string, empty = all). */
  get_node_diagnostics_request: `${ZC}get_node_diagnostics_request`,
  /**
   * (reqid, vector of Result): one per instance asked, data the JSON text of that instance's
   * NodeDiagnostics list, or success=F with an error naming the instance; one per unknown node.
   */
  get_node_diagnostics_response: `${ZC}get_node_diagnostics_response`,
  /** Controller → agent: (reqid, nodes: set of string, empty = all). */
  agent_diagnostics_request: `${ZA}get_node_diagnostics_request`,
  /** (reqid, Result): data the JSON text of the instance's NodeDiagnostics list. */
  agent_diagnostics_response: `${ZA}get_node_diagnostics_response`,
  /** Agent → its Supervisor: (reqid, node, '' = all). */
  supervisor_diagnostics_request: `${ZS}get_node_diagnostics_request`,
  /** (reqid, string): the JSON text of the Supervisor's NodeDiagnostics list. */
  supervisor_diagnostics_response: `${ZS}get_node_diagnostics_response`,
} as const;

/** The capability an agent announces when it answers DiagApi.agent_diagnostics_request. */
export const DIAG_CAPABILITY = 'diag-v1';
