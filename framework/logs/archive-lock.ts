// The archival lock: a file in the log queue that says which process is archiving it.
// It is created whole (written under a private name, then hard-linked into place, which
// fails if a lock exists), so a reader never sees a half-written lock. A lock whose
// process is gone — crashed, killed — is stale: its pid no longer runs, or runs a
// different process (the recorded start time from /proc differs).
//
// A lock taken for an archive_cmd run also names the command's process group (the
// child's pid): it stays live while that group has a process, so an archive_cmd child
// that outlives a killed agent keeps the queue to itself until it is done.
//
// Breaking a stale lock: the breaker first takes the right to break that very lock — a
// marker file named after the stale lock's content, created exclusively (hard link, which
// fails if it exists) — then re-reads the lock, and unlinks it only if it is still the
// stale one. While a stale lock is in place nobody else can change it (acquirers' links
// fail, its holder is dead, and only the one marker holder may remove it), so the
// re-read cannot be outdated by the time of the unlink. A marker whose breaker died
// is not broken in turn: the next breaker takes the next generation of that marker.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.zeek-mgmt-archiver.lock';

/**
 * Set in an archive_cmd's environment to the token of the lock the agent holds for it,
 * so that zeek-mgmt's own archiver run as archive_cmd works under that lock instead of
 * finding the queue locked.
 */
export const LOCK_TOKEN_ENV = 'ZEEK_MGMT_ARCHIVE_LOCK_TOKEN';

export interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc/<pid>/stat (clock ticks since boot), or null where unavailable. */
  procStart: string | null;
  /** When the lock was taken (ms since the epoch). */
  since: number;
  /** Unique per acquisition. */
  token: string;
  /** The archive_cmd process group the lock is held for: its leader's pid (= the group id) and start time. */
  child?: { pid: number; procStart: string | null };
}

export type LockResult = { ok: true; lock: ArchiveLock } | { ok: false; holder: LockInfo | null; reason: string };

interface ProcStat {
  state: string;
  pgrp: number;
  /** Field 22: start time in clock ticks since boot, which tells a reused pid apart. */
  start: string;
}

function procStat(pid: number | string): ProcStat | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name: field 3 (state), 4 (ppid), 5 (pgrp), ... 22 (starttime).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest.length < 20) return null;
    return { state: rest[0], pgrp: Number(rest[2]), start: rest[19] };
  } catch {
    return null;
  }
}

/** The process's start time from /proc/<pid>/stat, or null when it is gone or a zombie (it has exited). */
export function processStartTime(pid: number): string | null {
  const st = procStat(pid);
  return st === null || st.state === 'Z' ? null : st.start;
}

const haveProc = (): boolean => fs.existsSync('/proc/self/stat');

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process `pid`, started at `procStart`, still runs (not gone, not a zombie, not a reused pid). */
function processAlive(pid: number, procStart: string | null): boolean {
  if (!processRuns(pid)) return false;
  const start = processStartTime(pid);
  if (procStart !== null && start !== null && start !== procStart) return false; // the pid was reused
  if (start === null && haveProc()) return false; // a zombie: exited, not yet reaped
  return true;
}

/**
 * Whether the process group led by `pgid` (its leader started at `leaderStart`) still has
 * a running process. A group id is not handed out as a pid while the group exists, so a
 * leader pid that now runs another process means the group is gone.
 */
export function groupAlive(pgid: number, leaderStart: string | null): boolean {
  if (!haveProc()) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const leader = procStat(pgid);
  if (leader !== null && leader.state !== 'Z') return leaderStart === null || leader.start === leaderStart;
  // The leader has exited; anything it started may still run in its group.
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(d);
    if (st !== null && st.pgrp === pgid && st.state !== 'Z') return true;
  }
  return false;
}

/**
 * Whether the lock's holder still runs: the process that took it, or, for an archive_cmd
 * run, any process of the command's group. Locks from other hosts count as live.
 */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (processAlive(info.pid, info.procStart)) return true;
  return info.child !== undefined && groupAlive(info.child.pid, info.child.procStart);
}

