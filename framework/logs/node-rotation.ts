// Log rotation of a node process, as Zeek's logging framework does it under management:
// every Log::default_rotation_interval (aligned to local midnight) each open log is
// closed (#close), moved into the log queue (Log::default_rotation_dir, which is
// <Management::spool_dir>/log-queue) under zeek-archiver's name, and reopened with a
// fresh header. A clean shutdown rotates once more; logs a crashed predecessor left in
// the node's directory are rotated at start-up (LogAscii::enable_leftover_log_rotation).
//
// Several nodes of a cluster share one queue, so — like Zeek's loggers when a cluster has
// more than one — each node adds log_suffix=<node> to its names: conn.log of worker-1 is
// archived as conn.10:00:00-11:00:00-worker-1.log.gz.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClosedLog } from '../node/log-writer';
import { mkdirsDurable, moveFileDurable } from './durable-fs';
import type { SettingValue } from '../settings/types';
import { effectiveRotationInterval, nextRotationAt } from './log-settings';
import { metadataProblem, rotatedName, stampOf } from './names';

/** What rotation needs of a node's log writer (framework/node/log-writer.ts). */
export interface RotatableStream {
  readonly path: string;
  rotate(): ClosedLog | null;
  /** Opens the file again right away (with its header), as Zeek does after rotating. */
  reopen(): void;
}

export interface RotatableWriter {
  readonly dir: string;
  all(): RotatableStream[];
}

export interface NodeRotationOptions {
  writer: RotatableWriter;
  queueDir: string;
  /** Seconds; 0 disables rotation (logs then just close at shutdown). */
  intervalSec: number;
  /** log_suffix metadata, or null for plain names. */
  suffix: string | null;
  /** Problems go here (the node's stderr). */
  report?: (msg: string) => void;
  /** The clock, for tests. */
  now?: () => number;
}

const LOG_EXT = '.log';

/** log_suffix for a node: its name when the cluster has more than one node writing logs, else none. */
export function logSuffixFor(nodeName: string, clusterSize: number, report?: (msg: string) => void): string | null {
  if (clusterSize <= 1) return null;
  const problem = metadataProblem('log_suffix', nodeName);
  if (problem) {
    // As Zeek's archiver_encode_log_metadata does: warn and leave the entry out.
    report?.(`warning: Invalid log_metadata: k='log_suffix' v='${nodeName}' (${problem}); rotated logs of this node carry no suffix`);
    return null;
  }
  return nodeName;
}

export class NodeLogRotation {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(readonly options: NodeRotationOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.intervalSec > 0;
  }

  private report(msg: string): void {
    this.options.report?.(msg);
  }

  /** A free queue name for this log: when taken (two rotations within a second), the close stamp moves on a second. */
  private target(stream: string, openMs: number, closeMs: number): string {
    for (let bump = 0; ; bump++) {
      const name = rotatedName({
        stream, open: stampOf(new Date(openMs)), close: stampOf(new Date(closeMs + bump * 1000)), suffix: this.options.suffix, ext: LOG_EXT,
      });
      const file = path.join(this.options.queueDir, name);
      if (!fs.existsSync(file)) return file;
    }
  }

  private moveToQueue(file: string, stream: string, openMs: number, closeMs: number): string | null {
    try {
      mkdirsDurable(this.options.queueDir);
      const dst = this.target(stream, openMs, closeMs);
      moveFileDurable(file, dst);
      return path.basename(dst);
    } catch (err) {
      this.report(`error: rotating ${file} into ${this.options.queueDir} failed: ${(err as Error).message}`);
      return null;
    }
  }

