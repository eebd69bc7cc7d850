// File operations whose result survives a crash or power loss once they return: data
// is fsynced before it gets its final name, and the directory is fsynced after a name
// appears or disappears.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** fsync of a directory, so entries created, renamed or removed in it are on disk. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** mkdir -p that fsyncs the parent of every directory it creates. */
export function mkdirsDurable(dir: string, mode = 0o775): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    try {
      const st = fs.statSync(d);
      if (!st.isDirectory()) throw new Error(`${d} exists but is not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(d);
      const parent = path.dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    fsyncDir(path.dirname(m));
  }
}

/** Copies src to dst through a hidden temporary name in dst's directory: fsync, rename, fsync dir. */
export function copyFileDurable(src: string, dst: string): void {
  const tmp = path.join(path.dirname(dst), `.${path.basename(dst)}.tmp-${process.pid}`);
  const from = fs.openSync(src, 'r');
  try {
    const to = fs.openSync(tmp, 'w', 0o644);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let n: number;
      while ((n = fs.readSync(from, buf, 0, buf.length, null)) > 0) {
        let off = 0;
        while (off < n) off += fs.writeSync(to, buf, off, n - off);
      }
      fs.fsyncSync(to);
    } finally {
      fs.closeSync(to);
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(from);
  }
  fs.renameSync(tmp, dst);
  fsyncDir(path.dirname(dst));
}

/**
 * Moves a file to a new name durably. Within one file system that is rename + fsync of
 * both directories; across file systems (EXDEV) a durable copy, then the source goes.
 */
export function moveFileDurable(src: string, dst: string): void {
  try {
    fs.renameSync(src, dst);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    copyFileDurable(src, dst);
    fs.unlinkSync(src);
    fsyncDir(path.dirname(src));
    return;
  }
  fsyncDir(path.dirname(dst));
  if (path.dirname(src) !== path.dirname(dst)) fsyncDir(path.dirname(src));
}
