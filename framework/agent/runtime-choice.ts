// Management::Agent::node_runtime: AUTO picks the zeek runtime when the zeek binary is
// on PATH (or Management::Agent::zeek_binary names an executable), else emulated nodes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings } from '../settings/settings';
import type { RuntimeName } from './agent';

export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | null {
  const candidates = name.includes('/') ? [path.resolve(name)] : envPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

export function chooseRuntime(settings: Settings, envPath?: string): RuntimeName {
  const r = settings.str('Management::Agent::node_runtime');
  if (r === 'Management::Agent::EMULATED') return 'emulated';
  if (r === 'Management::Agent::ZEEK') return 'zeek';
  return findExecutable(settings.str('Management::Agent::zeek_binary'), envPath) ? 'zeek' : 'emulated';
}
