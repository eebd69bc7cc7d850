// Bringing two cluster configurations to one comparable form before diffing them:
//   - order does not matter where Zeek keeps sets or tables: instances, nodes, node
//     options and env are compared by name/key (scripts stay ordered: a load order);
//   - enum casing and qualification do not matter: "worker", "Supervisor::WORKER" and
//     "WORKER" are one role;
//   - unset and default are the same: no scripts/options/env equals an empty list/map,
//     a missing state is RUNNING, a missing host is 0.0.0.0, missing ports are null;
//   - addresses compare by value ("::1" equals "0:0:0:0:0:0:0:1").
// Input may be partial (as from Pulumi or hand-written JSON); output is complete.

import { isIPv6 } from 'node:net';

export const CLUSTER_ROLES = ['NONE', 'LOGGER', 'MANAGER', 'PROXY', 'WORKER'] as const;
export const NODE_STATES = ['PENDING', 'RUNNING', 'STOPPED', 'FAILED', 'CRASHED', 'UNKNOWN'] as const;

export interface InstanceLike {
  name: string;
  host?: string | null;
  listen_port?: number | null;
}

export interface NodeLike {
  name: string;
  instance: string;
  role: string;
  state?: string | null;
  port?: number | null;
  scripts?: readonly string[] | null;
  options?: ReadonlyArray<{ name: string; value: string }> | null;
  interface?: string | null;
  cpu_affinity?: number | null;
  env?: Readonly<Record<string, string>> | null;
  metrics_port?: number | null;
}

export interface ConfigurationLike {
  id?: string | null;
  instances?: readonly InstanceLike[] | null;
  nodes?: readonly NodeLike[] | null;
}

export interface NormalInstance {
  name: string;
  host: string;
  listen_port: number | null;
}

export interface NormalNode {
  name: string;
  instance: string;
  role: string;
  state: string;
  port: number | null;
  scripts: string[];
  options: Array<{ name: string; value: string }>;
  interface: string | null;
  cpu_affinity: number | null;
  env: Record<string, string>;
  metrics_port: number | null;
}

export interface NormalConfiguration {
  id: string | null;
  /** Keyed and ordered by name (code point order). */
  instances: Map<string, NormalInstance>;
  nodes: Map<string, NormalNode>;
}

/** Orders strings by code point, as Zeek and Python do. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** An enum value without its scope ("Supervisor::WORKER", "ClusterRole.worker" -> "WORKER"). */
export function bareEnum(value: string): string {
  const last = value.split('::').pop() as string;
  return (last.split('.').pop() as string).trim().toUpperCase();
}

/** An address in one canonical spelling (IPv6 compressed, lower case; brackets dropped). */
export function canonicalAddress(host: string): string {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (!isIPv6(h)) return h;
  // Expand to eight groups, then compress the longest run of zero groups (RFC 5952).
  let groups: string[];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  let text = h.toLowerCase();
  if (v4) {
    const parts = v4[1].split('.').map(Number);
    text = text.slice(0, text.length - v4[1].length) + `${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
  }
  if (text.includes('::')) {
    const [head, tail] = text.split('::');
    const hs = head ? head.split(':') : [];
    const ts = tail ? tail.split(':') : [];
    groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  } else groups = text.split(':');
  groups = groups.map((g) => parseInt(g, 16).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  const left = groups.slice(0, bestStart).join(':');
  const right = groups.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

function portOrNull(p: number | null | undefined): number | null {
  return p === undefined || p === null ? null : Number(p);
}

export function normalizeInstance(i: InstanceLike): NormalInstance {
  return {
    name: i.name,
    host: canonicalAddress(i.host ?? '0.0.0.0') || '0.0.0.0',
    listen_port: portOrNull(i.listen_port),
  };
}

export function normalizeNode(n: NodeLike): NormalNode {
  const env: Record<string, string> = {};
  for (const k of Object.keys(n.env ?? {}).sort(compareNames)) env[k] = (n.env as Record<string, string>)[k];
  const options = [...(n.options ?? [])]
    .map((o) => ({ name: o.name, value: o.value }))
    .sort((a, b) => compareNames(a.name, b.name) || compareNames(a.value, b.value));
  return {
    name: n.name,
    instance: n.instance,
    role: bareEnum(n.role),
    state: n.state ? bareEnum(n.state) : 'RUNNING',
    port: portOrNull(n.port),
    scripts: [...(n.scripts ?? [])],
    options,
    interface: n.interface ?? null,
    cpu_affinity: n.cpu_affinity === undefined || n.cpu_affinity === null ? null : Number(n.cpu_affinity),
    env,
    metrics_port: portOrNull(n.metrics_port),
  };
}

function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  const sorted = [...items].sort((a, b) => compareNames(a.name, b.name));
  const m = new Map<string, T>();
  for (const it of sorted) m.set(it.name, it);
  return m;
}

export function normalizeConfiguration(c: ConfigurationLike): NormalConfiguration {
  return {
    id: c.id ?? null,
    instances: byName((c.instances ?? []).map(normalizeInstance)),
    nodes: byName((c.nodes ?? []).map(normalizeNode)),
  };
}
