// Validation of a cluster configuration as Zeek's controller does it (config_validate in
// controller/main.zeek), with the same error strings, sorted the same way, plus the
// path-safety check of node and instance names. Shared by the controller, the CLI and
// the Pulumi provider, so that all three reject exactly the same configurations.

import { Configuration, Instance, Node } from '../model/schemas';
import { nameSafetyError } from './names';

export interface ValidationSettings {
  /**
   * The controller's Broker (agent) listening port, Management::Controller::network_info()$bound_port;
   * null when it does not listen. Default 2150.
   */
  controllerPort?: number | null;
  /** Management::Controller::auto_assign_broker_ports (default true). */
  autoAssignBrokerPorts?: boolean;
}

const BROKER_PORT_ROLES = new Set(['MANAGER', 'LOGGER', 'PROXY']);

/** Zeek renders ports as "<number>/tcp". */
export const portString = (p: number): string => `${p}/tcp`;

/** Zeek's strcmp ordering: by UTF-16 code unit, like JS's default comparison. */
export const strcmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A stable text of a record, for set semantics (identical records are one set member). */
function recordKey(v: object): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      return Object.fromEntries(Object.keys(val as object).sort().map((k) => [k, (val as Record<string, unknown>)[k]]));
    }
    return val;
  });
}

/**
 * Drops records identical to an earlier one (Zeek's set semantics). Identical records
 * share a name, so only records whose name repeats are compared by content.
 */
function dedupe<T extends { name: string }>(items: readonly T[]): T[] {
  const count = new Map<string, number>();
  for (const it of items) count.set(it.name, (count.get(it.name) ?? 0) + 1);
  const seen = new Set<string>();
  const out: T[] = [];
  for (const it of items) {
    if (count.get(it.name) === 1) {
      out.push(it);
      continue;
    }
    const k = recordKey(it);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(it);
  }
  return out;
}

/** Sorts by name; records sharing a name (invalid anyway) by content, for a stable order. */
function sortByName<T extends { name: string }>(items: T[]): T[] {
  const keys = new Map<T, string>();
  const key = (x: T): string => {
    let k = keys.get(x);
    if (k === undefined) keys.set(x, (k = recordKey(x)));
    return k;
  };
  return items.sort((a, b) => strcmp(a.name, b.name) || strcmp(key(a), key(b)));
}

/**
 * The configuration as Zeek holds it after receiving it: instances and nodes are sets
 * (identical records collapse into one), kept sorted by name (then content) so that
 * results do not depend on the order a client happened to send.
 */
export function canonicalizeConfiguration(config: Configuration): Configuration {
  return {
    id: config.id,
    instances: sortByName(dedupe(config.instances)),
    nodes: sortByName(dedupe(config.nodes)),
  };
}

/** config_nodes_lacking_broker_ports: managers, loggers and proxies without a port, sorted by name. */
export function nodesLackingBrokerPorts(config: Configuration): string[] {
  return config.nodes.filter((n) => BROKER_PORT_ROLES.has(n.role) && n.port === null).map((n) => n.name).sort(strcmp);
}

/**
 * Returns the validation errors of `config`, sorted; an empty list means it is valid.
 * The strings are Zeek's, e.g. "multiple nodes named 'worker-01'".
 */
export function validateConfiguration(config: Configuration, settings: ValidationSettings = {}): string[] {
  const controllerPort = settings.controllerPort === undefined ? 2150 : settings.controllerPort;
  const autoAssignBrokerPorts = settings.autoAssignBrokerPorts ?? true;
  const instances: Instance[] = dedupe(config.instances);
  const nodes: Node[] = dedupe(config.nodes);
  const errors: string[] = [];

  // Names that repeat, reported once each.
  const instNames = new Set<string>();
  const instDone = new Set<string>();
  for (const inst of instances) {
    if (!instNames.has(inst.name)) instNames.add(inst.name);
    else if (!instDone.has(inst.name)) {
      errors.push(`multiple instances named '${inst.name}'`);
      instDone.add(inst.name);
    }
  }
  const nodeNames = new Set<string>();
  const nodeDone = new Set<string>();
  for (const node of nodes) {
    if (!nodeNames.has(node.name)) nodeNames.add(node.name);
    else if (!nodeDone.has(node.name)) {
      errors.push(`multiple nodes named '${node.name}'`);
      nodeDone.add(node.name);
    }
  }

  // Node and instance names must not overlap.
  const both = [...instNames].filter((n) => nodeNames.has(n)).sort(strcmp);
  if (both.length > 0) errors.push(`node and instance names collide: ${both.join(', ')}`);

  // Every node's instance must be declared.
  for (const node of nodes) {
    if (!instNames.has(node.instance)) errors.push(`node '${node.name}' has undeclared instance name '${node.instance}'`);
  }

  // Explicit ports must not collide with the agent's, the controller's or each other's on an instance.
  const instPorts = new Map<string, Set<number>>();
  for (const inst of instances) {
    if (inst.listen_port === null) continue;
    let s = instPorts.get(inst.name);
    if (!s) instPorts.set(inst.name, (s = new Set()));
    s.add(inst.listen_port);
  }
  const nodePorts = new Map<string, Set<number>>();
  const nodePortsDone = new Map<string, Set<number>>();
  for (const node of nodes) {
    if (!nodePorts.has(node.instance)) nodePorts.set(node.instance, new Set());
    if (!nodePortsDone.has(node.instance)) nodePortsDone.set(node.instance, new Set());
    if (node.port === null) continue;
    const p = node.port;
    if (instPorts.get(node.instance)?.has(p)) {
      errors.push(`node '${node.name}' port ${portString(p)} conflicts with agent port on instance '${node.instance}'`);
    }
    if (controllerPort !== null && p === controllerPort) {
      errors.push(`node '${node.name}' port ${portString(p)} conflicts with controller port`);
    }
    const used = nodePorts.get(node.instance)!;
    if (!used.has(p)) {
      used.add(p);
      continue;
    }
    const done = nodePortsDone.get(node.instance)!;
    if (!done.has(p)) {
      errors.push(`multiple nodes on instance '${node.instance}' using port ${portString(p)}`);
      done.add(p);
    }
  }

  if (!autoAssignBrokerPorts) {
    const lacking = nodesLackingBrokerPorts({ id: config.id, instances, nodes });
    if (lacking.length > 0) errors.push(`Broker port auto-assignment disabled but nodes ${lacking.join(', ')} lack ports`);
  }

  // Beyond Zeek: names must be safe as directory names and topic components.
  const reported = new Set<string>();
  for (const inst of instances) {
    const e = nameSafetyError(inst.name, 'instance');
    if (e && !reported.has(e)) {
      errors.push(e);
      reported.add(e);
    }
  }
  for (const node of nodes) {
    const e = nameSafetyError(node.name, 'node');
    if (e && !reported.has(e)) {
      errors.push(e);
      reported.add(e);
    }
  }

  return errors.sort(strcmp);
}
