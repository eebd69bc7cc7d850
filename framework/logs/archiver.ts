// The built-in log archiver: does what zeek-archiver -1 does (every rotated log in the
// queue goes, gzip-compressed, to <archive dir>/<YYYY-MM-DD>/<stream>.<HH:MM:SS>-<HH:MM:SS>.log.gz),
// and loses nothing on the way:
//
// - a log leaves the queue only after its archive is complete: compressed into a hidden
//   temporary name, fsynced, renamed into place, the directory fsynced — then the
//   source is unlinked and the queue directory fsynced;
// - a crash at any point leaves the source in the queue; the next run redoes the work.
//   When the archive already exists (the crash came after the rename), its content is
//   compared with the source: equal means the job is done and only the source goes; an
//   unreadable archive is replaced; a different, valid archive is a conflict and the
//   source stays;
// - runs never overlap: a lock file in the queue (see archive-lock.ts) names the process
//   archiving it (run as an agent's archive_cmd, the archiver works under the lock the
//   agent holds for it);
// - a name that is not a rotated log's stays in the queue and is reported.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { ArchiveLock, LockInfo } from './archive-lock';
import { fsyncDir, mkdirsDurable } from './durable-fs';
import { alreadyCompressed, archivedName, parseRotatedName, RotatedLog } from './names';

export type ArchiveLogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface ArchiveOptions {
  /** The log queue (zeek-archiver's <src_dir>). */
  queueDir: string;
  /** The archive (zeek-archiver's <dst_dir>). */
  archiveDir: string;
  /** gzip level (default 6, gzip's). */
  level?: number;
  /** Stops between (and during) files; whatever was under way stays in the queue. */
  signal?: AbortSignal;
  log?: (level: ArchiveLogLevel, msg: string) => void;
  /**
   * The token of a lock held on this run's behalf (an agent running this archiver as its
   * archive_cmd passes it in LOCK_TOKEN_ENV). When the queue's lock has this token, the run
   * goes ahead under it; otherwise the lock is taken as usual.
   */
  heldLockToken?: string;
}

export interface ArchivedEntry {
  source: string;
  /** Path relative to the archive directory, e.g. 2022-06-20/conn.10:00:00-11:00:00.log.gz */
  archive: string;
}

export interface ArchiveReport {
  /** Logs compressed (or copied) into the archive and removed from the queue. */
  archived: ArchivedEntry[];
  /** Logs whose complete archive already existed (an interrupted earlier run): only the source was removed. */
  completed: ArchivedEntry[];
  /** Queue entries that are not rotated logs; they stay. */
  notUnderstood: { name: string; reason: string }[];
  /** Logs that could not be archived this time; they stay. */
  failed: { source: string; error: string }[];
  /** Set when no archival took place because another run holds the lock. */
  busy: { reason: string; holder: LockInfo | null } | null;
  /** Set when the run stopped early on the abort signal. */
  aborted: boolean;
  seconds: number;
}

function emptyReport(): ArchiveReport {
  return { archived: [], completed: [], notUnderstood: [], failed: [], busy: null, aborted: false, seconds: 0 };
}

/** Counts the bytes that pass. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

async function sha256Of(file: string, gunzip: boolean): Promise<string> {
  const h = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      cb();
    },
  });
  if (gunzip) await pipeline(fs.createReadStream(file), zlib.createGunzip(), sink);
  else await pipeline(fs.createReadStream(file), sink);
  return h.digest('hex');
}

/** How an existing archive relates to a source: the same content, other content, or not readable as an archive. */
async function compareArchive(archive: string, source: string, compressed: boolean): Promise<'same' | 'different' | 'invalid'> {
  const srcHash = await sha256Of(source, false);
  let arcHash: string;
  try {
    arcHash = await sha256Of(archive, compressed);
  } catch {
    return 'invalid';
  }
  return srcHash === arcHash ? 'same' : 'different';
}

