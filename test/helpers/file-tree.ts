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

/** The text of every regular file below dir under 1 MiB, concatenated (logs a run wrote); '' when dir does not exist. */
export function textBelow(dir: string): string {
  let text = '';
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 1 << 20) text += fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return text;
}
