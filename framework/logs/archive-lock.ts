// The archival lock: a file in the log queue that says which process is archiving it.
// It is created whole (written under a private name, then hard-linked into place, which
// fails if a lock exists), so a reader never sees a half-written lock. A lock whose
// process is gone — crashed, killed — is stale: its pid no longer runs, or runs a
// different process (the recorded start time from /proc differs). A stale lock is
// moved aside, checked to be the very lock judged stale, and removed; then the next
// attempt takes the lock.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.zeek-mgmt-archiver.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc/<pid>/stat (clock ticks since boot), or null where unavailable. */
  procStart: string | null;
  /** When the lock was taken (ms since the epoch). */
  since: number;
  /** Unique per acquisition, so a lock moved aside can be recognised. */
  token: string;
}

export type LockResult = { ok: true; lock: ArchiveLock } | { ok: false; holder: LockInfo | null; reason: string };

/** Field 22 of /proc/<pid>/stat: the process's start time, which tells a reused pid apart. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is rest[19]. A zombie has exited.
    if (rest[0] === 'Z') return null;
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote this lock still runs. Locks from other hosts count as live. */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (!processRuns(info.pid)) return false;
  const start = processStartTime(info.pid);
  if (info.procStart !== null && start !== null && start !== info.procStart) return false; // the pid was reused
  if (start === null && fs.existsSync('/proc/self/stat')) return false; // a zombie: exited, not yet reaped
  return true;
}

function parseLock(text: string): LockInfo | null {
  try {
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j.pid !== 'number' || !Number.isInteger(j.pid) || j.pid <= 0 || typeof j.host !== 'string' || typeof j.token !== 'string') return null;
    return { pid: j.pid, host: j.host, procStart: typeof j.procStart === 'string' ? j.procStart : null, since: typeof j.since === 'number' ? j.since : 0, token: j.token };
  } catch {
    return null;
  }
}

function readLock(file: string): { text: string; info: LockInfo | null } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { text, info: parseLock(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class ArchiveLock {
  private released = false;

  private constructor(readonly file: string, readonly info: LockInfo) {}

  /** Takes the lock of `dir`, or says who holds it. Stale locks are broken. */
  static acquire(dir: string): LockResult {
    const file = path.join(dir, LOCK_FILE);
    const info: LockInfo = {
      pid: process.pid, host: os.hostname(), procStart: processStartTime(process.pid), since: Date.now(),
      token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    };
    const mine = path.join(dir, `${LOCK_FILE}.${info.token}`);
    const fd = fs.openSync(mine, 'wx', 0o644);
    try {
      fs.writeSync(fd, JSON.stringify(info) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          fs.linkSync(mine, file);
          return { ok: true, lock: new ArchiveLock(file, info) };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const held = readLock(file);
        if (held === null) continue; // released meanwhile
        // A lock that does not parse cannot be half-written (it is linked in whole): not ours to judge, unless it is empty junk.
        if (held.info !== null && holderAlive(held.info)) return { ok: false, holder: held.info, reason: `archival already running (pid ${held.info.pid} on ${held.info.host})` };
        if (held.info === null && held.text.trim() !== '') return { ok: false, holder: null, reason: `unreadable lock file ${file}; remove it if no archival is running` };
        ArchiveLock.breakStale(file, held.text);
      }
      return { ok: false, holder: null, reason: `could not take ${file}: it keeps changing` };
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /** Removes the stale lock whose content is `staleText`, leaving a newer lock in place. */
  private static breakStale(file: string, staleText: string): void {
    const aside = `${file}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      fs.renameSync(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it
      throw err;
    }
    const moved = fs.readFileSync(aside, 'utf8');
    if (moved !== staleText) {
      // Between reading and moving, the stale lock was replaced by a live one: put it back.
      try {
        fs.linkSync(aside, file);
      } catch {
        // Another lock appeared in the meantime; that holder goes on, this one is dropped.
      }
    }
    fs.rmSync(aside, { force: true });
  }

  /** Lock info of a directory, for reports and tests. */
  static inspect(dir: string): LockInfo | null {
    return readLock(path.join(dir, LOCK_FILE))?.info ?? null;
  }

  /** Gives the lock up (only if the file is still this lock). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const held = readLock(this.file);
    if (held?.info?.token === this.info.token) fs.rmSync(this.file, { force: true });
  }
}
