// Turning the resource's inputs into a Management::Configuration and back into the
// canonical map form the resource keeps in its inputs and outputs.
//
// Typed inputs follow zeek-client's rules for .ini files: either every node names its
// instance or none does (then "agent-<hostname>" is implied); without instances, the
// instances the nodes name are agents that connect to the controller.

import * as os from 'node:os';
import { instancesImpliedByNodes } from '../sdk/config/configuration-from-ini';
import { impliedInstanceName } from '../sdk/config/node-from-ini';
import { Configuration, Instance, Node, Option } from '../sdk/model/schemas';
import type { ConfigurationDiff } from '../sdk/plan/diff';
import {
  CanonicalConfiguration, CanonicalInstance, CanonicalNode, InstanceInput, NodeInputParsed,
} from './inputs';

const ANY_HOST = '0.0.0.0';

export class ConfigurationInputError extends Error {
  override readonly name = 'ConfigurationInputError';
  constructor(message: string, readonly property = '') {
    super(message);
  }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the Configuration a typed input describes (zeek-client's rules for an .ini). */
export function configurationFromTyped(
  id: string,
  instances: Record<string, InstanceInput> | undefined,
  nodes: Record<string, NodeInputParsed>,
  hostname?: string,
): Configuration {
  const names = Object.keys(nodes).sort(byName);
  const free = names.filter((n) => nodes[n].instance === undefined);
  let implied: string | null = null;
  if (free.length > 0) {
    if (free.length !== names.length) {
      const named = names.find((n) => nodes[n].instance !== undefined) as string;
      throw new ConfigurationInputError(`either all or no nodes must state instances (node "${free[0]}" names none, node "${named}" names "${nodes[named].instance}")`, 'nodes');
    }
    if (instances !== undefined && Object.keys(instances).length > 0) {
      throw new ConfigurationInputError('omit instances when skipping instances in node definitions', 'instances');
    }
    implied = impliedInstanceName(hostname ?? os.hostname());
  }
  const outNodes: Node[] = names.map((name) => nodeFromFields(name, nodes[name].instance ?? implied!, nodes[name]));
  let outInstances: Instance[];
  if (instances !== undefined && Object.keys(instances).length > 0) {
    outInstances = Object.keys(instances).sort(byName).map((name) => ({
      name,
      host: instances[name].host ?? ANY_HOST,
      listen_port: instances[name].listen_port ?? null,
    }));
  } else {
    outInstances = instancesImpliedByNodes(outNodes);
  }
  return { id, instances: outInstances, nodes: outNodes };
}

function optionsFromMap(m: Record<string, string>): Option[] {
  return Object.keys(m).sort(byName).map((name) => ({ name, value: m[name] }));
}

export function canonicalNode(n: Node): CanonicalNode {
  const c: CanonicalNode = { instance: n.instance, role: n.role };
  if (n.port !== null) c.port = n.port;
  if (n.metrics_port !== null) c.metrics_port = n.metrics_port;
  if (n.scripts !== null && n.scripts.length > 0) c.scripts = [...n.scripts];
  const envKeys = Object.keys(n.env).sort(byName);
  if (envKeys.length > 0) c.env = Object.fromEntries(envKeys.map((k) => [k, n.env[k]]));
  if (n.interface !== null && n.interface !== '') c.interface = n.interface;
  if (n.cpu_affinity !== null) c.cpu_affinity = n.cpu_affinity;
  if (n.options !== null && n.options.length > 0) {
    c.options = Object.fromEntries([...n.options].sort((a, b) => byName(a.name, b.name)).map((o) => [o.name, o.value]));
  }
  return c;
}

export function canonicalInstance(i: Instance): CanonicalInstance {
  const c: CanonicalInstance = {};
  if (i.host !== ANY_HOST && i.host !== '') c.host = i.host;
  if (i.listen_port !== null) c.listen_port = i.listen_port;
  return c;
}

/** The map form of a configuration, keyed by name, in name order. */
export function canonicalConfiguration(config: Configuration): CanonicalConfiguration {
  const instances: Record<string, CanonicalInstance> = {};
  for (const i of [...config.instances].sort((a, b) => byName(a.name, b.name))) instances[i.name] = canonicalInstance(i);
  const nodes: Record<string, CanonicalNode> = {};
  for (const n of [...config.nodes].sort((a, b) => byName(a.name, b.name))) nodes[n.name] = canonicalNode(n);
  return { instances, nodes };
}

/** Back from the map form to a Management::Configuration. */
export function configurationFromCanonical(id: string, c: CanonicalConfiguration): Configuration {
  return {
    id,
    instances: Object.keys(c.instances).sort(byName).map((name) => ({
      name,
      host: c.instances[name].host ?? ANY_HOST,
      listen_port: c.instances[name].listen_port ?? null,
    })),
    nodes: Object.keys(c.nodes).sort(byName).map((name) => nodeFromFields(name, c.nodes[name].instance, c.nodes[name])),
  };
}

/**
 * The inputs a read() reports for a deployed configuration: the deployed one, except that
 * ports the previous inputs left to the controller (unset for a node that was already
 * there) stay unset, and instance hosts the controller filled in from peering stay
 * unset, so a preview after a refresh shows only what really changed. Nodes added out
 * of band keep every field the controller reports.
 */
export function inputsFromDeployed(deployed: CanonicalConfiguration, previous: CanonicalConfiguration | undefined): CanonicalConfiguration {
  const nodes: Record<string, CanonicalNode> = {};
  for (const [name, d] of Object.entries(deployed.nodes)) {
    const before = previous?.nodes[name];
    const n: CanonicalNode = { ...d };
    if (before !== undefined && before.port === undefined) delete n.port;
    if (before !== undefined && before.metrics_port === undefined) delete n.metrics_port;
    nodes[name] = n;
  }
  const instances: Record<string, CanonicalInstance> = {};
  for (const [name, d] of Object.entries(deployed.instances)) {
    const before = previous?.instances[name];
    const i: CanonicalInstance = { ...d };
    if (d.listen_port === undefined && (before === undefined || before.host === undefined)) delete i.host;
    instances[name] = i;
  }
  return { instances, nodes };
}

// ---- describing a difference ------------------------------------------------------
// The difference itself is sdk/plan's diffConfigurations (shared with the CLI's plan).

/** One line per change, e.g. "~ node worker-01: interface \"eth0\" -> \"eth1\"". */
export function describeChanges(diff: ConfigurationDiff): string[] {
  const sign = { add: '+', remove: '-', update: '~' } as const;
  return diff.changes.map((c) => {
    const head = `${sign[c.action]} ${c.kind} ${c.name}`;
    if (c.fields.length === 0) return head;
    return `${head}: ${c.fields.map((f) => `${f.field} ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)}`).join(', ')}`;
  });
}

/** A Management::Node from the fields a node has in the provider's map forms (input or canonical). */
function nodeFromFields(name: string, instance: string, n: NodeInputParsed | CanonicalNode): Node {
  return {
    name,
    instance,
    role: n.role,
    state: 'RUNNING',
    port: n.port ?? null,
    scripts: n.scripts && n.scripts.length > 0 ? [...n.scripts] : null,
    options: n.options && Object.keys(n.options).length > 0 ? optionsFromMap(n.options) : null,
    interface: n.interface ?? null,
    cpu_affinity: n.cpu_affinity ?? null,
    env: { ...(n.env ?? {}) },
    metrics_port: n.metrics_port ?? null,
  };
}
