// The controller's settings: Zeek's Management::Controller::* (controller/config.zeek),
// the shared Management::* ones (config.zeek, request.zeek, log.zeek) and the few
// that exist only here (message size limit, handshake timeout, log file name).
//
// Precedence, as in Zeek: an explicit override (the JSON settings given to main.js or
// to controllerConfigFromEnv), else the environment variable Zeek reads, else the
// default. Overrides may use the field names below or Zeek's fully qualified names,
// e.g. {"Management::Controller::auto_assign_broker_ports": false}.

import * as os from 'node:os';
import * as path from 'node:path';
import { TOPICS } from '../../sdk/transport/topics';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** TLS for the WebSocket port (Management::Controller::tls_options_websocket). Off when absent. */
export interface ControllerTlsConfig {
  /** Cluster::WebSocketTLSOptions$cert_file */
  certFile: string;
  /** Cluster::WebSocketTLSOptions$key_file */
  keyFile: string;
  /** Cluster::WebSocketTLSOptions$ca_file: the CAs client certificates are checked against. */
  caFile?: string;
  /**
   * Cluster::WebSocketTLSOptions$enable_peer_verification: clients must present a
   * certificate (signed by caFile, else by one of the default CAs). When not given, as
   * before: required exactly when caFile is set.
   */
  enablePeerVerification?: boolean;
  /** Cluster::WebSocketTLSOptions$ciphers (OpenSSL cipher list); empty: the defaults. */
  ciphers?: string;
  /** Passphrase of the key file, if encrypted. */
  passphrase?: string;
}

export interface ControllerConfig {
  /** Management::Controller::name (ZEEK_CONTROLLER_NAME); default "controller-<hostname>". */
  name: string;
  /** Management::default_address: fallback listen address ("0.0.0.0"). */
  defaultAddress: string;
  /** Management::Controller::listen_address (ZEEK_CONTROLLER_ADDR): where agents connect. */
  listenAddress: string;
  /**
   * Management::Controller::listen_port (ZEEK_CONTROLLER_PORT), else
   * Management::Controller::default_port (2150): the port agents connect to.
   * 0 picks a free port (for tests); null does not listen (Zeek's 0/unknown).
   */
  listenPort: number | null;
  /** Management::Controller::listen_address_websocket (ZEEK_CONTROLLER_WEBSOCKET_ADDR). */
  listenAddressWebsocket: string;
  /**
   * Management::Controller::listen_port_websocket (ZEEK_CONTROLLER_WEBSOCKET_PORT), else
   * Management::Controller::default_port_websocket (2149): the port clients connect to.
   * 0 picks a free port; null does not listen.
   */
  listenPortWebsocket: number | null;
  /** Management::Controller::tls_options_websocket; undefined = plain ws:// (Zeek's default). */
  tlsWebsocket?: ControllerTlsConfig;
  /** Management::Controller::auto_assign_broker_ports (T). */
  autoAssignBrokerPorts: boolean;
  /** Management::Controller::auto_assign_broker_start_port (2200/tcp). */
  autoAssignBrokerStartPort: number;
  /** Management::Controller::auto_assign_metrics_ports (T). */
  autoAssignMetricsPorts: boolean;
  /** Management::Controller::auto_assign_metrics_start_port (9000/tcp). */
  autoAssignMetricsStartPort: number;
  /** Management::Controller::topic ("zeek/management/controller"). */
  topic: string;
  /** Management::Agent::topic_prefix ("zeek/management/agent"). */
  agentTopicPrefix: string;
  /**
   * Management::Controller::directory: the controller's working directory, where the
   * management log and the stdout/stderr files go. Default: the process's cwd.
   */
  directory: string;
  /** Management::Controller::stdout_file ("stdout"); "" for none. Used when writeOutputFiles is set. */
  stdoutFile: string;
  /** Management::Controller::stderr_file ("stderr"); "" for none. */
  stderrFile: string;
  /**
   * When true the controller itself writes its console output to <directory>/<stdout_file>
   * and <directory>/<stderr_file> (appending). When false it writes to the process's
   * stdout/stderr, which a supervisor may redirect into those files. Not a Zeek setting.
   */
  writeOutputFiles: boolean;
  /** Management::state_dir (ZEEK_MANAGEMENT_STATE_DIR); default the working directory. */
  stateDir: string;
  /** File holding the persisted configurations; default <state_dir>/controller/state.json. */
  stateFile: string;
  /** Management::Request::timeout_interval (10 s), in milliseconds. */
  requestTimeoutMs: number;
  /** Management::connect_retry (1 s), in milliseconds: retry interval for agents we connect to. */
  connectRetryMs: number;
  /** Broker::disable_ssl (F): connect to agents over plain TCP instead of Broker's anonymous TLS. */
  disableSsl: boolean;
  /**
   * Broker::ssl_cafile, ssl_capath, ssl_certificate, ssl_keyfile and ssl_passphrase ("" each):
   * with any of them set, native agent links use TLS with certificates, verified on both sides.
   */
  sslCafile: string;
  sslCapath: string;
  sslCertificate: string;
  sslKeyfile: string;
  sslPassphrase: string;
  /** Management::Log::level (INFO). */
  logLevel: LogLevel;
  /** Name of the management log (JSON lines) in `directory`. Not a Zeek setting. */
  logFile: string;
  /** Largest accepted WebSocket message in bytes (16 MiB). Not a Zeek setting. */
  maxMessageBytes: number;
  /** A peer that does not send its subscriptions within this time is closed (10 s). Not a Zeek setting. */
  handshakeTimeoutMs: number;
  /** ZeekMgmt::site_keep (ours, 3): staged sites kept besides the newest. */
  siteKeep: number;
  /** ZeekMgmt::peer_ping_interval (ours, 2 s), in ms: a native agent link silent this long gets a Broker ping. */
  peerPingIntervalMs: number;
  /** ZeekMgmt::peer_timeout (ours, 10 s), in ms: a native agent link silent this long is closed, its instance dropped; 0: never. */
  peerTimeoutMs: number;
}

