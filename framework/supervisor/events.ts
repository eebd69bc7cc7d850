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
