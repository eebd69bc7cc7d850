// Command-line options of the bench scripts, read with Node's own util.parseArgs and
// checked by kind: every bench takes `--name value` options and flags, and refuses
// unknown options and bad values with a message naming them.

import { parseArgs } from 'node:util';

/** flag: present or not; count: a positive whole number; seconds: a positive number; counts: a comma-separated list of counts; text: any string. */
export type OptionKind = 'flag' | 'count' | 'seconds' | 'counts' | 'text';

type ValueOf<K extends OptionKind> =
  K extends 'flag' ? boolean : K extends 'count' | 'seconds' ? number : K extends 'counts' ? number[] : string | undefined;

export type Options<S extends Record<string, OptionKind>> = { [K in keyof S]: ValueOf<S[K]> };

function convert(name: string, kind: OptionKind, raw: string): number | number[] | string {
  switch (kind) {
    case 'count': {
      const v = Number(raw);
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive whole number, got ${JSON.stringify(raw)}`);
      return v;
    }
    case 'seconds': {
      const v = Number(raw);
      if (!(v > 0) || !Number.isFinite(v)) throw new Error(`--${name} needs a positive number of seconds, got ${JSON.stringify(raw)}`);
      return v;
    }
    case 'counts': {
      const vs = raw.split(',').map(Number);
      if (vs.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${name} needs a list of positive whole numbers like 1,16,64, got ${JSON.stringify(raw)}`);
      return vs;
    }
    default:
      return raw;
  }
}

/** Reads `argv` (default: this process's arguments) against `spec`; options not given take their value from `defaults`. */
export function readOptions<S extends Record<string, OptionKind>>(
  spec: S,
  defaults: { [K in keyof S]?: ValueOf<S[K]> },
  argv: string[] = process.argv.slice(2),
): Options<S> {
  const config: Record<string, { type: 'boolean' | 'string' }> = {};
  for (const [name, kind] of Object.entries(spec)) config[name] = { type: kind === 'flag' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: config, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new Error((err as Error).message); // unknown option, missing value, stray argument
  }
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(spec)) {
    const raw = values[name];
    if (raw === undefined) out[name] = (defaults as Record<string, unknown>)[name] ?? (kind === 'flag' ? false : undefined);
    else out[name] = typeof raw === 'boolean' ? raw : convert(name, kind, raw);
  }
  return out as Options<S>;
}
