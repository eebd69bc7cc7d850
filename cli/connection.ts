// Connecting to the controller with zeek-client's settings and log lines
// (controller.py): [controller] host/port, [ssl] enable/certificate/keyfile/cafile/
// capath/passphrase, [client] peering_attempts, peering_retry_delay_secs and
// request_timeout_secs. Failures are logged as one error line and yield null.

import type { ControllerClient, FirstRequest } from '../sdk/client/controller-client';
import type { ClientTlsSettings } from '../sdk/transport/tls';
import type { CommandContext } from './command';
import { SettingsError } from './settings';

export interface ControllerTarget {
  host: string;
  port: number;
  /** "host:port" as zeek-client prints it in messages. */
  remote: string;
}

/** Reads and checks the connection settings; logs and returns null when unusable. */
export function controllerTarget(ctx: CommandContext): ControllerTarget | null {
  const { settings, log } = ctx;
  let host: string;
  let portText: string;
  try {
    host = settings.get('controller', 'host');
    portText = settings.get('controller', 'port');
  } catch (err) {
    log.error((err as Error).message);
    return null;
  }
  const remote = `${host}:${portText}`;
  let port: number;
  try {
    port = settings.getInt('controller', 'port');
  } catch {
    log.error(`cannot configure connection to ${remote}: controller port "${portText}" is not a number`);
    return null;
  }
  if (port < 1 || port > 65535) {
    log.error(`cannot configure connection to ${remote}: controller port number ${port} outside valid range`);
    return null;
  }
  if (host === '') {
    log.error(`cannot configure connection to ${remote}: controller host is empty`);
    return null;
  }
  return { host, port, remote };
}

/**
 * zeek-client's create_controller(): configure, connect, peer. Null (after an error line) on
 * failure. `first`: the command's one read request, sent with the handshake
 * (ControllerClientOptions.first).
 */
