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
