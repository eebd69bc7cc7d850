// Sites on disk, one directory per hash: <root>/<hex>/ holds the files of site
// sha256:<hex>. A site is written into a temporary directory <root>/.tmp-<random>/, each
// file fsynced, then renamed to its name in one step, so a directory named by a hash is
// complete or absent; a site that is already there is never written again. The store keeps
// the `keep` most recently stored sites besides those in use and removes older ones. Both
// the controller (what clients staged) and the agent (what it deploys) use it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_SITE_LIMITS, readSiteDir, siteHash, siteHashHex, SiteError, SiteFiles, SiteLimits,
} from '../../sdk/site/site';
import { fsyncDir, ioErrorReason } from '../logs/durable-fs';

export type SiteDiskState = 'ok' | 'modified' | 'missing';

export class SiteStore {
  constructor(readonly root: string, readonly keep = 3, readonly limits: SiteLimits = DEFAULT_SITE_LIMITS) {}

  dir(hash: string): string {
    return path.join(this.root, siteHashHex(hash));
  }

  has(hash: string): boolean {
    try {
      return fs.statSync(this.dir(hash)).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Stores the files as site `hash` (which must be their hash), atomically. Returns the
   * directory. Nothing already stored changes when this fails.
   */
  write(hash: string, files: SiteFiles, inUse: Iterable<string> = []): string {
    const got = siteHash(files);
    if (got !== hash) throw new SiteError(`site content does not match its hash: announced ${hash}, content is ${got}`);
    const final = this.dir(hash);
    if (this.has(hash)) return final;
    const tmp = path.join(this.root, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      fs.mkdirSync(this.root, { recursive: true });
      fs.mkdirSync(tmp, { mode: 0o755 });
      for (const [rel, content] of files) {
        const file = path.join(tmp, ...rel.split('/'));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const fd = fs.openSync(file, 'wx', 0o644);
        try {
          fs.writeSync(fd, content);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      fsyncDir(tmp);
      fs.renameSync(tmp, final);
      fsyncDir(this.root);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return final;
      throw new SiteError(`could not store site ${hash} under ${this.root}: ${ioErrorReason(err)}`);
    }
    this.prune([hash, ...inUse]);
    return final;
  }

  /** The files of a stored site, re-read from disk; throws when missing or unreadable. */
  read(hash: string): SiteFiles {
    return readSiteDir(this.dir(hash), this.limits);
  }

  /** Whether the directory of `hash` still holds exactly that site. */
  verify(hash: string): { state: SiteDiskState; actual?: string; detail?: string } {
    if (!this.has(hash)) return { state: 'missing', detail: `${this.dir(hash)} does not exist` };
    try {
      const actual = siteHash(this.read(hash));
      return actual === hash ? { state: 'ok', actual } : { state: 'modified', actual, detail: `${this.dir(hash)} now hashes to ${actual}` };
    } catch (err) {
      return { state: 'modified', detail: (err as Error).message };
    }
  }

  /**
   * Marks a site as the one now deployed: it counts as the newest (the directory's mtime
   * orders the store), and older ones beyond `keep` go.
   */
  adopt(hash: string): void {
    const now = new Date();
    try {
      fs.utimesSync(this.dir(hash), now, now);
    } catch {
      // a missing directory is reported by verify
    }
    this.prune([hash]);
  }

  /** Removes one site (one that failed its check), unless it is `inUse`. */
  discard(hash: string, inUse: string | null): void {
    if (hash === inUse) return;
    fs.rmSync(this.dir(hash), { recursive: true, force: true });
  }

  /** Hashes stored, newest first. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return names
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map((n) => ({ n, t: fs.statSync(path.join(this.root, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1))
      .map(({ n }) => `sha256:${n}`);
  }

  /** Removes sites beyond the `keep` newest, never those in `keepAlways`, and leftover temporary directories. */
  prune(keepAlways: Iterable<string> = []): void {
    const pinned = new Set(keepAlways);
    const all = this.list();
    let kept = 0;
    for (const h of all) {
      if (pinned.has(h)) continue;
      if (kept < this.keep) {
        kept++;
        continue;
      }
      fs.rmSync(this.dir(h), { recursive: true, force: true });
    }
    try {
      for (const n of fs.readdirSync(this.root)) if (n.startsWith('.tmp-')) fs.rmSync(path.join(this.root, n), { recursive: true, force: true });
    } catch {
      // nothing to clean
    }
  }
}