/** Zeek's fully qualified setting names, as accepted in overrides. */
export const ZEEK_SETTING_NAMES: Readonly<Record<string, keyof ControllerConfig>> = {
  'Management::Controller::name': 'name',
  'Management::default_address': 'defaultAddress',
  'Management::Controller::listen_address': 'listenAddress',
  'Management::Controller::listen_port': 'listenPort',
  'Management::Controller::listen_address_websocket': 'listenAddressWebsocket',
  'Management::Controller::listen_port_websocket': 'listenPortWebsocket',
  'Management::Controller::tls_options_websocket': 'tlsWebsocket',
  'Management::Controller::auto_assign_broker_ports': 'autoAssignBrokerPorts',
  'Management::Controller::auto_assign_broker_start_port': 'autoAssignBrokerStartPort',
  'Management::Controller::auto_assign_metrics_ports': 'autoAssignMetricsPorts',
  'Management::Controller::auto_assign_metrics_start_port': 'autoAssignMetricsStartPort',
  'Management::Controller::topic': 'topic',
  'Management::Agent::topic_prefix': 'agentTopicPrefix',
  'Management::Controller::directory': 'directory',
  'Management::Controller::stdout_file': 'stdoutFile',
  'Management::Controller::stderr_file': 'stderrFile',
  'Management::state_dir': 'stateDir',
  'Management::Request::timeout_interval': 'requestTimeoutMs',
  'Management::connect_retry': 'connectRetryMs',
  'Broker::disable_ssl': 'disableSsl',
  'Broker::ssl_cafile': 'sslCafile',
  'Broker::ssl_capath': 'sslCapath',
  'Broker::ssl_certificate': 'sslCertificate',
  'Broker::ssl_keyfile': 'sslKeyfile',
  'Broker::ssl_passphrase': 'sslPassphrase',
  'Management::Log::level': 'logLevel',
  'ZeekMgmt::site_keep': 'siteKeep',
  'ZeekMgmt::peer_ping_interval': 'peerPingIntervalMs',
  'ZeekMgmt::peer_timeout': 'peerTimeoutMs',
};

export const CONTROLLER_DEFAULTS = {
  defaultAddress: '0.0.0.0',
  listenPort: 2150,
  listenPortWebsocket: 2149,
  autoAssignBrokerPorts: true,
  autoAssignBrokerStartPort: 2200,
  autoAssignMetricsPorts: true,
  autoAssignMetricsStartPort: 9000,
  requestTimeoutMs: 10_000,
  connectRetryMs: 1_000,
  logLevel: 'INFO' as LogLevel,
  logFile: 'management.log',
  stdoutFile: 'stdout',
  stderrFile: 'stderr',
  maxMessageBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  peerPingIntervalMs: 2_000,
  peerTimeoutMs: 10_000,
} as const;

export class ControllerConfigError extends Error {
  override readonly name = 'ControllerConfigError';
}

