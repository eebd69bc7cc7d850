// The secret that lets the Supervisor's control port (127.0.0.1:Broker::default_port)
// answer only its own agent. The Supervisor makes a fresh one at start (or reads it from
// the file ZEEK_MGMT_SUPERVISOR_SECRET_FILE names, for an agent started on its own) and
// hands it to the agent it spawns in the environment variable ZEEK_MGMT_SUPERVISOR_SECRET,
// never on a command line: /proc/PID/cmdline is readable by every local user, while
// /proc/PID/environ is readable only by the process's own user and root (who could
// ptrace the agent anyway). The agent sends it on the WebSocket upgrade request as
// `Authorization: Bearer <secret>`; the Supervisor checks it before accepting the upgrade,
// so a process without it never gets to send a single WebSocket message.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** Environment variable the Supervisor hands its agent the secret in. */
export const SECRET_ENV = 'ZEEK_MGMT_SUPERVISOR_SECRET';
/** Environment variable naming a file that holds the secret (both sides read it). */
export const SECRET_FILE_ENV = 'ZEEK_MGMT_SUPERVISOR_SECRET_FILE';

/** Shortest secret accepted from a file or the environment. */
export const MIN_SECRET_LENGTH = 16;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/** 256 random bits, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function checked(secret: string, where: string): string {
  if (secret.length < MIN_SECRET_LENGTH) throw new SecretError(`${where}: the Supervisor secret must be at least ${MIN_SECRET_LENGTH} characters long, got ${secret.length}`);
  if (!/^[\x21-\x7e]+$/.test(secret)) throw new SecretError(`${where}: the Supervisor secret must be printable ASCII without spaces`);
  return secret;
}

/**
 * The secret in `file`: its first line, trimmed. The file must be a regular file that no
 * other user can read or write (mode 0600 or stricter), or it would not be a secret.
 */
export function readSecretFile(file: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new SecretError(`cannot read the Supervisor secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new SecretError(`the Supervisor secret file ${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new SecretError(`the Supervisor secret file ${file} is accessible to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
  }
  const text = fs.readFileSync(file, 'utf8');
  return checked(text.split('\n')[0].trim(), file);
}

/**
 * The agent's side: ZEEK_MGMT_SUPERVISOR_SECRET (from the Supervisor that spawned it), else
 * the file ZEEK_MGMT_SUPERVISOR_SECRET_FILE names; undefined when neither is set.
 */
export function agentSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const direct = env[SECRET_ENV];
  if (direct !== undefined && direct !== '') return checked(direct, SECRET_ENV);
  const file = env[SECRET_FILE_ENV];
  if (file !== undefined && file !== '') return readSecretFile(file);
  return undefined;
}

/** The Supervisor's side: the file's secret when ZEEK_MGMT_SUPERVISOR_SECRET_FILE is set, else a fresh one. */
export function supervisorSecretFromEnv(env: NodeJS.ProcessEnv): { secret: string; source: string } {
  const file = env[SECRET_FILE_ENV];
  if (file !== undefined && file !== '') return { secret: readSecretFile(file), source: `from ${file}` };
  return { secret: generateSecret(), source: 'generated at start' };
}

export function authorizationHeader(secret: string): Record<string, string> {
  return { Authorization: `Bearer ${secret}` };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks an upgrade request's Authorization header against the secret: null when it
 * matches, else why not (for the log line). Compared in constant time.
 */
export function checkAuthorization(req: IncomingMessage, secret: string): string | null {
  const h = req.headers.authorization;
  if (h === undefined) return 'no Authorization header (the Supervisor answers only its own agent)';
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(h);
  if (!m) return 'an Authorization header that is not "Bearer <secret>"';
  return timingSafeEqual(digest(m[1]), digest(secret)) ? null : 'a wrong secret';
}

/**
 * On Linux, the uid that owns the local socket connecting from `remotePort` to our
 * `localPort` (from /proc/net/tcp and tcp6), for the refusal's log line; null when it
 * cannot be told (another OS, or the socket is gone).
 */
export function localConnectionOwner(remotePort: number | undefined, localPort: number | undefined): number | null {
  if (remotePort === undefined || localPort === undefined) return null;
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const from = `:${hex(remotePort)}`;
  const to = `:${hex(localPort)}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
      if (f.length > 7 && f[1].endsWith(from) && f[2].endsWith(to)) {
        const uid = Number(f[7]);
        if (Number.isInteger(uid)) return uid;
      }
    }
  }
  return null;
}