/** Writes src into tmp (gzip-compressed or as it is) and fsyncs it. Returns the bytes read. */
async function writeTemp(src: string, tmp: string, compress: boolean, level: number, signal?: AbortSignal): Promise<number> {
  const fd = fs.openSync(tmp, 'w', 0o644);
  const counter = new ByteCounter();
  try {
    const out = fs.createWriteStream('', { fd, autoClose: false });
    if (compress) await pipeline(fs.createReadStream(src), counter, zlib.createGzip({ level }), out, { signal });
    else await pipeline(fs.createReadStream(src), counter, out, { signal });
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return counter.bytes;
}

class Run {
  readonly report = emptyReport();

  constructor(readonly o: ArchiveOptions) {}

  log(level: ArchiveLogLevel, msg: string): void {
    this.o.log?.(level, msg);
  }

  async one(name: string, log: RotatedLog): Promise<void> {
    const src = path.join(this.o.queueDir, name);
    const { dir, file } = archivedName(log);
    const rel = path.join(dir, file);
    const dstDir = path.join(this.o.archiveDir, dir);
    const dst = path.join(dstDir, file);
    const tmp = path.join(dstDir, `.tmp.${file}`);
    const compress = !alreadyCompressed(log.ext);
    mkdirsDurable(dstDir);
    const before = fs.statSync(src);

    if (fs.existsSync(dst)) {
      const existing = await compareArchive(dst, src, compress);
      if (existing === 'same') {
        // An earlier run got as far as the rename: make sure the archive's name is on disk, then finish.
        fsyncDir(dstDir);
        fs.unlinkSync(src);
        fsyncDir(this.o.queueDir);
        this.report.completed.push({ source: name, archive: rel });
        this.log('info', `${name}: complete archive ${rel} already exists; removed it from the queue`);
        return;
      }
      if (existing === 'different') {
        this.report.failed.push({ source: name, error: `archive ${rel} already exists with different content; left in the queue` });
        this.log('error', `${name}: archive ${rel} already exists with different content; left in the queue`);
        return;
      }
      this.log('warning', `${name}: existing archive ${rel} is not a readable ${compress ? 'gzip file' : 'file'}; replacing it`);
    }

    let bytes: number;
    try {
      bytes = await writeTemp(src, tmp, compress, this.o.level ?? 6, this.o.signal);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    const after = fs.statSync(src);
    if (bytes !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      fs.rmSync(tmp, { force: true });
      throw new Error(`it changed while being archived (${before.size} bytes before, ${bytes} read, ${after.size} after); left in the queue for the next run`);
    }
    fs.renameSync(tmp, dst);
    fsyncDir(dstDir);
    fs.unlinkSync(src);
    fsyncDir(this.o.queueDir);
    this.report.archived.push({ source: name, archive: rel });
    this.log('debug', `archived ${name} -> ${rel}`);
  }

  async all(): Promise<void> {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.o.queueDir).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.log('debug', `source directory '${this.o.queueDir}' does not exist`);
        return;
      }
      throw err;
    }
    const logs: { name: string; log: RotatedLog }[] = [];
    for (const name of entries) {
      if (name.startsWith('.')) continue; // temporary files, the lock
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(this.o.queueDir, name));
      } catch {
        continue; // gone meanwhile
      }
      if (!st.isFile()) {
        this.report.notUnderstood.push({ name, reason: st.isDirectory() ? 'a directory, not a log file' : 'not a regular file' });
        continue;
      }
      const parsed = parseRotatedName(name);
      if (!parsed.ok) this.report.notUnderstood.push({ name, reason: parsed.reason });
      else logs.push({ name, log: parsed.log });
    }
    for (const n of this.report.notUnderstood) this.log('warning', `not archiving '${n.name}' in ${this.o.queueDir}: ${n.reason}`);
    for (const { name, log } of logs) {
      if (this.o.signal?.aborted) {
        this.report.aborted = true;
        return;
      }
      try {
        await this.one(name, log);
      } catch (err) {
        if (this.o.signal?.aborted) {
          this.report.aborted = true;
          return;
        }
        this.report.failed.push({ source: name, error: (err as Error).message });
        this.log('error', `archiving ${name} failed: ${(err as Error).message}`);
      }
    }
  }
}

/** Archives everything in the queue once (zeek-archiver -1). */
export async function archiveQueue(o: ArchiveOptions): Promise<ArchiveReport> {
  const t0 = process.hrtime.bigint();
  const run = new Run(o);
  if (!fs.existsSync(o.queueDir)) {
    run.log('debug', `source directory '${o.queueDir}' does not exist`);
    return run.report;
  }
  mkdirsDurable(o.archiveDir);
  const inherited = o.heldLockToken !== undefined && o.heldLockToken !== '' && ArchiveLock.inspect(o.queueDir)?.token === o.heldLockToken;
  const lock = inherited ? null : ArchiveLock.acquire(o.queueDir);
  if (lock !== null && !lock.ok) {
    run.report.busy = { reason: lock.reason, holder: lock.holder };
    run.log('info', `not archiving ${o.queueDir}: ${lock.reason}`);
    return run.report;
  }
  if (inherited) run.log('debug', `archiving ${o.queueDir} under the lock held for this run`);
  try {
    await run.all();
  } finally {
    lock?.lock.release();
  }
  run.report.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = run.report.archived.length + run.report.completed.length;
  if (n > 0) run.log('info', `Archived ${n} logs in ${run.report.seconds.toFixed(6)} seconds`);
  return run.report;
}