export async function connectController(ctx: CommandContext, first?: FirstRequest): Promise<ControllerClient | null> {
  const { settings, log } = ctx;
  const target = controllerTarget(ctx);
  if (target === null) return null;
  const { host, port, remote } = target;

  let tls: ClientTlsSettings | undefined;
  let attempts: number;
  let retryDelay: number;
  let requestTimeout: number;
  try {
    if (settings.hasOption('ssl', 'disable')) {
      log.warning("The ssl.disable setting is deprecated and ignored. Controller connections now default to plaintext. Use ssl.enabled to enable encryption. See 'zeek-client show-settings' for details.");
    }
    if (settings.getBoolean('ssl', 'enable')) {
      tls = {
        certificate: settings.get('ssl', 'certificate') || undefined,
        keyfile: settings.get('ssl', 'keyfile') || undefined,
        cafile: settings.get('ssl', 'cafile') || undefined,
        capath: settings.get('ssl', 'capath') || undefined,
        passphrase: settings.get('ssl', 'passphrase') || undefined,
      };
      // Checks that the files exist, with zeek-client's messages.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('../sdk/transport/tls') as typeof import('../sdk/transport/tls')).clientTlsOptions(tls);
    }
    attempts = settings.getInt('client', 'peering_attempts');
    retryDelay = settings.getFloat('client', 'peering_retry_delay_secs');
    requestTimeout = settings.getFloat('client', 'request_timeout_secs');
  } catch (err) {
    if (err instanceof SettingsError) log.error(err.message);
    else log.error(`cannot configure connection to ${remote}: ${(err as Error).message}`);
    return null;
  }
  if (!(retryDelay >= 0) || !(requestTimeout > 0)) {
    log.error(`cannot configure connection to ${remote}: client.peering_retry_delay_secs must be >= 0 and client.request_timeout_secs > 0`);
    return null;
  }

  log.info(`connecting to controller ${remote}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ControllerClient: Client, retriesLikeZeekClient } = require('../sdk/client/controller-client') as typeof import('../sdk/client/controller-client');
  try {
    const client = await Client.connect({
      host,
      port,
      tls,
      peeringAttempts: Math.max(1, attempts),
      peeringRetryDelaySecs: retryDelay,
      requestTimeoutSecs: requestTimeout,
      appName: 'zeek-mgmt',
      first,
      retryable: refusalRetried(ctx) ? retriesLikeZeekClient : (err) => !isRefusal(err) && retriesLikeZeekClient(err),
      onRetry: (_n, err) => log.debug(`${/ECONNREFUSED/.test(String((err as NodeJS.ErrnoException).code ?? err.message)) ? 'connection refused' : `connection attempt failed (${err.message})`} for controller ${remote}`),
    });
    log.info(`peered with controller ${remote}`);
    return client;
  } catch (err) {
    log.error(connectFailure(err as Error, remote, Math.max(1, attempts), tls !== undefined));
    return null;
  }
}

/** zeek-mgmt's own commands, which fail at once on a refused connection (a CI job should not wait ~10 s for it). */
const FAIL_FAST_ON_REFUSAL = new Set(['plan', 'apply', 'drift', 'diag']);

/**
 * Whether a refused connection is tried again: always for zeek-client's commands (as
 * zeek-client does, client.peering_attempts times); for plan, apply, drift and diag only where
 * client.peering_attempts was set to other than its default, i.e. retries were asked for.
 */
function refusalRetried(ctx: CommandContext): boolean {
  if (!FAIL_FAST_ON_REFUSAL.has(String(ctx.args.command))) return true;
  return ctx.settings.get('client', 'peering_attempts') !== String(CONTROLLER_ATTEMPTS_DEFAULT);
}

const CONTROLLER_ATTEMPTS_DEFAULT = 10;

function isRefusal(err: Error): boolean {
  return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' || /ECONNREFUSED/.test(err.message);
}

function connectFailure(err: Error, remote: string, attempts: number, tls: boolean): string {
  const cause = (err as { cause?: Error }).cause ?? err;
  const code = (cause as NodeJS.ErrnoException).code;
  const detail = code === 'ECONNREFUSED' ? 'connection refused' : cause.message;
  if (/failed after \d+ attempt/.test(err.message)) {
    return `websocket connection to ${remote} timed out in connect() (${attempts} attempt${attempts === 1 ? '' : 's'}, last: ${detail})`;
  }
  if (/before it answered the WebSocket upgrade/.test(err.message)) {
    // What zeek-client reports here, and the likely reason.
    return `websocket error in connect() with controller ${remote}: Connection to remote host was lost.${tls ? '' : ' (the controller closed the connection without answering: if it serves wss://, set ssl.enable=true)'}`;
  }
  const tlsProblem = tls ? tlsFailure(cause) : null;
  if (tlsProblem !== null) return `socket TLS error in connect() with controller ${remote}: ${tlsProblem}`;
  if (/handshake/.test(err.message)) return `websocket error in handshake with controller ${remote}: ${err.message}`;
  if (/certificate|SSL|TLS|ssl/i.test(err.message)) return `socket TLS error in connect() with controller ${remote}: ${err.message}`;
  return `socket error in connect() with controller ${remote}: ${detail}`;
}

/**
 * A TLS failure as Python's ssl module words it, which zeek-client prints:
 * "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: <why>",
 * "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required", ...
 * Null when the error is not one of TLS.
 */
function tlsFailure(err: Error): string | null {
  const e = err as NodeJS.ErrnoException & { reason?: string; library?: string };
  const code = e.code ?? '';
  // OpenSSL's own errors: ERR_SSL_<REASON>, ERR_OSSL_<LIB>_<REASON>.
  if (/^ERR_(SSL|OSSL)_/.test(code) && e.reason) {
    const reasonCode = e.reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    const rest = code.replace(/^ERR_(OSSL_)?/, '');
    const lib = rest.endsWith(`_${reasonCode}`) ? rest.slice(0, -reasonCode.length - 1) : 'SSL';
    return `[${lib || 'SSL'}: ${reasonCode}] ${e.reason}`;
  }
  // The server's certificate did not verify (Node names the X509_V_ERR_* without the prefix).
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || (/^[A-Z0-9]+(_[A-Z0-9]+)+$/.test(code) && !code.startsWith('ERR_'))) {
    return `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${err.message}`;
  }
  if (/before secure TLS connection was established/.test(err.message)) {
    return 'TLS/SSL connection has been closed (EOF) (the controller closed the connection during the TLS handshake: if it serves plain ws://, set ssl.enable=false)';
  }
  return null;
}

/** The "no response received: ..." reason for a failed transaction. */
export function noResponseReason(err: Error, remote: string): string {
  if (err.name === 'RequestTimeoutError') return `websocket connection to ${remote} timed out`;
  return err.message;
}
