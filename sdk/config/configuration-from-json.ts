// A cluster configuration in JSON (the layout of `zeek-client get-config --as-json`,
// see sdk/model/configuration-file-schema.ts) into a Configuration. zeek-client itself
// only stages .ini files; our CLI and provider accept this form too. Validation is the
// zod schema's; problems are reported with the path of the offending field. The same
// simplifications as for .ini files apply (see configuration-from-ini.ts).

import { randomUUID } from 'node:crypto';
import { parse as parseLossless } from 'lossless-json';
import { hostname as osHostname } from 'node:os';
import { ConfigurationFileSchema } from '../model/configuration-file-schema';
import { Configuration, Instance, Node } from '../model/schemas';
import { ConfigFileError } from './config-file-error';
import { instancesImpliedByNodes, ParseConfigurationOptions } from './configuration-from-ini';
import { impliedInstanceName } from './node-from-ini';

/** Formats a validation path as nodes[2].env["MY VAR"]. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(top level)';
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Why JSON.parse refused the text, with a line number: lossless-json's messages carry the position, V8's do not always. */
function jsonSyntaxProblem(text: string, fallback: string): { reason: string; line?: number } {
  try {
    parseLossless(text);
  } catch (err) {
    const msg = (err as Error).message;
    const m = /^(.*) at position (\d+)$/.exec(msg);
    if (m) {
      const { line, column } = lineAndColumn(text, Number(m[2]));
      return { reason: `${m[1]} (column ${column})`, line };
    }
    return { reason: msg };
  }
  return { reason: fallback };
}

/**
 * Parses JSON cluster configuration text. The file's "id" wins; without one, opts.id or a
 * fresh UUID. The second argument may be just the file name. Throws ConfigFileError
 * naming the file and the field.
 */
export function parseConfigurationJson(text: string, options: ParseConfigurationOptions | string = {}): Configuration {
  const opts: ParseConfigurationOptions = typeof options === 'string' ? { fileName: options } : options;
  const fileName = opts.fileName ?? '<string>';
  const source = text.startsWith('\ufeff') ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    const problem = jsonSyntaxProblem(source, (err as Error).message);
    throw new ConfigFileError({ fileName, line: problem.line }, `invalid JSON: ${problem.reason}`);
  }

  const parsed = ConfigurationFileSchema.safeParse(raw);
  if (!parsed.success) {
    const [first, ...more] = parsed.error.issues;
    const also = more.map((i) => `${formatFieldPath(i.path)}: ${i.message}`);
    throw new ConfigFileError({ fileName, path: formatFieldPath(first.path) },
      first.message + (also.length > 0 ? `; also ${also.join('; ')}` : ''));
  }
  const file = parsed.data;

  const seenNodes = new Map<string, number>();
  file.nodes.forEach((n, i) => {
    const prev = seenNodes.get(n.name);
    if (prev !== undefined) {
      throw new ConfigFileError({ fileName, path: `nodes[${i}].name` }, `node "${n.name}" is defined more than once (also nodes[${prev}])`);
    }
    seenNodes.set(n.name, i);
  });
  const seenInstances = new Map<string, number>();
  (file.instances ?? []).forEach((inst, i) => {
    const prev = seenInstances.get(inst.name);
    if (prev !== undefined) {
      throw new ConfigFileError({ fileName, path: `instances[${i}].name` }, `instance "${inst.name}" is defined more than once (also instances[${prev}])`);
    }
    seenInstances.set(inst.name, i);
  });

  const instanceFree = file.nodes.map((n, i) => [n, i] as const).filter(([n]) => n.instance === undefined);
  if (instanceFree.length > 0) {
    if (instanceFree.length !== file.nodes.length) {
      throw new ConfigFileError({ fileName, path: `nodes[${instanceFree[0][1]}].instance` },
        `either all or no nodes must state instances (node "${instanceFree[0][0].name}" has no instance)`);
    }
    if (file.instances !== undefined) {
      throw new ConfigFileError({ fileName, path: 'instances' }, 'omit instances when skipping instances in node definitions');
    }
  }

  const implied = impliedInstanceName(opts.hostname ?? (osHostname() || 'localhost'));
  const nodes: Node[] = file.nodes.map((n) => ({
    name: n.name,
    instance: n.instance ?? implied,
    role: n.role,
    state: 'RUNNING',
    port: n.port,
    scripts: n.scripts,
    options: n.options,
    interface: n.interface,
    cpu_affinity: n.cpu_affinity,
    env: n.env,
    metrics_port: n.metrics_port,
  }));
  // zod rebuilds records by assignment, which drops a key named "__proto__"; the values
  // are validated strings, so take the env objects from the input as they are.
  const rawNodes = (raw as { nodes?: { env?: Record<string, string> }[] }).nodes ?? [];
  nodes.forEach((n, i) => {
    const env = rawNodes[i]?.env;
    if (env !== undefined) n.env = Object.fromEntries(Object.entries(env));
  });
  const instances: Instance[] = file.instances === undefined
    ? instancesImpliedByNodes(nodes)
    : file.instances.map((i) => ({ name: i.name, host: i.host ?? '0.0.0.0', listen_port: i.port ?? null }));

  return { id: file.id ?? opts.id ?? randomUUID(), instances, nodes };
}