/**
 * Parses a port as Zeek's to_port() would from an env var: "2150", "2150/tcp"; "0/unknown"
 * (or "none") means "do not listen"; "0" picks a free port.
 */
export function parsePortSetting(value: unknown, what: string): number | null {
  if (value === null || value === false) return null;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 65535) return value;
    throw new ControllerConfigError(`${what}: ${value} is not a port number (0-65535)`);
  }
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'none' || v === '0/unknown') return null;
    const m = /^(\d{1,5})(?:\/tcp)?$/.exec(v);
    if (m && Number(m[1]) <= 65535) return Number(m[1]);
    throw new ControllerConfigError(`${what}: "${value}" is not a TCP port (expected e.g. 2150 or 2150/tcp)`);
  }
  throw new ControllerConfigError(`${what}: expected a port, got ${typeof value}`);
}

function parseBool(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['t', 'true', '1', 'yes', 'on'].includes(v)) return true;
    if (['f', 'false', '0', 'no', 'off'].includes(v)) return false;
  }
  throw new ControllerConfigError(`${what}: expected a boolean (T/F), got ${JSON.stringify(value)}`);
}

/** Intervals: a number of milliseconds, or a Zeek interval string such as "10 sec", "500 msec", "1 min". */
export function parseIntervalMs(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(usecs?|msecs?|ms|secs?|s|mins?|hrs?|days?)?\s*$/.exec(value);
    if (m) {
      const n = Number(m[1]);
      const unit = (m[2] ?? 'ms').replace(/s$/, '');
      const factor: Record<string, number> = { usec: 0.001, msec: 1, m: 1, sec: 1000, '': 1000, min: 60_000, hr: 3_600_000, day: 86_400_000 };
      const f = unit === 'ms' ? 1 : factor[unit];
      if (f !== undefined && n > 0) return n * f;
    }
  }
  throw new ControllerConfigError(`${what}: expected a positive interval (milliseconds or e.g. "10 sec"), got ${JSON.stringify(value)}`);
}

/** Like parseIntervalMs, and 0 (or "0 sec") for "off". */
function parseIntervalOrZeroMs(value: unknown, what: string): number {
  if (value === 0 || (typeof value === 'string' && /^\s*0+(?:\.0+)?\s*[a-z]*\s*$/.test(value))) return 0;
  return parseIntervalMs(value, what);
}

function parseString(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new ControllerConfigError(`${what}: expected a string, got ${JSON.stringify(value)}`);
}

function parsePositiveInt(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n;
  throw new ControllerConfigError(`${what}: expected a positive whole number, got ${JSON.stringify(value)}`);
}

function parseStartPort(value: unknown, what: string): number {
  const p = parsePortSetting(value, what);
  if (p === null || p === 0) throw new ControllerConfigError(`${what}: a start port must be between 1 and 65535`);
  return p;
}

function parseLevel(value: unknown, what: string): LogLevel {
  const v = typeof value === 'string' ? value.replace(/^Management::Log::/, '').toUpperCase() : value;
  if (v === 'DEBUG' || v === 'INFO' || v === 'WARNING' || v === 'ERROR') return v;
  throw new ControllerConfigError(`${what}: expected DEBUG, INFO, WARNING or ERROR, got ${JSON.stringify(value)}`);
}

function parseTls(value: unknown, what: string): ControllerTlsConfig | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (typeof value !== 'object') throw new ControllerConfigError(`${what}: expected an object with certFile and keyFile`);
  const o = value as Record<string, unknown>;
  // Accept Zeek's Cluster::WebSocketTLSOptions field names too.
  const cert = o.certFile ?? o.cert_file;
  const key = o.keyFile ?? o.key_file;
  const ca = o.caFile ?? o.ca_file;
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== 'string' || cert === '' || typeof key !== 'string' || key === '') {
    throw new ControllerConfigError(`${what}: TLS needs both certFile (cert_file) and keyFile (key_file)`);
  }
  if (ca !== undefined && ca !== '' && typeof ca !== 'string') throw new ControllerConfigError(`${what}: caFile must be a path`);
  const tls: ControllerTlsConfig = { certFile: cert, keyFile: key };
  if (typeof ca === 'string' && ca !== '' && ca !== 'NONE') tls.caFile = ca;
  if (typeof o.passphrase === 'string' && o.passphrase !== '') tls.passphrase = o.passphrase;
  const verify = o.enablePeerVerification ?? o.enable_peer_verification;
  if (verify !== undefined) {
    if (typeof verify !== 'boolean') throw new ControllerConfigError(`${what}: enablePeerVerification (enable_peer_verification) must be true or false`);
    tls.enablePeerVerification = verify;
  }
  const ciphers = o.ciphers;
  if (ciphers !== undefined && typeof ciphers !== 'string') throw new ControllerConfigError(`${what}: ciphers must be a string`);
  if (ciphers) tls.ciphers = ciphers;
  return tls;
}

