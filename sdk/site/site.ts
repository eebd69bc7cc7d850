// A site policy as data: a set of files (path → bytes) that every node of a cluster can
// load, its identity (the hash of its canonical form), the checks a path must pass, the
// canonical byte stream the controller sends to agents in chunks, and the reassembly and
// verification of that stream on the receiving side. Pure functions and small classes;
// the disk store lives in framework/site/, the wire events in sdk/model/events.ts.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A site: relative '/'-separated path → content. */
export type SiteFiles = Map<string, Buffer>;

export interface SiteLimits {
  /** Total bytes of all files (default 64 MiB). */
  maxBytes: number;
  /** Number of files (default 10000). */
  maxFiles: number;
}

export const DEFAULT_SITE_LIMITS: SiteLimits = { maxBytes: 64 * 1024 * 1024, maxFiles: 10000 };

/** Raw bytes per chunk on the wire (base64 makes ~350 KB of text of it, far below every frame limit). */
export const SITE_CHUNK_BYTES = 256 * 1024;

/** The env key on every node of a configuration that carries its site's hash (ARCHITECTURE.md, "Site policy"). */
export const SITE_ENV = 'ZEEK_MGMT_SITE';
/** The env key the agent sets for a node: the directory of the site it loads (not part of the configuration). */
export const SITE_DIR_ENV = 'ZEEK_MGMT_SITE_DIR';

export class SiteError extends Error {
  override readonly name = 'SiteError';
}

const HASH_RE = /^sha256:[0-9a-f]{64}$/;

export function isSiteHash(s: string): boolean {
  return HASH_RE.test(s);
}

/** The hex part of a hash: a directory name. */
export function siteHashHex(hash: string): string {
  if (!isSiteHash(hash)) throw new SiteError(`not a site hash: ${JSON.stringify(hash.slice(0, 80))} (expected sha256:<64 hex digits>)`);
  return hash.slice('sha256:'.length);
}

/**
 * Why a path cannot name a file of a site, or null when it can: relative, '/'-separated,
 * no empty, '.' or '..' segments, no backslash, NUL or other control characters, at most
 * 1024 bytes.
 */
