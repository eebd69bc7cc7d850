// Where V8 CPU profiles (.cpuprofile, as bench/cpu-profile-preload.ts or --cpu-prof write
// them) spend their samples: the top functions by self samples and by source file, summed
// over several profiles (all agents of a run, say), optionally only within a time window.
//
// Samples are counted, not weighted by their time deltas: a process that waits for a CPU
// on a busy machine gets one late sample for the whole wait, which its delta would
// attribute to whatever ran next. A count is therefore close to CPU time in sampling
// intervals (1 ms by default), except in synchronous calls that block (a spawn waiting for
// the child's exec, say), which are sampled while they wait.
//
// Usage: node dist/bench/cpu-profile-top.js [--top N] [--window FILE] [--interval-ms MS] PROFILE...
//   --window FILE  a JSON {startUs, endUs} on the profiles' clock (CLOCK_MONOTONIC, µs), as
//                  bench/netns-scale.ts --cpu-prof writes: only samples within it count

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface Profile { nodes: Array<{ id: number; callFrame: CallFrame }>; startTime: number; samples: number[]; timeDeltas: number[] }

export function topOf(profiles: Profile[], window: { startUs: number; endUs: number } | null): { total: number; idle: number; byFunction: Map<string, number>; byFile: Map<string, number> } {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const p of profiles) {
    const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      if (window && (t < window.startUs || t > window.endUs)) continue;
      const f = frames.get(p.samples[i]);
      if (!f) continue;
      if (f.functionName === '(idle)') {
        idle++;
        continue;
      }
      total++;
      const file = f.url.replace(/^.*\/dist\//, '').replace(/^file:\/\/.*\/node_modules\//, '') || f.functionName;
      const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
      byFile.set(file, (byFile.get(file) ?? 0) + 1);
    }
  }
  return { total, idle, byFunction, byFile };
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string' }, window: { type: 'string' }, 'interval-ms': { type: 'string' } }, allowPositionals: true });
  const top = values.top !== undefined ? Number(values.top) : 25;
  const interval = values['interval-ms'] !== undefined ? Number(values['interval-ms']) : 1;
  if (!Number.isInteger(top) || top < 1) throw new Error(`--top needs a positive whole number, got ${JSON.stringify(values.top)}`);
  if (!(interval > 0)) throw new Error(`--interval-ms needs a positive number, got ${JSON.stringify(values['interval-ms'])}`);
  if (positionals.length === 0) throw new Error('name one or more .cpuprofile files');
  const window = values.window ? JSON.parse(fs.readFileSync(values.window, 'utf8')) as { startUs: number; endUs: number } : null;
  const profiles = positionals.map((f) => {
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as Profile;
    } catch (err) {
      throw new Error(`${f}: not a readable CPU profile (${(err as Error).message})`);
    }
  });
  const r = topOf(profiles, window);
  const ms = (n: number): string => `${(n * interval).toFixed(0).padStart(7)} ms ${(100 * n / Math.max(1, r.total)).toFixed(1).padStart(5)}%`;
  console.log(`${profiles.length} profiles${window ? ', within the window' : ''}: ${r.total} busy samples (~${(r.total * interval / profiles.length).toFixed(0)} ms per profile), ${r.idle} idle`);
  const list = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, n]) => `${ms(n)}  ${k}`).join('\n');
  console.log(`-- by function (self)\n${list(r.byFunction)}\n-- by file (self)\n${list(r.byFile)}`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