  /**
   * Rotates logs a previous process of this node left in its directory (killed before it
   * could rotate): open time from the #open header (or the file's birth time), close
   * time its last modification. Returns the queue names.
   */
  rotateLeftovers(): string[] {
    if (!this.enabled) return [];
    const dir = this.options.writer.dir;
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const entry of entries.sort()) {
      if (entry.startsWith('.') || !entry.endsWith(LOG_EXT)) continue;
      const stream = entry.slice(0, -LOG_EXT.length);
      if (stream === '' || stream.includes('__')) continue;
      const file = path.join(dir, entry);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const openMs = headerOpenTime(file) ?? (st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs);
      const moved = this.moveToQueue(file, stream, openMs, Math.max(st.mtimeMs, openMs));
      if (moved) out.push(moved);
    }
    return out;
  }

  /** Closes every open log and moves it into the queue; reopens them unless this is the final rotation. */
  rotateNow(reopen = true): string[] {
    const out: string[] = [];
    for (const s of this.options.writer.all()) {
      const closed = s.rotate();
      if (closed) {
        const moved = this.moveToQueue(closed.file, closed.path, closed.openedAt.getTime(), closed.closedAt.getTime());
        if (moved) out.push(moved);
      }
      if (reopen) {
        try {
          s.reopen();
        } catch (err) {
          this.report(`error: reopening log ${s.path} failed: ${(err as Error).message}`);
        }
      }
    }
    return out;
  }

  /** Starts the rotation timer. */
  start(): void {
    if (!this.enabled || this.stopped) return;
    this.schedule(nextRotationAt(this.now(), this.options.intervalSec));
  }

  private schedule(at: number): void {
    const delay = Math.max(0, at - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      // Timers may fire a little early; the close stamp must not precede the boundary.
      if (this.now() < at) {
        this.schedule(at);
        return;
      }
      this.rotateNow(true);
      this.schedule(nextRotationAt(Math.max(this.now(), at), this.options.intervalSec));
    }, delay);
    this.timer.unref();
  }

  /** Clean shutdown: stop the timer and rotate every open log one last time (just close them when rotation is off). */
  finish(): string[] {
    if (this.stopped) return [];
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.enabled) return this.rotateNow(false);
    for (const s of this.options.writer.all()) s.rotate();
    return [];
  }
}

/** The #open stamp of a Zeek ASCII log's header, as ms since the epoch (local time), or null. */
function headerOpenTime(file: string): number | null {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      head = buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const lines = head.split('\n');
  const sepLine = /^#separator (.+)$/.exec(lines[0] ?? '');
  if (!sepLine) return null;
  const sep = sepLine[1].replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  for (const line of lines) {
    if (!line.startsWith(`#open${sep}`)) continue;
    const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/.exec(line.slice(5 + sep.length));
    if (!m) return null;
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
    return new Date(y, mo - 1, d, h, mi, s).getTime();
  }
  return null;
}

/** What a node's launch description says about rotation (see framework/node/launch-spec.ts). */
export interface NodeRotationSpec {
  name: string;
  directory: string;
  cluster: Record<string, unknown>;
  globals: Record<string, SettingValue>;
  explicitGlobals: string[];
}

/** The queue a node rotates into: Log::default_rotation_dir, else <Management::spool_dir>/log-queue. */
export function nodeQueueDir(spec: NodeRotationSpec): string {
  const dir = spec.globals['Log::default_rotation_dir'];
  if (typeof dir === 'string' && dir !== '') return path.resolve(spec.directory, dir);
  const spool = spec.globals['Management::spool_dir'];
  return path.resolve(spec.directory, typeof spool === 'string' && spool !== '' ? spool : '.', 'log-queue');
}

/** Sets up rotation for a node's log writer: rotates leftovers of a previous process, then starts the timer. */
export function startNodeRotation(writer: RotatableWriter, spec: NodeRotationSpec, report?: (msg: string) => void): NodeLogRotation {
  const rotation = new NodeLogRotation({
    writer,
    queueDir: nodeQueueDir(spec),
    intervalSec: effectiveRotationInterval(spec.globals, spec.explicitGlobals),
    suffix: logSuffixFor(spec.name, Object.keys(spec.cluster).length, report),
    report,
  });
  rotation.rotateLeftovers();
  rotation.start();
  return rotation;
}
