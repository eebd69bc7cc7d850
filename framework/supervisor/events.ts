// Event names of Zeek's Supervisor control API (base/frameworks/supervisor/control.zeek).

const S = 'SupervisorControl::';

export const SupervisorControl = {
  create_request: `${S}create_request`,
  create_response: `${S}create_response`,
  status_request: `${S}status_request`,
  status_response: `${S}status_response`,
  restart_request: `${S}restart_request`,
  restart_response: `${S}restart_response`,
  destroy_request: `${S}destroy_request`,
  destroy_response: `${S}destroy_response`,
  stop_request: `${S}stop_request`,
  node_status: `${S}node_status`,
} as const;

// Ours, between our agent and our Supervisor only (a Zeek agent talks to its own
// Supervisor, a Zeek Supervisor to its own agent). Zeek's create_request and
// status_response carry the whole cluster layout once per node, O(nodes²) on this link
// for every deployment and every get_nodes; these let our agent send a deployment's layout
// once and ask for a status whose NodeConfigs hold only each node's own endpoint (all it
// reads of them). Our Supervisor answers Zeek's requests as before.
const Z = 'ZeekMgmt::SupervisorControl::';

export const ZeekMgmtSupervisorControl = {
  /** hello_request(reqid) → hello_response(reqid, vector of capability strings). */
  hello_request: `${Z}hello_request`,
  hello_response: `${Z}hello_response`,
  /** layout_request(reqid, layout_id, cluster: table[string] of ClusterEndpoint) → layout_response(reqid, error or ''). */
  layout_request: `${Z}layout_request`,
  layout_response: `${Z}layout_response`,
  /** create_request(reqid, NodeConfig without its cluster, layout_id) → SupervisorControl::create_response(reqid, error or ''). */
  create_request: `${Z}create_request`,
  /** status_request(reqid, node) → SupervisorControl::status_response(reqid, Status), each NodeConfig's cluster holding only its own endpoint. */
  status_request: `${Z}status_request`,
} as const;

/** What our Supervisor announces in hello_response: layouts sent once, statuses with own endpoints only. */
export const SUPERVISOR_LAYOUTS_CAPABILITY = 'layouts-v1';
