// A Configuration as .ini text, byte for byte what `zeek-client get-config` prints
// (Configuration.to_config_parser() followed by configparser.write()):
//   - [instances] first (omitted when there are none), instances sorted by name; a bare
//     key for an instance whose agent connects to the controller (no listen port),
//     "host:port" otherwise (IPv6 hosts without brackets, as zeek-client writes them);
//     the key is the instance name lowercased, because configparser lowercases keys;
//   - then one section per node, sorted by name, keys in the order instance, role
//     (upper-case), port, scripts, interface, cpu_affinity, env, metrics_port; unset
//     ones omitted, as are an empty scripts list and an empty env; the state is not written;
//   - scripts sorted and joined by spaces, env as KEY=VAL pairs sorted by key; a script or
//     value containing whitespace is put in double quotes (nothing else is escaped);
//   - an empty line after each section, the last one included.
// One deliberate difference: a "%" in a value is written as "%%". zeek-client's
// configparser refuses such values (ValueError) or, for "%(name)s", would write text that
// reads back as something else; "%%" reads back as "%" in both zeek-client and here.

import { Configuration, Node } from '../model/schemas';
import { DEFAULT_SECTION } from './ini-parse';
import { INSTANCES_SECTION } from './instances-from-ini';
import { IniWriteSection, writeIni } from './ini-write';
import { pySorted, pySortedBy, pySplitWhitespace } from './python-string';

/** Escapes "%" for configparser's interpolation. */
function iniValue(value: string): string {
  return value.replace(/%/g, '%%');
}

/** zeek-client's quoting: double quotes around anything that Python's str.split() would split. */
function quoteIfSpaced(value: string): string {
  return pySplitWhitespace(value).length > 1 ? `"${value}"` : value;
}

function nodeEntries(node: Node): [string, string | null][] {
  const entries: [string, string][] = [
    ['instance', node.instance],
    ['role', node.role],
  ];
  if (node.port !== null) entries.push(['port', String(node.port)]);
  if (node.scripts !== null && node.scripts.length > 0) {
    entries.push(['scripts', pySorted(node.scripts).map(quoteIfSpaced).join(' ')]);
  }
  if (node.interface !== null) entries.push(['interface', node.interface]);
  if (node.cpu_affinity !== null) entries.push(['cpu_affinity', String(node.cpu_affinity)]);
  const envKeys = pySorted(Object.keys(node.env));
  if (envKeys.length > 0) {
    entries.push(['env', envKeys.map((k) => `${k}=${quoteIfSpaced(node.env[k])}`).join(' ')]);
  }
  if (node.metrics_port !== null) entries.push(['metrics_port', String(node.metrics_port)]);
  return entries.map(([k, v]) => [k, iniValue(v)]);
}

/** Renders the configuration as zeek-client's get-config prints it (ends with an empty line). */
export function configurationToIni(cfg: Configuration): string {
  // A Map keeps configparser's section order: insertion order, a re-set key keeping its place.
  const sections = new Map<string, IniWriteSection>();

  if (cfg.instances.length > 0) {
    const entries = new Map<string, string | null>();
    for (const inst of pySortedBy(cfg.instances, (i) => i.name)) {
      entries.set(inst.name.toLowerCase(), inst.listen_port !== null ? `${inst.host}:${inst.listen_port}` : null);
    }
    sections.set(INSTANCES_SECTION, { name: INSTANCES_SECTION, entries: [...entries] });
  }

  for (const node of pySortedBy(cfg.nodes, (n) => n.name)) {
    if (node.name === INSTANCES_SECTION || node.name === DEFAULT_SECTION) {
      // zeek-client fails on these too: configparser cannot hold a node section by that name.
      throw new Error(`cannot write node "${node.name}" to an .ini file: [${node.name}] is a reserved section name`);
    }
    sections.delete(node.name); // a repeated node name: the later node replaces the earlier
    sections.set(node.name, { name: node.name, entries: nodeEntries(node) });
  }

  return writeIni([...sections.values()]);
}