function parseLock(text: string): LockInfo | null {
  try {
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j.pid !== 'number' || !Number.isInteger(j.pid) || j.pid <= 0 || typeof j.host !== 'string' || typeof j.token !== 'string') return null;
    const info: LockInfo = { pid: j.pid, host: j.host, procStart: typeof j.procStart === 'string' ? j.procStart : null, since: typeof j.since === 'number' ? j.since : 0, token: j.token };
    const c = j.child as Partial<NonNullable<LockInfo['child']>> | undefined;
    if (c !== undefined && c !== null) {
      if (typeof c.pid !== 'number' || !Number.isInteger(c.pid) || c.pid <= 0) return null;
      info.child = { pid: c.pid, procStart: typeof c.procStart === 'string' ? c.procStart : null };
    }
    return info;
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

/** Writes `text` to a new file `file` (which must not exist) and fsyncs it. */
function writeNew(file: string, text: string): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** link(2) that reports EEXIST as false. */
function linkExclusive(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

const BREAK_MARK = '.break-';

/** The marker a breaker of the stale lock `staleText` in `dir` creates: generation `gen` (one per breaker that died). */
export function breakMarker(dir: string, staleText: string, gen: number): string {
  return `${path.join(dir, LOCK_FILE)}${BREAK_MARK}${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}-${gen}`;
}

/** How many breakers of one stale lock may die before giving up on it. */
const MAX_BREAK_GENERATIONS = 64;

export class ArchiveLock {
  private released = false;

  private constructor(readonly file: string, private infoNow: LockInfo) {}

  /** What the lock file says (the child is added by holdFor). */
  get info(): LockInfo {
    return this.infoNow;
  }

  /** Takes the lock of `dir`, or says who holds it. Stale locks are broken. */
  static acquire(dir: string): LockResult {
    const file = path.join(dir, LOCK_FILE);
    const info: LockInfo = {
      pid: process.pid, host: os.hostname(), procStart: processStartTime(process.pid), since: Date.now(),
      token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    };
    // The private file becomes the lock (and, to break a stale lock, its break marker) by hard links.
    const mine = path.join(dir, `${LOCK_FILE}.${info.token}`);
    writeNew(mine, JSON.stringify(info) + '\n');
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (linkExclusive(mine, file)) {
          ArchiveLock.removeDeadMarkers(dir);
          return { ok: true, lock: new ArchiveLock(file, info) };
        }
        const held = readLock(file);
        if (held === null) continue; // released meanwhile
        // A lock that does not parse cannot be half-written (it is linked in whole): not ours to judge, unless it is empty junk.
        if (held.info !== null && holderAlive(held.info)) return { ok: false, holder: held.info, reason: `archival already running (${describeHolder(held.info)})` };
        if (held.info === null && held.text.trim() !== '') return { ok: false, holder: null, reason: `unreadable lock file ${file}; remove it if no archival is running` };
        const broke = ArchiveLock.breakStale(file, held.text, mine);
        if (broke !== null) return { ok: false, holder: broke, reason: `archival about to start: another process (pid ${broke.pid} on ${broke.host}) is breaking the stale lock of pid ${held.info?.pid ?? '?'}` };
      }
      return { ok: false, holder: null, reason: `could not take ${file}: it keeps changing` };
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /**
   * Removes the stale lock whose content is `staleText`, unless another live process is
   * already breaking it (then returns that process). `mine` is this process's lock info,
   * linked as the break marker.
   */
  private static breakStale(file: string, staleText: string, mine: string): LockInfo | null {
    const markers: string[] = [];
    let retries = 0;
    try {
      for (let gen = 0; gen < MAX_BREAK_GENERATIONS; gen++) {
        const marker = breakMarker(path.dirname(file), staleText, gen);
        if (!linkExclusive(mine, marker)) {
          const other = readLock(marker);
          if (other === null) {
            // Its breaker finished meanwhile (the stale lock is most likely gone): try this generation again.
            if (++retries > 5) throw new Error(`could not break the stale lock ${file}: its break marker keeps changing`);
            gen--;
            continue;
          }
          if (other.info !== null && holderAlive(other.info)) return other.info;
          markers.push(marker); // that breaker died: the next generation
          continue;
        }
        markers.push(marker);
        // This process alone may now remove the stale lock, and only it changes the file while it is in place.
        const now = readLock(file);
        if (now !== null && now.text === staleText) {
          fs.unlinkSync(file);
        }
        return null;
      }
      throw new Error(`could not break the stale lock ${file}: ${MAX_BREAK_GENERATIONS} breakers of it died`);
    } finally {
      for (const m of markers.reverse()) fs.rmSync(m, { force: true });
    }
  }

  /**
   * Removes break markers whose breakers died. Only done while holding the lock: a breaker
   * that takes such a marker's place then finds the lock is not the stale one and leaves it.
   */
  private static removeDeadMarkers(dir: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(`${LOCK_FILE}${BREAK_MARK}`)) continue;
      const m = readLock(path.join(dir, name));
      if (m !== null && (m.info === null || !holderAlive(m.info))) fs.rmSync(path.join(dir, name), { force: true });
    }
  }

  /** Lock info of a directory, for reports and tests. */
  static inspect(dir: string): LockInfo | null {
    return readLock(path.join(dir, LOCK_FILE))?.info ?? null;
  }

  /**
   * Records that the lock is held for the process group led by `childPid` too (an
   * archive_cmd run): the lock then stays live while that group runs, even after this
   * process is gone. The new content replaces the old one in one rename.
   */
  holdFor(childPid: number): void {
    if (this.released) throw new Error('the archival lock was already released');
    const held = readLock(this.file);
    if (held?.info?.token !== this.infoNow.token) throw new Error(`the archival lock ${this.file} is no longer this process's`);
    const next: LockInfo = { ...this.infoNow, child: { pid: childPid, procStart: processStartTime(childPid) } };
    const tmp = `${this.file}.${this.infoNow.token}.child`;
    try {
      writeNew(tmp, JSON.stringify(next) + '\n');
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    this.infoNow = next;
  }

  /** Gives the lock up (only if the file is still this lock). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const held = readLock(this.file);
    if (held?.info?.token === this.infoNow.token) fs.rmSync(this.file, { force: true });
  }
}

/** "pid N on HOST" (and the archive_cmd's process group, when the lock names one). */
export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host}${info.child ? `, archive_cmd process group ${info.child.pid}` : ''}`;
}