/** Whether clients of the WebSocket port must present a certificate. */
export function requiresClientCertificates(tls: ControllerTlsConfig | undefined): boolean {
  return tls !== undefined && (tls.enablePeerVerification ?? tls.caFile !== undefined);
}

const PARSERS: { [K in keyof ControllerConfig]-?: (v: unknown, what: string) => ControllerConfig[K] } = {
  name: parseString,
  defaultAddress: parseString,
  listenAddress: parseString,
  listenPort: parsePortSetting,
  listenAddressWebsocket: parseString,
  listenPortWebsocket: parsePortSetting,
  tlsWebsocket: parseTls,
  autoAssignBrokerPorts: parseBool,
  autoAssignBrokerStartPort: parseStartPort,
  autoAssignMetricsPorts: parseBool,
  autoAssignMetricsStartPort: parseStartPort,
  topic: parseString,
  agentTopicPrefix: parseString,
  directory: parseString,
  stdoutFile: parseString,
  stderrFile: parseString,
  writeOutputFiles: parseBool,
  stateDir: parseString,
  stateFile: parseString,
  requestTimeoutMs: parseIntervalMs,
  connectRetryMs: parseIntervalMs,
  disableSsl: parseBool,
  sslCafile: parseString,
  sslCapath: parseString,
  sslCertificate: parseString,
  sslKeyfile: parseString,
  sslPassphrase: parseString,
  logLevel: parseLevel,
  logFile: parseString,
  maxMessageBytes: parsePositiveInt,
  handshakeTimeoutMs: parseIntervalMs,
  siteKeep: parsePositiveInt,
  peerPingIntervalMs: parseIntervalMs,
  peerTimeoutMs: parseIntervalOrZeroMs,
};

/** Normalizes overrides keyed by field name or Zeek name into checked field values. */
export function parseOverrides(overrides: Record<string, unknown>): Partial<ControllerConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const field = (ZEEK_SETTING_NAMES[key] ?? key) as keyof ControllerConfig;
    const parse = PARSERS[field] as ((v: unknown, w: string) => unknown) | undefined;
    if (!parse) throw new ControllerConfigError(`unknown controller setting "${key}"`);
    out[field] = parse(value, key);
  }
  return out as Partial<ControllerConfig>;
}

/**
 * The effective configuration: overrides, else Zeek's environment variables
 * (ZEEK_CONTROLLER_NAME, ZEEK_CONTROLLER_ADDR, ZEEK_CONTROLLER_PORT,
 * ZEEK_CONTROLLER_WEBSOCKET_ADDR, ZEEK_CONTROLLER_WEBSOCKET_PORT,
 * ZEEK_MANAGEMENT_STATE_DIR), else defaults.
 */
