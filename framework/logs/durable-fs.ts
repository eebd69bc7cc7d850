// File operations whose result survives a crash or power loss once they return: data
// is fsynced before it gets its final name, and the directory is fsynced after a name
// appears or disappears. The controller keeps its state with writeFileDurable too.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';

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

let temporaries = 0;

/** The prefix of the temporary names writeFileDurable uses for `file` (for clean-up after a crash). */
export function temporaryPrefix(file: string): string {
  return `${file}.tmp-`;
}

/**
 * Replaces `file` with `data` so that a crash at any instant leaves the old or the new
 * content: written to a temporary in the same directory, fsynced, renamed over `file`,
 * then the directory fsynced. When any step fails the temporary is removed (a full disk
 * gets its space back), `file` is untouched, and the error (with its errno code) is
 * thrown. It resolves only once the new content is on disk.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${temporaryPrefix(file)}${process.pid}-${++temporaries}`;
  try {
    const fh = await fs.promises.open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  const dh = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * The reason an I/O error gives, as the C library words it ("no space left on device",
 * "read-only file system"); other errors give their message.
 */
export function ioErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number') {
    const text = util.getSystemErrorMap().get(e.errno)?.[1];
    if (text) return text;
  }
  return e instanceof Error ? e.message : String(err);
}
