// A whole cluster configuration .ini into a Configuration, as zeek-client's
// Configuration.from_config_parser does:
//   - [instances] lists the instances (see instances-from-ini.ts); every other section is
//     a cluster node named after the section (see node-from-ini.ts);
//   - outside [instances], a key without a value counts as absent (zeek-client's check
//     for them is dead code), though it still marks the node as naming an instance;
//   - instance-local simplification: when no node names an instance, all run on
//     "agent-<hostname>" and the file must not have an [instances] section; either all
//     nodes name an instance or none does;
//   - agent-to-controller simplification: without an [instances] section, the instances
//     are the nodes' instance names (sorted), all connecting to the controller.
// zeek-client also skips (with a warning) a node section that appears twice, but
// configparser's strict mode has already rejected the file by then, so here a repeated
// section is the parse error from ini-parse.ts. Nodes keep their file order.

import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { Configuration, Instance, Node } from '../model/schemas';
import { ConfigFileError, ConfigWarning } from './config-file-error';
import { IniDocument, parseIni } from './ini-parse';
import { instancesFromIni, INSTANCES_SECTION } from './instances-from-ini';
import { nodeFromIni } from './node-from-ini';
import { pySortedBy } from './python-string';

export interface ParseConfigurationOptions {
  /** Name for error messages: the file path, '<stdin>' or '<string>' (the default). */
  fileName?: string;
  /** Host name for the implied "agent-<hostname>" instance; default os.hostname(). */
  hostname?: string;
  /** Configuration id; default a fresh random UUID. */
  id?: string;
  /** Receives zeek-client's warnings (unexpected keys, ignored node state). */
  onWarning?: (w: ConfigWarning) => void;
}

/** The instances implied by nodes when the configuration lists none: one per instance name, sorted. */
export function instancesImpliedByNodes(nodes: readonly Node[]): Instance[] {
  const names = [...new Set(nodes.map((n) => n.instance))];
  return pySortedBy(names, (n) => n).map((name) => ({ name, host: '0.0.0.0', listen_port: null }));
}

export function configurationFromIni(doc: IniDocument, opts: ParseConfigurationOptions = {}): Configuration {
  const hostname = opts.hostname ?? (osHostname() || 'localhost');
  const onWarning = opts.onWarning ?? (() => undefined);
  let instances: Instance[] = [];
  const nodes: Node[] = [];
  const instanceFreeNodes: string[] = [];

  for (const section of doc.sections()) {
    if (section === INSTANCES_SECTION) {
      instances = instancesFromIni(doc);
      continue;
    }
    // zeek-client means to reject value-less keys here ("config item <section>.<key> needs
    // a value"), but its check never fires: ConfigParser.items() turns them into "" first.
    // So they are accepted and act as absent; we add a warning. items() also runs the
    // interpolation of every value, whose errors surface here as in zeek-client.
    for (const [key, value] of doc.items(section)) {
      if (value === null) {
        onWarning({ fileName: doc.fileName, section, key, line: doc.entry(section, key)?.line, message: `ignoring value-less key "${key}"` });
      }
    }
    if (!doc.hasOption(section, 'instance')) instanceFreeNodes.push(section);
    nodes.push(nodeFromIni(doc, section, { hostname, onWarning }));
  }

  if (instanceFreeNodes.length > 0) {
    if (instanceFreeNodes.length !== nodes.length) {
      const withInstance = nodes.find((n) => !instanceFreeNodes.includes(n.name)) as Node;
      throw new ConfigFileError({
        fileName: doc.fileName, section: instanceFreeNodes[0], key: 'instance', line: doc.section(instanceFreeNodes[0])?.line,
      }, `either all or no nodes must state instances (node "${instanceFreeNodes[0]}" has no instance key, node "${withInstance.name}" has one)`);
    }
    if (doc.hasSection(INSTANCES_SECTION)) {
      throw new ConfigFileError({ fileName: doc.fileName, section: INSTANCES_SECTION, line: doc.section(INSTANCES_SECTION)?.line },
        'omit instances section when skipping instances in node definitions');
    }
  }

  if (!doc.hasSection(INSTANCES_SECTION)) instances = instancesImpliedByNodes(nodes);

  return { id: opts.id ?? randomUUID(), instances, nodes };
}

/** Parses cluster configuration .ini text as zeek-client's stage-config/deploy-config does. Throws ConfigFileError. */
export function parseConfigurationIni(text: string, opts: ParseConfigurationOptions = {}): Configuration {
  return configurationFromIni(parseIni(text, opts.fileName ?? '<string>'), opts);
}
