// The version --version prints: the package's, read from its package.json (found by
// walking up from this file, which sits at a different depth in sdk/ and in dist/).

import * as fs from 'node:fs';
import * as path from 'node:path';

export function packageVersion(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const file = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zeek-mgmt' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; keep looking
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