export function controllerConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ControllerConfig> | Record<string, unknown> = {},
): ControllerConfig {
  const o = parseOverrides(overrides as Record<string, unknown>);
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

  const defaultAddress = o.defaultAddress !== undefined && o.defaultAddress !== '' ? o.defaultAddress : CONTROLLER_DEFAULTS.defaultAddress;
  const envPort = nonEmpty(env.ZEEK_CONTROLLER_PORT);
  const envWsPort = nonEmpty(env.ZEEK_CONTROLLER_WEBSOCKET_PORT);
  const directory = path.resolve(o.directory ?? process.cwd());
  const stateDir = path.resolve(directory, o.stateDir ?? nonEmpty(env.ZEEK_MANAGEMENT_STATE_DIR) ?? directory);

  return {
    name: o.name || nonEmpty(env.ZEEK_CONTROLLER_NAME) || `controller-${os.hostname()}`,
    defaultAddress,
    listenAddress: o.listenAddress || nonEmpty(env.ZEEK_CONTROLLER_ADDR) || defaultAddress,
    listenPort: o.listenPort !== undefined ? o.listenPort
      : envPort !== undefined ? parsePortSetting(envPort, 'ZEEK_CONTROLLER_PORT') : CONTROLLER_DEFAULTS.listenPort,
    listenAddressWebsocket: o.listenAddressWebsocket || nonEmpty(env.ZEEK_CONTROLLER_WEBSOCKET_ADDR) || defaultAddress,
    listenPortWebsocket: o.listenPortWebsocket !== undefined ? o.listenPortWebsocket
      : envWsPort !== undefined ? parsePortSetting(envWsPort, 'ZEEK_CONTROLLER_WEBSOCKET_PORT') : CONTROLLER_DEFAULTS.listenPortWebsocket,
    tlsWebsocket: o.tlsWebsocket,
    autoAssignBrokerPorts: o.autoAssignBrokerPorts ?? CONTROLLER_DEFAULTS.autoAssignBrokerPorts,
    autoAssignBrokerStartPort: o.autoAssignBrokerStartPort ?? CONTROLLER_DEFAULTS.autoAssignBrokerStartPort,
    autoAssignMetricsPorts: o.autoAssignMetricsPorts ?? CONTROLLER_DEFAULTS.autoAssignMetricsPorts,
    autoAssignMetricsStartPort: o.autoAssignMetricsStartPort ?? CONTROLLER_DEFAULTS.autoAssignMetricsStartPort,
    topic: o.topic || TOPICS.controller,
    agentTopicPrefix: o.agentTopicPrefix || TOPICS.agent,
    directory,
    stdoutFile: o.stdoutFile ?? CONTROLLER_DEFAULTS.stdoutFile,
    stderrFile: o.stderrFile ?? CONTROLLER_DEFAULTS.stderrFile,
    writeOutputFiles: o.writeOutputFiles ?? false,
    stateDir,
    stateFile: o.stateFile ? path.resolve(stateDir, o.stateFile) : path.join(stateDir, 'controller', 'state.json'),
    requestTimeoutMs: o.requestTimeoutMs ?? CONTROLLER_DEFAULTS.requestTimeoutMs,
    connectRetryMs: o.connectRetryMs ?? CONTROLLER_DEFAULTS.connectRetryMs,
    disableSsl: o.disableSsl ?? false,
    sslCafile: o.sslCafile ?? '',
    sslCapath: o.sslCapath ?? '',
    sslCertificate: o.sslCertificate ?? '',
    sslKeyfile: o.sslKeyfile ?? '',
    sslPassphrase: o.sslPassphrase ?? '',
    logLevel: o.logLevel ?? CONTROLLER_DEFAULTS.logLevel,
    logFile: o.logFile || CONTROLLER_DEFAULTS.logFile,
    maxMessageBytes: o.maxMessageBytes ?? CONTROLLER_DEFAULTS.maxMessageBytes,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? CONTROLLER_DEFAULTS.handshakeTimeoutMs,
    siteKeep: o.siteKeep ?? 3,
    peerPingIntervalMs: o.peerPingIntervalMs ?? CONTROLLER_DEFAULTS.peerPingIntervalMs,
    peerTimeoutMs: o.peerTimeoutMs ?? CONTROLLER_DEFAULTS.peerTimeoutMs,
  };
}

/** Whether a listen address accepts connections from this host only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return a === 'localhost' || a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * The warning due when the client port (2149) is reachable beyond loopback without TLS
 * client certificates: whoever reaches it can stage and deploy a configuration whose
 * nodes' env and scripts run any code as the user that runs the nodes. null when the port
 * is off, loopback-only, or requires client certificates.
 */
export function clientPortWarning(cfg: Pick<ControllerConfig, 'listenAddressWebsocket' | 'listenPortWebsocket' | 'tlsWebsocket'>): string | null {
  if (cfg.listenPortWebsocket === null || isLoopbackAddress(cfg.listenAddressWebsocket) || requiresClientCertificates(cfg.tlsWebsocket)) return null;
  const where = `${cfg.listenAddressWebsocket.includes(':') ? `[${cfg.listenAddressWebsocket}]` : cfg.listenAddressWebsocket}:${cfg.listenPortWebsocket}`;
  const now = cfg.tlsWebsocket ? 'TLS without client certificates' : 'no TLS';
  return `the controller's client port ${where} is reachable beyond loopback with ${now}: anyone who reaches it can deploy `
    + 'a configuration whose nodes\' env and scripts run any code as this user. Require client certificates with '
    + 'Management::Controller::tls_options_websocket=[$cert_file="server.pem", $key_file="server.key", $ca_file="ca.pem", $enable_peer_verification=T] '
    + '(clients then need ssl.enable, ssl.certificate, ssl.keyfile, ssl.cafile), or listen on loopback only '
    + '(ZEEK_CONTROLLER_WEBSOCKET_ADDR=127.0.0.1), or firewall the port';
}
