// CPU time of processes as Linux reports it in /proc/PID/stat, for the benches.

import * as fs from 'node:fs';

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ; 100 on Linux). */
const CLK_TCK = 100;

/** utime, stime, cutime, cstime of /proc/PID/stat in ms; null when the process is gone. */
function statTimes(pid: number): number[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [f[11], f[12], f[13], f[14]].map((t) => Number(t) * (1000 / CLK_TCK));
  } catch {
    return null;
  }
}

/** A process's own CPU time (user + system, all its threads), in ms; 0 when gone. */
export function ownCpuMs(pid: number): number {
  const t = statTimes(pid);
  return t ? t[0] + t[1] : 0;
}

/** A process's own CPU time and that of its reaped children, in ms; 0 when gone. */
export function cpuWithReapedMs(pid: number): number {
  const t = statTimes(pid);
  return t ? t[0] + t[1] + t[2] + t[3] : 0;
}

/** This process's CPU time (user + system), in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
