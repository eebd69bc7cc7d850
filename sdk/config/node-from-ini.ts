// One node section of a cluster configuration .ini, read as zeek-client's
// Node.from_config_parser does. The checks run in zeek-client's order, so that the first
// problem reported is the one zeek-client would report.

import { CLUSTER_ROLES } from '../model/enums';
import type { ClusterRole, Node } from '../model/schemas';
import { ConfigFileError, ConfigWarning } from './config-file-error';
import { IniDocument } from './ini-parse';
import { parsePyInt, pySorted } from './python-string';
import { shlexSplit, ShlexError } from './shlex-split';

/** The keys zeek-client knows for a node; any other key draws a warning (even "type" and "state", as in zeek-client). */
export const NODE_KEYS: readonly string[] = [
  'instance', 'role', 'scripts', 'port', 'interface', 'cpu_affinity', 'env', 'metrics_port',
];

/** The instance a node runs on when no node names one: zeek-client's "agent-<hostname>". */
export function impliedInstanceName(hostname: string): string {
  return `agent-${hostname || 'localhost'}`;
}

/**
 * zeek-client's role lookup: any Zeek or Python qualification ("Supervisor::worker",
 * "ClusterRole.WORKER") is dropped and the name upper-cased; "none" is a valid role.
 */
export function lookupClusterRole(text: string): ClusterRole | null {
  const name = (text.split('::').pop() as string).split('.').pop() as string;
  const upper = name.toUpperCase();
  // The members of ClusterRoleSchema, read without loading zod (this is on the CLI's start-up path).
  return (CLUSTER_ROLES as readonly string[]).includes(upper) ? (upper as ClusterRole) : null;
}

export interface NodeFromIniOptions {
  hostname: string;
  onWarning: (w: ConfigWarning) => void;
}

export function nodeFromIni(doc: IniDocument, section: string, opts: NodeFromIniOptions): Node {
  const fail = (key: string | undefined, reason: string): never => {
    throw new ConfigFileError({
      fileName: doc.fileName, section, key,
      line: (key !== undefined ? doc.entry(section, key)?.line : undefined) ?? doc.section(section)?.line,
    }, `invalid node "${section}" configuration: ${reason}`);
  };

  // zeek-client's typed lookup: the first of the keys that is present wins.
  const getString = (...keys: string[]): [string, string] | null => {
    for (const key of keys) {
      const v = doc.get(section, key);
      if (v !== undefined && v !== null) return [key, v];
    }
    return null;
  };
  const getInt = (key: string): bigint | null => {
    const found = getString(key);
    if (found === null) return null;
    const n = parsePyInt(found[1]);
    if (n === null) fail(key, `cannot convert "${section}.${key}" value "${found[1]}" to int`);
    return n;
  };

  let instance = getString('instance')?.[1] ?? null;
  const roleFound = getString('role', 'type');

  const state = getString('state');
  if (state !== null && state[1]) {
    opts.onWarning({
      fileName: doc.fileName, section, key: 'state', line: doc.entry(section, 'state')?.line,
      message: `ignoring node "${section}" state "${state[1]}" in configuration`,
    });
  }

  const port = getInt('port');
  const iface = getString('interface')?.[1] ?? null;
  const cpuAffinity = getInt('cpu_affinity');
  const metricsPort = getInt('metrics_port');

  if (!instance) instance = impliedInstanceName(opts.hostname);
  if (roleFound === null || !roleFound[1]) fail(roleFound?.[0] ?? 'role', 'node requires a role');
  const [roleKey, roleText] = roleFound as [string, string];
  const role = lookupClusterRole(roleText);
  if (role === null) fail(roleKey, `role "${roleText}" is invalid`);

  if (port !== null && (port < 1n || port > 65535n)) fail('port', `port ${port} outside valid range`);
  // zeek-client's message here prints the node's port instead of the metrics port (a slip); we print the metrics port.
  if (metricsPort !== null && (metricsPort < 1n || metricsPort > 65535n)) fail('metrics_port', `metrics port ${metricsPort} outside valid range`);
  if (cpuAffinity !== null && (cpuAffinity < BigInt(Number.MIN_SAFE_INTEGER) || cpuAffinity > BigInt(Number.MAX_SAFE_INTEGER))) {
    fail('cpu_affinity', `cpu_affinity ${cpuAffinity} is out of range`);
  }

  let scripts: string[] | null = null;
  const scriptsText = getString('scripts')?.[1];
  if (scriptsText) {
    try {
      scripts = pySorted(shlexSplit(scriptsText));
    } catch (err) {
      if (!(err instanceof ShlexError)) throw err;
      fail('scripts', err.message);
    }
  }

  const env = new Map<string, string>();
  const envText = getString('env')?.[1];
  if (envText) {
    let items: string[] = [];
    try {
      items = shlexSplit(envText);
    } catch (err) {
      if (!(err instanceof ShlexError)) throw err;
      fail('env', `env value "${envText}" is invalid`);
    }
    for (const item of items) {
      const eq = item.indexOf('=');
      if (eq < 0) fail('env', `env value "${envText}" is invalid`);
      env.set(item.slice(0, eq), item.slice(eq + 1));
    }
  }

  const unexpected = doc.keys(section).filter((k) => !NODE_KEYS.includes(k));
  if (unexpected.length > 0) {
    const sorted = pySorted(unexpected);
    opts.onWarning({
      fileName: doc.fileName, section, key: sorted[0], line: doc.entry(section, sorted[0])?.line,
      message: `ignoring unexpected keys: ${sorted.join(', ')}`,
    });
  }

  return {
    name: section,
    instance,
    role: role as ClusterRole,
    state: 'RUNNING',
    port: port === null ? null : Number(port),
    scripts,
    options: null,
    interface: iface,
    cpu_affinity: cpuAffinity === null ? null : Number(cpuAffinity),
    env: Object.fromEntries(env),
    metrics_port: metricsPort === null ? null : Number(metricsPort),
  };
}
