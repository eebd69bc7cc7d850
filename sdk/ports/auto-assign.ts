// Zeek's automatic port assignment for cluster nodes (config_assign_broker_ports and
// config_assign_metrics_ports in controller/main.zeek). The controller applies it to a
// staged configuration to make it ready; the CLI's plan applies the same functions to
// tell ports the controller assigned from ports a user changed.
//
// Broker ports: managers, loggers and proxies without a port get one, counting up from
// the start port (2200) across all instances, skipping every agent listening port and
// every explicitly given node port. Metrics ports: every node with a cluster role
// (workers too) without one gets one, counting up from the start port (9000) per host
// address, skipping the agent's, the nodes' Broker ports and the explicit metrics ports
// on that host. Nodes are handled grouped by instance, then by role (manager, logger,
// proxy, worker), then by name.

import { ClusterRole, Configuration, Node } from '../model/schemas';

export interface PortAssignmentSettings {
  /** Management::Controller::auto_assign_broker_ports (true). */
  autoAssignBrokerPorts?: boolean;
  /** Management::Controller::auto_assign_broker_start_port (2200). */
  autoAssignBrokerStartPort?: number;
  /** Management::Controller::auto_assign_metrics_ports (true). */
  autoAssignMetricsPorts?: boolean;
  /** Management::Controller::auto_assign_metrics_start_port (9000). */
  autoAssignMetricsStartPort?: number;
}

export const PORT_ASSIGNMENT_DEFAULTS = {
  autoAssignBrokerPorts: true,
  autoAssignBrokerStartPort: 2200,
  autoAssignMetricsPorts: true,
  autoAssignMetricsStartPort: 9000,
} as const;

/** One port the assignment filled in. */
export interface AssignedPort {
  node: string;
  field: 'port' | 'metrics_port';
  port: number;
}

export interface PortAssignment {
  /** A new configuration; nodes keep their order, the input is not modified. */
  config: Configuration;
  assigned: AssignedPort[];
}

export class PortAssignmentError extends Error {
  override readonly name = 'PortAssignmentError';
}

const BROKER_ROLE_ORDER: Partial<Record<ClusterRole, number>> = { MANAGER: 0, LOGGER: 1, PROXY: 2 };
const METRICS_ROLE_ORDER: Partial<Record<ClusterRole, number>> = { MANAGER: 0, LOGGER: 1, PROXY: 2, WORKER: 3 };

function compareNodes(order: Partial<Record<ClusterRole, number>>) {
  return (a: Node, b: Node): number => {
    if (a.instance !== b.instance) return a.instance < b.instance ? -1 : 1;
    const ra = order[a.role]!;
    const rb = order[b.role]!;
    if (ra !== rb) return ra - rb;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
}

function nextFree(p: number, used: Set<number>, what: string): number {
  while (used.has(p)) p++;
  if (p > 65535) throw new PortAssignmentError(`no free ${what} port left below 65536 for automatic assignment`);
  return p;
}

/** config_assign_broker_ports. */
export function assignBrokerPorts(config: Configuration, startPort: number = PORT_ASSIGNMENT_DEFAULTS.autoAssignBrokerStartPort): PortAssignment {
  const used = new Set<number>();
  for (const inst of config.instances) if (inst.listen_port !== null) used.add(inst.listen_port);
  for (const n of config.nodes) if (n.port !== null) used.add(n.port);

  const todo = config.nodes.filter((n) => n.port === null && BROKER_ROLE_ORDER[n.role] !== undefined).sort(compareNodes(BROKER_ROLE_ORDER));
  const ports = new Map<Node, number>();
  const assigned: AssignedPort[] = [];
  let p = startPort;
  for (const n of todo) {
    p = nextFree(p, used, 'Broker');
    ports.set(n, p);
    used.add(p);
    assigned.push({ node: n.name, field: 'port', port: p });
    p++;
  }
  return {
    config: { ...config, nodes: config.nodes.map((n) => (ports.has(n) ? { ...n, port: ports.get(n)! } : n)) },
    assigned,
  };
}

/** config_assign_metrics_ports. Ports count per host address of the node's instance. */
export function assignMetricsPorts(config: Configuration, startPort: number = PORT_ASSIGNMENT_DEFAULTS.autoAssignMetricsStartPort): PortAssignment {
  const hostOf = new Map<string, string>();
  const next = new Map<string, number>();
  const used = new Map<string, Set<number>>();
  const usedAt = (host: string): Set<number> => {
    let s = used.get(host);
    if (!s) used.set(host, (s = new Set()));
    return s;
  };
  for (const inst of config.instances) {
    hostOf.set(inst.name, inst.host);
    next.set(inst.host, startPort);
    if (inst.listen_port !== null) usedAt(inst.host).add(inst.listen_port);
  }
  // A node of an undeclared instance (only possible in unvalidated input) counts on its own.
  const hostKey = (n: Node): string => hostOf.get(n.instance) ?? `undeclared instance ${n.instance}`;
  for (const n of config.nodes) {
    const host = hostKey(n);
    if (n.port !== null) usedAt(host).add(n.port);
    if (n.metrics_port !== null) usedAt(host).add(n.metrics_port);
  }

  const todo = config.nodes.filter((n) => n.metrics_port === null && METRICS_ROLE_ORDER[n.role] !== undefined).sort(compareNodes(METRICS_ROLE_ORDER));
  const ports = new Map<Node, number>();
  const assigned: AssignedPort[] = [];
  for (const n of todo) {
    const host = hostKey(n);
    const set = usedAt(host);
    const p = nextFree(next.get(host) ?? startPort, set, 'metrics');
    ports.set(n, p);
    set.add(p);
    next.set(host, p + 1);
    assigned.push({ node: n.name, field: 'metrics_port', port: p });
  }
  return {
    config: { ...config, nodes: config.nodes.map((n) => (ports.has(n) ? { ...n, metrics_port: ports.get(n)! } : n)) },
    assigned,
  };
}

/** Both assignments, as the controller runs them when staging (Broker ports first). */
export function assignPorts(config: Configuration, settings: PortAssignmentSettings = {}): PortAssignment {
  const s = { ...PORT_ASSIGNMENT_DEFAULTS, ...stripUndefined(settings) };
  let cur: PortAssignment = { config, assigned: [] };
  if (s.autoAssignBrokerPorts) {
    const r = assignBrokerPorts(cur.config, s.autoAssignBrokerStartPort);
    cur = { config: r.config, assigned: [...cur.assigned, ...r.assigned] };
  }
  if (s.autoAssignMetricsPorts) {
    const r = assignMetricsPorts(cur.config, s.autoAssignMetricsStartPort);
    cur = { config: r.config, assigned: [...cur.assigned, ...r.assigned] };
  }
  return cur;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
