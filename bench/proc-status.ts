// A process's memory figures as Linux reports them in /proc/PID/status, for the benches.

import * as fs from 'node:fs';

/** A `NAME: N kB` field of /proc/PID/status (VmRSS, VmHWM, ...), 0 when the process or field is gone. */
export function statusKB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
