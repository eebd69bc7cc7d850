// Where setting values come from: a file of `redef NAME = VALUE;` statements (Zeek's
// local.zeek style), environment variables, and NAME=VALUE command-line arguments.
// Each reader returns assignments; settings.ts applies them in order of precedence.

import { settingDef, similarSettings, SettingDef } from './registry';
import { LiteralError, parseRaw, parseTyped, SettingError, SettingValue } from './types';

export interface Assignment {
  name: string;
  value: SettingValue;
  /** Where it came from, for messages: "local.zeek:3", "ZEEK_AGENT_PORT", "argument 2". */
  origin: string;
}

function lookup(name: string, origin: string): SettingDef {
  const def = settingDef(name);
  if (def) return def;
  const near = similarSettings(name);
  throw new SettingError(`${origin}: unknown setting ${name}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
}

/** Removes `#` comments outside string literals, keeping line structure. */
function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Reads `redef NAME = VALUE;` statements. Comments, blank lines and `@load`-style
 * directives are skipped; any other statement, an unknown name or a value of the wrong
 * type is an error naming the file, line and setting.
 */
export function parseRedefText(text: string, file: string): Assignment[] {
  const src = stripComments(text);
  const out: Assignment[] = [];
  const errors: string[] = [];
  let pos = 0;
  let line = 1;
  const advance = (to: number): void => {
    for (; pos < to; pos++) if (src[pos] === '\n') line++;
  };
  while (pos < src.length) {
    const ws = /^\s*/.exec(src.slice(pos))![0];
    advance(pos + ws.length);
    if (pos >= src.length) break;
    const rest = src.slice(pos);
    if (rest.startsWith('@')) {
      const eol = rest.indexOf('\n');
      advance(eol < 0 ? src.length : pos + eol);
      continue;
    }
    const stmtLine = line;
    if (!/^redef\b/.test(rest)) {
      errors.push(`${file}:${stmtLine}: only "redef NAME = VALUE;" statements are supported, got "${rest.split('\n')[0].slice(0, 60)}"`);
      break;
    }
    const end = findStatementEnd(rest);
    if (end < 0) {
      errors.push(`${file}:${stmtLine}: statement does not end with ";"`);
      break;
    }
    const stmt = rest.slice(0, end).trim();
    advance(pos + end + 1);
    const m = /^redef\s+([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)\s*(\+?=|-=)\s*([\s\S]*)$/.exec(stmt);
    if (!m) {
      errors.push(`${file}:${stmtLine}: only "redef NAME = VALUE;" statements are supported, got "${stmt.split('\n')[0].slice(0, 60)}"`);
      continue;
    }
    const [, name, op, valueText] = m;
    const origin = `${file}:${stmtLine}`;
    try {
      if (op !== '=') throw new SettingError(`${origin}: ${name}: only "=" assignments are supported, not "${op}"`);
      const def = lookup(name, origin);
      let value: SettingValue;
      try {
        value = parseTyped(valueText, def.type, def.enumValues);
      } catch (err) {
        throw new SettingError(`${origin}: ${name}: ${(err as Error).message}`);
      }
      out.push({ name, value, origin });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new SettingError(errors.join('\n'));
  return out;
}

/** Index of the `;` ending the statement at the start of text, outside strings and brackets. */
function findStatementEnd(text: string): number {
  let inString = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') depth--;
    else if (c === ';' && depth <= 0) return i;
  }
  return -1;
}

/** Settings from the documented environment variables that are set (and non-empty). */
export function readEnvironment(env: NodeJS.ProcessEnv, defs: Iterable<SettingDef>): Assignment[] {
  const out: Assignment[] = [];
  const errors: string[] = [];
  for (const def of defs) {
    if (!def.env) continue;
    const raw = env[def.env];
    if (raw === undefined || raw === '') continue;
    try {
      out.push({ name: def.name, value: parseRaw(raw, def.type, def.enumValues), origin: `environment variable ${def.env}` });
    } catch (err) {
      errors.push(`environment variable ${def.env} (${def.name}): ${(err as LiteralError).message}`);
    }
  }
  if (errors.length) throw new SettingError(errors.join('\n'));
  return out;
}

/** Whether a command-line argument is a NAME=VALUE assignment (Zeek identifiers contain "::" or are plain names). */
export function isAssignmentArg(arg: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*=/.test(arg);
}

/** NAME=VALUE arguments, as Zeek takes them: strings verbatim, other types as Zeek values. */
export function parseAssignmentArgs(args: string[]): Assignment[] {
  const out: Assignment[] = [];
  const errors: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    const origin = `argument ${arg}`;
    try {
      const def = lookup(name, origin);
      try {
        out.push({ name, value: parseRaw(raw, def.type, def.enumValues), origin });
      } catch (err) {
        throw new SettingError(`${origin}: ${name}: ${(err as Error).message}`);
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new SettingError(errors.join('\n'));
  return out;
}
