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
