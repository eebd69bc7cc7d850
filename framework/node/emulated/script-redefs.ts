// What loading a user script does to the globals an emulated node knows: its
// `redef NAME = VALUE;` statements for node-visible settings. Other statements have
// effects an emulated node cannot reproduce and are skipped.

import { SETTINGS } from '../../settings/registry';
import { parseTyped, SettingValue } from '../../settings/types';

const REDEF = /^\s*redef\s+([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*([^;]+);/gm;

export function parseRedefLenient(text: string): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const m of text.replace(/#[^\n"]*$/gm, '').matchAll(REDEF)) {
    const def = SETTINGS.get(m[1]);
    if (!def?.node) continue;
    try {
      out[m[1]] = parseTyped(m[2], def.type, def.enumValues);
    } catch {
      // A value this node cannot interpret leaves the global as it was.
    }
  }
  return out;
}

/**
 * What an emulated node understands of a site's scripts, for get-id-value (ours; the
 * README's "Site policy" says the same): statements on one line of the form
 * `const|global|option|redef NAME [: TYPE] = LITERAL [&redef];` where LITERAL is a count
 * or integer, T or F, a double-quoted string without escapes other than \" and \\, an
 * IPv4 address or subnet, or a port (`80/tcp`). Each gives NAME the JSON text Zeek's
 * to_json would give that value; a later statement wins, as a later redef does. Anything
 * else (`+=`, records, tables, expressions, functions, events) is not understood and
 * changes nothing: real Zeek runs the site's scripts, an emulated node does not.
 */
const SITE_DECL = /^\s*(?:const|global|option|redef)\s+([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)\s*(?::\s*[A-Za-z_][A-Za-z0-9_:]*\s*)?=\s*(.+?)\s*(?:&redef\s*)?;\s*(?:#.*)?$/;

export function siteLiteralJson(lit: string): string | null {
  const t = lit.trim();
  if (/^[0-9]+$/.test(t) || /^[+-][0-9]+$/.test(t)) return String(BigInt(t));
  if (t === 'T') return 'true';
  if (t === 'F') return 'false';
  const str = /^"((?:[^"\\]|\\["\\])*)"$/.exec(t);
  if (str) return JSON.stringify(str[1].replace(/\\(["\\])/g, '$1'));
  const ip = '(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])';
  if (new RegExp(`^${ip}\\.${ip}\\.${ip}\\.${ip}$`).test(t)) return JSON.stringify(t);
  if (new RegExp(`^${ip}\\.${ip}\\.${ip}\\.${ip}/(?:3[0-2]|[12]?[0-9])$`).test(t)) return JSON.stringify(t);
  const port = /^([0-9]{1,5})\/(tcp|udp|icmp|unknown)$/.exec(t);
  if (port && Number(port[1]) <= 65535) return JSON.stringify({ port: Number(port[1]), proto: port[2] });
  return null;
}

/** The identifiers a site script (and the site scripts it @loads) sets, as JSON text. */
export function siteValues(file: string, siteDir: string, out: Record<string, string> = {}, seen = new Set<string>()): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const real = path.resolve(file);
  if (seen.has(real)) return out;
  seen.add(real);
  let text: string;
  try {
    text = fs.readFileSync(real, 'utf8');
  } catch {
    return out;
  }
  const root = path.resolve(siteDir) + path.sep;
  for (const line of text.split('\n')) {
    const load = /^\s*@load\s+(\S+)/.exec(line);
    if (load) {
      const name = load[1];
      const bases = name.startsWith('./') || name.startsWith('../') ? [path.dirname(real)] : [path.dirname(real), siteDir];
      for (const base of bases) {
        const p = path.resolve(base, name);
        const hit = [p, `${p}.zeek`, path.join(p, '__load__.zeek')].find((c) => c.startsWith(root) && fs.existsSync(c) && fs.statSync(c).isFile());
        if (hit) {
          siteValues(hit, siteDir, out, seen);
          break;
        }
      }
      continue;
    }
    const m = SITE_DECL.exec(line);
    if (!m) continue;
    const json = siteLiteralJson(m[2]);
    if (json !== null) out[m[1]] = json;
  }
  return out;
}
