// A Configuration as `zeek-client get-config --as-json` prints it: the data of
// Configuration.to_json_data() through json.dumps(sort_keys=True, indent=2), plus the
// newline zeek-client writes after it.
//   - instances sorted by name; {"name"} for an agent that connects to the controller,
//     {"name", "host"} for a known host without a port, {"name", "host", "port"} otherwise;
//   - nodes sorted by name, with name, instance, role, port, scripts, options, interface,
//     cpu_affinity, env and metrics_port (null when unset); the state is left out;
//   - zeek-client cannot print node options at all (its JSON encoder rejects them); we
//     print them as {"name", "value"} objects.

import { Configuration, Instance, Node } from '../model/schemas';
import { pythonJsonDumps } from './python-json';
import { pySortedBy } from './python-string';

export function instanceToJsonData(inst: Instance): Record<string, unknown> {
  if (inst.listen_port !== null) return { name: inst.name, host: inst.host, port: inst.listen_port };
  if (inst.host !== '0.0.0.0') return { name: inst.name, host: inst.host };
  return { name: inst.name };
}

export function nodeToJsonData(node: Node): Record<string, unknown> {
  return {
    name: node.name,
    instance: node.instance,
    role: node.role,
    port: node.port,
    scripts: node.scripts,
    options: node.options === null ? null : node.options.map((o) => ({ name: o.name, value: o.value })),
    interface: node.interface,
    cpu_affinity: node.cpu_affinity,
    env: node.env,
    metrics_port: node.metrics_port,
  };
}

/** zeek-client's Configuration.to_json_data(). */
export function configurationToJsonData(cfg: Configuration): Record<string, unknown> {
  return {
    id: cfg.id,
    instances: pySortedBy(cfg.instances, (i) => i.name).map(instanceToJsonData),
    nodes: pySortedBy(cfg.nodes, (n) => n.name).map(nodeToJsonData),
  };
}

export interface ConfigurationToJsonOptions {
  /** zeek-client's pretty_json setting (default true): indent 2, else a single line. */
  pretty?: boolean;
}

/** The exact text `zeek-client get-config --as-json` writes, trailing newline included. */
export function configurationToJson(cfg: Configuration, opts: ConfigurationToJsonOptions = {}): string {
  const indent = opts.pretty === false ? null : 2;
  return pythonJsonDumps(configurationToJsonData(cfg), { sortKeys: true, indent }) + '\n';
}
