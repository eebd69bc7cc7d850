// Every setting zeek-mgmt understands, with Zeek's name, type and default and, where the
// documentation defines one, the environment variable that sets it. Names and defaults
// follow policy/frameworks/management/{config,agent/config,controller/config,
// node/config,supervisor/config}.zeek and the Broker/Cluster/Log frameworks.
// Settings marked `node` are globals of cluster nodes too: the Supervisor hands their
// values to every node it launches (as Zeek's nodes load the same scripts), and
// emulated nodes answer get_id_value for them.

import { SettingType, SettingValue } from './types';

export interface SettingDef {
  name: string;
  type: SettingType;
  default: SettingValue;
  /** Environment variable that sets it (documented by Zeek, or ZEEK_MGMT_* for ours). */
  env?: string;
  enumValues?: readonly string[];
  /** A global that cluster nodes see too. */
  node?: boolean;
  doc: string;
}

const tcp = (port: number) => ({ port, proto: 'tcp' as const });
const NO_PORT = { port: 0, proto: 'unknown' as const };

export const NODE_RUNTIMES = ['Management::Agent::AUTO', 'Management::Agent::EMULATED', 'Management::Agent::ZEEK'] as const;

const DEFS: SettingDef[] = [
  // policy/frameworks/management/config.zeek
  { name: 'Management::default_address', type: 'string', default: '0.0.0.0', node: true, doc: 'Fallback listen address of agent and controller.' },
  { name: 'Management::connect_retry', type: 'interval', default: 1, node: true, doc: 'Retry interval for connections to controller and agent.' },
  { name: 'Management::spool_dir', type: 'string', default: '', env: 'ZEEK_MANAGEMENT_SPOOL_DIR', node: true, doc: 'Spool directory; empty means Installation::spool_dir.' },
  { name: 'Management::state_dir', type: 'string', default: '', env: 'ZEEK_MANAGEMENT_STATE_DIR', node: true, doc: 'State directory (nodes/<name> live below it); empty means Installation::state_dir.' },
  { name: 'Management::Request::timeout_interval', type: 'interval', default: 10, doc: 'Request timeout; the agent uses 5 sec unless this is set explicitly.' },

  // Installation (zeek-config --prefix equivalents; relative paths are taken from the working directory).
  { name: 'Installation::state_dir', type: 'string', default: 'var/lib', doc: 'Default state directory.' },
  { name: 'Installation::spool_dir', type: 'string', default: 'spool', doc: 'Default spool directory.' },
  { name: 'Installation::log_dir', type: 'string', default: 'logs', doc: 'Default archive directory for logs.' },

  // policy/frameworks/management/agent/config.zeek
  { name: 'Management::Agent::name', type: 'string', default: '', env: 'ZEEK_AGENT_NAME', node: true, doc: 'Agent name; empty means agent-<hostname>.' },
  { name: 'Management::Agent::stdout_file', type: 'string', default: 'stdout', doc: 'Agent stdout file in its directory.' },
  { name: 'Management::Agent::stderr_file', type: 'string', default: 'stderr', doc: 'Agent stderr file in its directory.' },
  { name: 'Management::Agent::listen_address', type: 'string', default: '', env: 'ZEEK_AGENT_ADDR', node: true, doc: 'Agent listen address; empty means Management::default_address.' },
  { name: 'Management::Agent::listen_port', type: 'string', default: '', env: 'ZEEK_AGENT_PORT', node: true, doc: 'Agent listen port as a string ("2151/tcp"); empty means default_port.' },
  { name: 'Management::Agent::default_port', type: 'port', default: tcp(2151), node: true, doc: 'Fallback agent listen port.' },
  { name: 'Management::Agent::archive_logs', type: 'bool', default: true, doc: 'Whether the agent archives rotated logs.' },
  { name: 'Management::Agent::archive_interval', type: 'interval', default: 0, doc: 'Archival interval; 0 means the log rotation interval.' },
  { name: 'Management::Agent::archive_cmd', type: 'string', default: '', doc: 'Archival command; empty means zeek-archiver.' },
  { name: 'Management::Agent::archive_dir', type: 'string', default: '', doc: 'Archive destination; empty means Installation::log_dir.' },
  { name: 'Management::Agent::topic_prefix', type: 'string', default: 'zeek/management/agent', doc: 'Agent topic prefix.' },
  { name: 'Management::Agent::controller', type: 'network-info', default: { address: '127.0.0.1', bound_port: NO_PORT }, doc: 'Controller to connect to; address 0.0.0.0 means the controller connects to the agent. A port of 0/unknown means the controller\'s own listen port.' },
  { name: 'Management::Agent::directory', type: 'string', default: '', doc: 'Agent working directory below <state_dir>/nodes; empty means the agent name.' },
  { name: 'Management::Agent::node_runtime', type: 'enum', default: 'Management::Agent::AUTO', enumValues: NODE_RUNTIMES, env: 'ZEEK_MGMT_NODE_RUNTIME', doc: 'How cluster nodes run: ZEEK (the zeek binary), EMULATED (emulated nodes), AUTO (zeek when found on PATH).' },
  { name: 'Management::Agent::zeek_binary', type: 'string', default: 'zeek', env: 'ZEEK_MGMT_ZEEK_BINARY', doc: 'The zeek executable for the ZEEK runtime.' },
  // Ours: the site policy (README, "Site policy").
  { name: 'ZeekMgmt::site_keep', type: 'count', default: 3, doc: 'How many sites the controller and each agent keep besides the one in use (older ones are removed).' },
  // Ours: liveness of native Broker links (Broker itself has none; README, "Slow links and partitions").
  { name: 'ZeekMgmt::peer_ping_interval', type: 'interval', default: 2, doc: 'A native Broker link between controller and agent that has been silent this long gets a Broker ping.' },
  { name: 'ZeekMgmt::peer_timeout', type: 'interval', default: 10, doc: 'A native Broker link between controller and agent silent this long is closed (the controller drops the instance, the side that dialed reconnects); 0 sec: never.' },

  // policy/frameworks/management/controller/config.zeek
  { name: 'Management::Controller::name', type: 'string', default: '', env: 'ZEEK_CONTROLLER_NAME', doc: 'Controller name; empty means controller-<hostname>.' },
  { name: 'Management::Controller::stdout_file', type: 'string', default: 'stdout', doc: 'Controller stdout file.' },
  { name: 'Management::Controller::stderr_file', type: 'string', default: 'stderr', doc: 'Controller stderr file.' },
  { name: 'Management::Controller::listen_address', type: 'string', default: '', env: 'ZEEK_CONTROLLER_ADDR', doc: 'Controller listen address for agents.' },
  { name: 'Management::Controller::listen_port', type: 'string', default: '', env: 'ZEEK_CONTROLLER_PORT', doc: 'Controller listen port for agents, as a string.' },
  { name: 'Management::Controller::default_port', type: 'port', default: tcp(2150), doc: 'Fallback controller port for agents.' },
  { name: 'Management::Controller::listen_address_websocket', type: 'string', default: '', env: 'ZEEK_CONTROLLER_WEBSOCKET_ADDR', doc: 'Controller WebSocket listen address for clients.' },
  { name: 'Management::Controller::listen_port_websocket', type: 'string', default: '', env: 'ZEEK_CONTROLLER_WEBSOCKET_PORT', doc: 'Controller WebSocket listen port, as a string.' },
  { name: 'Management::Controller::default_port_websocket', type: 'port', default: tcp(2149), doc: 'Fallback controller WebSocket port.' },
  { name: 'Management::Controller::tls_options_websocket', type: 'websocket-tls-options', default: {}, doc: 'TLS of the controller\'s WebSocket port: off unless $cert_file and $key_file are set; clients must present a certificate when $enable_peer_verification=T (checked against $ca_file, else the default CAs) or, without that field, when $ca_file is set.' },
  { name: 'Management::Controller::auto_assign_broker_ports', type: 'bool', default: true, doc: 'Assign Broker ports to nodes without one.' },
  { name: 'Management::Controller::auto_assign_broker_start_port', type: 'port', default: tcp(2200), doc: 'First auto-assigned Broker port.' },
  { name: 'Management::Controller::auto_assign_metrics_ports', type: 'bool', default: true, doc: 'Assign metrics ports to nodes without one.' },
  { name: 'Management::Controller::auto_assign_metrics_start_port', type: 'port', default: tcp(9000), doc: 'First auto-assigned metrics port.' },
  { name: 'Management::Controller::topic', type: 'string', default: 'zeek/management/controller', doc: 'Controller topic.' },
  { name: 'Management::Controller::directory', type: 'string', default: '', doc: 'Controller working directory below <state_dir>/nodes; empty means the controller name.' },

  // policy/frameworks/management/node/config.zeek
  { name: 'Management::Node::node_topic', type: 'string', default: 'zeek/management/node', node: true, doc: 'Topic of cluster node management events.' },
  { name: 'Management::Node::stdout_file', type: 'string', default: 'stdout', node: true, doc: 'Cluster node stdout file in its directory.' },
  { name: 'Management::Node::stderr_file', type: 'string', default: 'stderr', node: true, doc: 'Cluster node stderr file in its directory.' },

  // policy/frameworks/management/supervisor/config.zeek
  { name: 'Management::Supervisor::topic_prefix', type: 'string', default: 'zeek/management/supervisor', doc: 'Topic of the Supervisor\'s management events.' },
  { name: 'Management::Supervisor::print_stdout', type: 'bool', default: false, doc: 'Echo node stdout on the Supervisor\'s terminal.' },
  { name: 'Management::Supervisor::print_stderr', type: 'bool', default: false, doc: 'Echo node stderr on the Supervisor\'s terminal.' },
  { name: 'Management::Supervisor::output_max_lines', type: 'count', default: 100, doc: 'Lines of stdout/stderr kept per node for notify_node_exit.' },
  { name: 'SupervisorControl::topic_prefix', type: 'string', default: 'zeek/supervisor', doc: 'Topic of SupervisorControl events.' },

  // Broker, Cluster, Log, Telemetry: globals of every node.
  { name: 'Broker::default_port', type: 'port', default: tcp(9999), node: true, doc: 'Broker listen port; the Supervisor listens here (on 127.0.0.1) for its agent.' },
  { name: 'Broker::default_listen_address', type: 'string', default: '127.0.0.1', env: 'ZEEK_DEFAULT_LISTEN_ADDRESS', node: true, doc: 'Broker listen address (the management boot scripts set 127.0.0.1).' },
  { name: 'Broker::default_listen_retry', type: 'interval', default: 1, env: 'ZEEK_DEFAULT_LISTEN_RETRY', node: true, doc: 'Retry interval after a failed listen.' },
  { name: 'Broker::ssl_cafile', type: 'string', default: '', node: true, doc: 'Trusted CA certificates (PEM) for native Broker peerings; with any Broker::ssl_* set, peers must present certificates these CAs signed.' },
  { name: 'Broker::ssl_capath', type: 'string', default: '', node: true, doc: 'A directory of trusted CA certificates for native Broker peerings.' },
  { name: 'Broker::ssl_certificate', type: 'string', default: '', node: true, doc: 'This process\'s certificate (PEM) for native Broker peerings.' },
  { name: 'Broker::ssl_keyfile', type: 'string', default: '', node: true, doc: 'The private key of Broker::ssl_certificate.' },
  { name: 'Broker::ssl_passphrase', type: 'string', default: '', node: true, doc: 'Passphrase of Broker::ssl_keyfile.' },
  { name: 'Broker::disable_ssl', type: 'bool', default: false, node: true, doc: 'Native Broker peerings without TLS; by default they use TLS, anonymous (ECDH) when no certificates are set.' },
  // ZEEK_DEFAULT_CONNECT_RETRY is no source of this setting: as in Zeek, it overrides the
  // interval of every Broker::peer at the time of the call (sdk/transport/connect-retry.ts).
  { name: 'Broker::default_connect_retry', type: 'interval', default: 1, node: true, doc: 'Retry interval of peerings (ZEEK_DEFAULT_CONNECT_RETRY, in whole seconds, overrides the interval of every peering).' },
  { name: 'Cluster::retry_interval', type: 'interval', default: 1, node: true, doc: 'Retry interval of connections between cluster nodes.' },
  { name: 'Cluster::default_store_dir', type: 'string', default: '', node: true, doc: 'Directory of persistent cluster stores.' },
  { name: 'Log::default_rotation_interval', type: 'interval', default: 0, node: true, doc: 'Log rotation interval (loggers default to 1 hr in a cluster).' },
  { name: 'Log::default_rotation_dir', type: 'string', default: '', node: true, doc: 'Rotation directory; empty means <spool_dir>/log-queue under management.' },
  { name: 'Log::enable_local_logging', type: 'bool', default: true, node: true, doc: 'Write logs locally.' },
  { name: 'Log::enable_remote_logging', type: 'bool', default: true, node: true, doc: 'Send logs to loggers.' },
  { name: 'LogAscii::use_json', type: 'bool', default: false, node: true, doc: 'Write JSON logs instead of TSV.' },
  { name: 'LogAscii::separator', type: 'string', default: '\t', node: true, doc: 'Field separator of ASCII logs.' },
  { name: 'LogAscii::set_separator', type: 'string', default: ',', node: true, doc: 'Set separator of ASCII logs.' },
  { name: 'LogAscii::empty_field', type: 'string', default: '(empty)', node: true, doc: 'Empty field marker of ASCII logs.' },
  { name: 'LogAscii::unset_field', type: 'string', default: '-', node: true, doc: 'Unset field marker of ASCII logs.' },
  { name: 'Telemetry::metrics_address', type: 'string', default: '', node: true, doc: 'Metrics listen address; empty means all.' },
];

export const SETTINGS: ReadonlyMap<string, SettingDef> = new Map(DEFS.map((d) => [d.name, d]));

export function settingDef(name: string): SettingDef | undefined {
  return SETTINGS.get(name);
}

/** Names close to an unknown one, for "did you mean" hints. */
export function similarSettings(name: string): string[] {
  const tail = name.split('::').pop()?.toLowerCase() ?? '';
  return DEFS.filter((d) => d.name.toLowerCase().endsWith(`::${tail}`)).map((d) => d.name);
}
