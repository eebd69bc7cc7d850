// Runs a Python 3 snippet (standard library only) as a reference implementation for
// differential tests: Python's configparser, shlex and json define the behaviour
// zeek-client has. Where no python3 is installed, those tests are skipped.

import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

export function python3Available(): boolean {
  if (available === undefined) {
    const r = spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 8)'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

/** Runs `script` with `input` (JSON) on stdin; returns its stdout parsed as JSON. */
export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', script], {
    input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONHASHSEED: '0' },
  });
  if (r.status !== 0) throw new Error(`python3 failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