export function sitePathProblem(p: string): string | null {
  const shown = JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}...` : p);
  if (p === '') return 'an empty path';
  if (Buffer.byteLength(p) > 1024) return `path ${shown} is longer than 1024 bytes`;
  if (p.startsWith('/')) return `path ${shown} is absolute; site paths are relative to the site directory`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p)) return `path ${shown} contains a control character`;
  if (p.includes('\\')) return `path ${shown} contains a backslash; use '/'`;
  for (const seg of p.split('/')) {
    if (seg === '') return `path ${shown} has an empty segment`;
    if (seg === '..') return `path ${shown} leaves the site directory ('..')`;
    if (seg === '.') return `path ${shown} has a '.' segment`;
  }
  return null;
}

function checkLimits(files: SiteFiles, limits: SiteLimits): void {
  if (files.size > limits.maxFiles) throw new SiteError(`the site has ${files.size} files, more than the limit of ${limits.maxFiles}`);
  let total = 0;
  for (const b of files.values()) total += b.length;
  if (total > limits.maxBytes) throw new SiteError(`the site is ${total} bytes, more than the limit of ${limits.maxBytes}`);
}

/** Checks every path and the limits; a path that is a prefix directory of another is refused too. */
export function checkSite(files: SiteFiles, limits: SiteLimits = DEFAULT_SITE_LIMITS): void {
  for (const p of files.keys()) {
    const problem = sitePathProblem(p);
    if (problem) throw new SiteError(`site file refused: ${problem}`);
  }
  const names = new Set(files.keys());
  for (const p of names) {
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (names.has(dir)) throw new SiteError(`site file refused: ${JSON.stringify(dir)} is both a file and the directory of ${JSON.stringify(p)}`);
    }
  }
  checkLimits(files, limits);
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The canonical byte stream of a site: for each file in path order, the path, NUL, its
 * size in decimal, NUL, its bytes. This stream is what goes on the wire, and its sha256 is
 * the site's identity, so the same files give the same hash wherever they are read.
 */
export function packSite(files: SiteFiles): Buffer {
  const parts: Buffer[] = [];
  for (const p of [...files.keys()].sort(byCodeUnits)) {
    const content = files.get(p)!;
    parts.push(Buffer.from(`${p}\0${content.length}\0`, 'utf8'), content);
  }
  return Buffer.concat(parts);
}

export function hashPacked(packed: Buffer): string {
  return `sha256:${createHash('sha256').update(packed).digest('hex')}`;
}

export function siteHash(files: SiteFiles): string {
  return hashPacked(packSite(files));
}

/** The files of a canonical stream, refusing anything packSite would not have written. */
export function unpackSite(packed: Buffer, limits: SiteLimits = DEFAULT_SITE_LIMITS): SiteFiles {
  const files: SiteFiles = new Map();
  let pos = 0;
  let last: string | null = null;
  while (pos < packed.length) {
    const nul1 = packed.indexOf(0, pos);
    if (nul1 < 0 || nul1 - pos > 1024) throw new SiteError(`malformed site stream at byte ${pos}: no path`);
    const p = packed.subarray(pos, nul1).toString('utf8');
    const nul2 = packed.indexOf(0, nul1 + 1);
    if (nul2 < 0 || nul2 - nul1 > 16) throw new SiteError(`malformed site stream at byte ${nul1 + 1}: no size for ${JSON.stringify(p)}`);
    const sizeText = packed.subarray(nul1 + 1, nul2).toString('latin1');
    if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new SiteError(`malformed site stream: size of ${JSON.stringify(p)} is ${JSON.stringify(sizeText)}`);
    const size = Number(sizeText);
    if (nul2 + 1 + size > packed.length) throw new SiteError(`malformed site stream: ${JSON.stringify(p)} is cut short`);
    if (last !== null && byCodeUnits(last, p) >= 0) throw new SiteError(`malformed site stream: ${JSON.stringify(p)} is out of order or repeated`);
    const problem = sitePathProblem(p);
    if (problem) throw new SiteError(`site file refused: ${problem}`);
    files.set(p, Buffer.from(packed.subarray(nul2 + 1, nul2 + 1 + size)));
    if (files.size > limits.maxFiles) throw new SiteError(`the site has more than the limit of ${limits.maxFiles} files`);
    last = p;
    pos = nul2 + 1 + size;
  }
  checkSite(files, limits);
  return files;
}

/**
 * Reads a site directory: every regular file below it, recursively. A symbolic link or any
 * other kind of file is refused (a site holds regular files only), so nothing outside the
 * directory can be pulled in.
 */
export function readSiteDir(dir: string, limits: SiteLimits = DEFAULT_SITE_LIMITS): SiteFiles {
  const root = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (err) {
    throw new SiteError(`cannot read site directory ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`);
  }
  if (!st.isDirectory()) throw new SiteError(`site directory ${dir} is not a directory`);
  const files: SiteFiles = new Map();
  let total = 0;
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : path.join(root, rel);
    for (const ent of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => byCodeUnits(a.name, b.name))) {
      const r = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isSymbolicLink()) throw new SiteError(`site file refused: ${path.join(dir, r)} is a symbolic link; a site holds regular files only`);
      if (ent.isDirectory()) walk(r);
      else if (ent.isFile()) {
        const problem = sitePathProblem(r);
        if (problem) throw new SiteError(`site file refused: ${problem}`);
        const content = fs.readFileSync(path.join(root, r));
        total += content.length;
        if (total > limits.maxBytes) throw new SiteError(`the site directory ${dir} holds more than the limit of ${limits.maxBytes} bytes`);
        files.set(r, content);
        if (files.size > limits.maxFiles) throw new SiteError(`the site directory ${dir} holds more than the limit of ${limits.maxFiles} files`);
      } else throw new SiteError(`site file refused: ${path.join(dir, r)} is not a regular file`);
    }
  };
  walk('');
  checkSite(files, limits);
  return files;
}

/** A site from inline contents (the provider's `site.files`). */
export function siteFromRecord(record: Record<string, string | Buffer>, limits: SiteLimits = DEFAULT_SITE_LIMITS): SiteFiles {
  const files: SiteFiles = new Map();
  for (const [p, c] of Object.entries(record)) files.set(p, Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8'));
  checkSite(files, limits);
  return files;
}

/** Per-file digests: what plan, preview and drift compare. */
export function siteManifest(files: SiteFiles): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [...files.keys()].sort(byCodeUnits)) out[p] = createHash('sha256').update(files.get(p)!).digest('hex');
  return out;
}

export interface SiteDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Files added, changed and removed from `before` (null: no site) to `after`. */
export function diffSiteManifests(before: Record<string, string> | null, after: Record<string, string> | null): SiteDiff {
  const b = before ?? {};
  const a = after ?? {};
  const added = Object.keys(a).filter((p) => !(p in b)).sort(byCodeUnits);
  const removed = Object.keys(b).filter((p) => !(p in a)).sort(byCodeUnits);
  const changed = Object.keys(a).filter((p) => p in b && a[p] !== b[p]).sort(byCodeUnits);
  return { added, changed, removed };
}

export function siteDiffEmpty(d: SiteDiff): boolean {
  return d.added.length === 0 && d.changed.length === 0 && d.removed.length === 0;
}

// ---- chunks ------------------------------------------------------------------------------

export interface SiteChunk {
  hash: string;
  index: number;
  total: number;
  /** base64 of the stream's bytes [index * chunkBytes, ...). */
  data: string;
}

/** The stream as chunks for the wire; an empty site is one empty chunk. */
export function chunkPacked(packed: Buffer, chunkBytes: number = SITE_CHUNK_BYTES): SiteChunk[] {
  const hash = hashPacked(packed);
  const total = Math.max(1, Math.ceil(packed.length / chunkBytes));
  const out: SiteChunk[] = [];
  for (let i = 0; i < total; i++) out.push({ hash, index: i, total, data: packed.subarray(i * chunkBytes, (i + 1) * chunkBytes).toString('base64') });
  return out;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reassembles one site's chunks, in order, from one sender. Every chunk is checked as it
 * arrives (hash format, index in sequence, same total, valid base64, the size limit); the
 * last one completes the stream, whose sha256 must be the announced hash and whose files
 * must pass unpackSite. A refusal says what was wrong; the assembler is then done.
 */
export class SiteAssembler {
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  private next = 0;
  private total = -1;
  constructor(readonly hash: string, private readonly limits: SiteLimits = DEFAULT_SITE_LIMITS) {
    siteHashHex(hash);
  }

  /** Adds a chunk; returns the site's files after the last one, null before. Throws SiteError. */
  add(chunk: SiteChunk): SiteFiles | null {
    if (chunk.hash !== this.hash) throw new SiteError(`chunk of site ${chunk.hash.slice(0, 80)} while receiving ${this.hash}`);
    if (!Number.isSafeInteger(chunk.total) || chunk.total < 1) throw new SiteError(`bad chunk count ${chunk.total}`);
    const maxChunks = Math.ceil(this.limits.maxBytes / 1024) + 1;
    if (chunk.total > maxChunks) throw new SiteError(`site announced in ${chunk.total} chunks, more than its size limit allows`);
    if (this.total === -1) this.total = chunk.total;
    else if (chunk.total !== this.total) throw new SiteError(`chunk ${chunk.index} says ${chunk.total} chunks, earlier ones said ${this.total}`);
    if (chunk.index !== this.next) throw new SiteError(`chunk ${chunk.index} of ${chunk.total} arrived, expected chunk ${this.next}`);
    if (chunk.data.length % 4 !== 0 || !BASE64_RE.test(chunk.data)) throw new SiteError(`chunk ${chunk.index} of ${chunk.total} is not valid base64`);
    const buf = Buffer.from(chunk.data, 'base64');
    // Framing overhead per file is small; allow it beyond the content limit.
    if (this.bytes + buf.length > this.limits.maxBytes + this.limits.maxFiles * 1100) {
      throw new SiteError(`the site is more than the limit of ${this.limits.maxBytes} bytes`);
    }
    this.parts.push(buf);
    this.bytes += buf.length;
    this.next++;
    if (this.next < this.total) return null;
    const packed = Buffer.concat(this.parts);
    this.parts.length = 0;
    const got = hashPacked(packed);
    if (got !== this.hash) throw new SiteError(`site content does not match its hash: announced ${this.hash}, received ${got}`);
    return unpackSite(packed, this.limits);
  }
}
