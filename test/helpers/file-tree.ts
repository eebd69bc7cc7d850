// The files below a directory, for tests that check what a run left on disk.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Relative paths ('/'-separated) of every file below dir, sorted; [] when dir does not exist. */
export function fileTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}
