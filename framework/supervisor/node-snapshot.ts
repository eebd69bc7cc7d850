// V8 start-up snapshots for emulated nodes. An emulated node process started as
// `node FLAGS --snapshot-blob BLOB` begins with main.js and the modules it needs already
// compiled and initialised (see framework/node/emulated/snapshot-entry.ts), which halves
// the CPU time a node needs to check in. The Supervisor builds the snapshot in the
// background, with the flags its nodes run with, the first time it needs one; until one is
// ready (or when building fails) nodes start from main.js as before.
//
// A snapshot is used only when its manifest matches: the same node binary (path and
// version), architecture, flags and dist directory, a blob of the recorded size, and the
// same content (sha256) of every source compiled into it, so a rebuilt dist/ or another
// Node.js never runs stale code: it gets a new snapshot. A new snapshot must pass a
// self-test (a process started from it reports what it holds) before its manifest is
// published. Supervisors sharing a cache directory build one snapshot at a time (a lock
// file); the others start nodes from main.js until the manifest appears.
//
// ZEEK_MGMT_NODE_SNAPSHOT=0 (or off/no/false) turns snapshots off.

import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NODE_SNAPSHOT_ENV = 'ZEEK_MGMT_NODE_SNAPSHOT';
/** Set in a process started from a snapshot to make it report what it holds and exit. */
export const NODE_SNAPSHOT_CHECK_ENV = 'ZEEK_MGMT_NODE_SNAPSHOT_CHECK';
/** The snapshot's entry script, relative to the dist directory. */
export const NODE_SNAPSHOT_ENTRY = 'framework/node/emulated/snapshot-entry.js';

const MANIFEST_VERSION = 1;
/** A lock older than this is left over from a builder that died. */
const STALE_LOCK_MS = 120_000;
/** Replaced blobs are removed after this long (a node being spawned may still name one). */
const OLD_BLOB_GRACE_MS = 60_000;
/** How often a Supervisor waiting for another one's build looks for the manifest. */
const RECHECK_MS = 1000;

export function nodeSnapshotsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env[NODE_SNAPSHOT_ENV] ?? '').trim().toLowerCase();
  return !['0', 'off', 'no', 'false'].includes(v);
}

export interface SnapshotManifest {
  version: number;
  node: string;
  execPath: string;
  arch: string;
  flags: string[];
  distRoot: string;
  /** File name of the blob, in the cache directory. */
  blob: string;
  blobSize: number;
  /** Sources compiled into the snapshot: path relative to distRoot -> sha256. */
  files: Record<string, string>;
  builtAt: string;
  buildMs: number;
}

export interface NodeSnapshotOptions {
  /** The compiled tree the nodes run from. */
  distRoot: string;
  /** Directories to keep snapshots in, in order of preference; the first one that can be written is used. */
  cacheDirs: string[];
  /** Node/V8 flags the emulated nodes run with: the snapshot is built with exactly these. */
  flags: string[];
  execPath?: string;
  log?: (level: 'info' | 'warning' | 'error', msg: string) => void;
}

type State = 'idle' | 'building' | 'waiting' | 'ready' | 'off';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a command to completion, collecting its output; the child is in `running` meanwhile. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, running: Set<ChildProcess>): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('close', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', (err) => (stderr += `${err.message}\n`));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export class EmulatedNodeSnapshot {
  private state: State = 'idle';
  private blobFile: string | null = null;
  private cacheDir: string | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private settled: Promise<boolean> | null = null;
  private settle: ((ready: boolean) => void) | null = null;
  private closed = false;
  /** The builder or self-test process while one runs. */
  private readonly running = new Set<ChildProcess>();
  readonly execPath: string;
  /** Identifies binary, flags and dist directory: snapshots of different ones live side by side. */
  readonly key: string;

  constructor(readonly options: NodeSnapshotOptions) {
    this.execPath = options.execPath ?? process.execPath;
    this.key = sha256(JSON.stringify([this.execPath, process.version, process.arch, options.flags, options.distRoot])).slice(0, 16);
  }

  private log(level: 'info' | 'warning' | 'error', msg: string): void {
    this.options.log?.(level, msg);
  }

  get status(): State {
    return this.state;
  }

  /** The blob nodes start from, once one is ready. */
  get blob(): string | null {
    return this.state === 'ready' ? this.blobFile : null;
  }

  private manifestFile(dir: string): string {
    return path.join(dir, `emulated-node-${this.key}.json`);
  }

  private lockFile(dir: string): string {
    return path.join(dir, `emulated-node-${this.key}.lock`);
  }

  /** The first cache directory that exists or can be created and is writable. */
  private pickCacheDir(): string | null {
    for (const dir of this.options.cacheDirs) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK);
        return dir;
      } catch {
        // try the next one
      }
    }
    return null;
  }

  /** Reads the manifest and checks that it describes a usable snapshot of the current sources. */
  private verify(dir: string): boolean {
    let m: SnapshotManifest;
    try {
      m = JSON.parse(fs.readFileSync(this.manifestFile(dir), 'utf8')) as SnapshotManifest;
    } catch {
      return false;
    }
    if (m.version !== MANIFEST_VERSION || m.node !== process.version || m.execPath !== this.execPath || m.arch !== process.arch
      || m.distRoot !== this.options.distRoot || JSON.stringify(m.flags) !== JSON.stringify(this.options.flags)
      || typeof m.blob !== 'string' || m.blob.includes('/') || typeof m.files !== 'object' || m.files === null || Object.keys(m.files).length === 0) {
      return false;
    }
    const blob = path.join(dir, m.blob);
    try {
      if (fs.statSync(blob).size !== m.blobSize) return false;
      for (const [rel, hash] of Object.entries(m.files)) {
        if (sha256(fs.readFileSync(path.join(this.options.distRoot, rel))) !== hash) return false;
      }
    } catch {
      return false;
    }
    this.blobFile = blob;
    this.setState('ready');
    return true;
  }

  private setState(s: State): void {
    this.state = s;
    if (s === 'waiting' && !this.pollTimer) {
      this.pollTimer = setInterval(() => this.poll(), RECHECK_MS);
      this.pollTimer.unref();
    } else if (s !== 'waiting' && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    if ((s === 'ready' || s === 'off') && this.settle) {
      this.settle(s === 'ready');
      this.settle = null;
    }
  }

  /** Uses a valid snapshot if there is one, else starts building one in the background. */
  prepare(): void {
    if (this.state !== 'idle' || this.closed) return;
    this.cacheDir = this.pickCacheDir();
    if (this.cacheDir === null) {
      this.log('info', `no writable directory for emulated node snapshots (${this.options.cacheDirs.join(', ')}); nodes start from main.js`);
      this.setState('off');
      return;
    }
    if (this.verify(this.cacheDir)) return;
    this.startBuild(this.cacheDir);
  }

  /** Resolves when a snapshot is ready (true) or will not be (false). */
  whenSettled(): Promise<boolean> {
    if (this.state === 'idle') this.prepare();
    if (this.state === 'ready') return Promise.resolve(true);
    if (this.state === 'off') return Promise.resolve(false);
    this.settled ??= new Promise((resolve) => (this.settle = resolve));
    return this.settled;
  }

  /** Arguments that start a node from the snapshot (after the flags), or null: start it from main.js. */
  launchArgs(): string[] | null {
    if (this.state === 'idle') this.prepare();
    if (this.state !== 'ready' || this.blobFile === null) return null;
    if (!fs.existsSync(this.blobFile)) {
      // Removed behind our back: build (or find) another one; this node starts from main.js.
      this.log('warning', `emulated node snapshot ${this.blobFile} has gone; rebuilding it`);
      this.blobFile = null;
      this.state = 'idle';
      this.prepare();
      return null;
    }
    return ['--snapshot-blob', this.blobFile];
  }

  /** While another Supervisor builds: has it finished, or died? */
  private poll(): void {
    if (this.state !== 'waiting') return;
    const dir = this.cacheDir!;
    if (this.verify(dir)) return;
    if (this.lockIsStale(dir)) this.startBuild(dir);
  }

  private lockIsStale(dir: string): boolean {
    const lock = this.lockFile(dir);
    try {
      const st = fs.statSync(lock);
      const pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
      return Date.now() - st.mtimeMs > STALE_LOCK_MS || !(pid > 0 && processAlive(pid));
    } catch {
      return true; // gone: whoever held it has finished or given up
    }
  }

  private takeLock(dir: string): boolean {
    const lock = this.lockFile(dir);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !this.lockIsStale(dir)) return false;
        try {
          fs.unlinkSync(lock);
        } catch {
          // someone else removed it first
        }
      }
    }
    return false;
  }

  private startBuild(dir: string): void {
    if (!this.takeLock(dir)) {
      this.setState('waiting');
      return;
    }
    this.setState('building');
    void this.build(dir).finally(() => {
      try {
        fs.unlinkSync(this.lockFile(dir));
      } catch {
        // already gone
      }
    }).then((manifest) => {
      if (this.closed) return;
      this.blobFile = path.join(dir, manifest.blob);
      this.log('info', `emulated node start-up snapshot ready: ${this.blobFile} (${manifest.buildMs} ms)`);
      this.setState('ready');
    }, (err: Error) => {
      if (this.closed) return;
      this.log('warning', `cannot build the emulated node start-up snapshot, nodes start from main.js: ${err.message}`);
      this.setState('off');
    });
  }

  /** Stops a build in progress (the Supervisor is shutting down); no snapshot is used after this. */
  close(): void {
    this.closed = true;
    for (const child of this.running) child.kill('SIGKILL');
    this.setState('off');
  }

  private async build(dir: string): Promise<SnapshotManifest> {
    const started = Date.now();
    const blobName = `emulated-node-${this.key}-${randomBytes(4).toString('hex')}.blob`;
    const blob = path.join(dir, blobName);
    const entry = path.join(this.options.distRoot, NODE_SNAPSHOT_ENTRY);
    // The builder needs no CA certificates (see EMULATED_NODE_DROPPED_ENV in launcher.ts).
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env[NODE_SNAPSHOT_CHECK_ENV];
    try {
      const built = await run(this.execPath, [...this.options.flags, '--no-warnings', '--snapshot-blob', blob, '--build-snapshot', entry], env, this.running);
      if (this.closed) throw new Error('stopped');
      if (built.code !== 0) throw new Error(`${path.basename(this.execPath)} --build-snapshot exited ${built.signal ?? built.code}: ${built.stderr.trim().split('\n').slice(-5).join(' | ')}`);
      let files: Record<string, string>;
      try {
        files = (JSON.parse(built.stdout.trim().split('\n').pop() ?? '') as { files: Record<string, string> }).files;
      } catch {
        throw new Error(`the snapshot builder printed no list of sources: ${built.stdout.slice(0, 200)}`);
      }
      const check = await run(this.execPath, [...this.options.flags, '--snapshot-blob', blob], { ...env, [NODE_SNAPSHOT_CHECK_ENV]: '1' }, this.running);
      if (this.closed) throw new Error('stopped');
      let report: { ok?: boolean; files?: number } = {};
      try {
        report = JSON.parse(check.stdout.trim()) as typeof report;
      } catch {
        // judged below
      }
      if (check.code !== 0 || report.ok !== true || report.files !== Object.keys(files).length) {
        throw new Error(`the snapshot failed its self-test (exit ${check.signal ?? check.code}): ${(check.stderr || check.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      }
      const manifest: SnapshotManifest = {
        version: MANIFEST_VERSION, node: process.version, execPath: this.execPath, arch: process.arch, flags: this.options.flags,
        distRoot: this.options.distRoot, blob: blobName, blobSize: fs.statSync(blob).size, files, builtAt: new Date().toISOString(), buildMs: Date.now() - started,
      };
      const tmp = `${this.manifestFile(dir)}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(manifest, null, 1));
      fs.renameSync(tmp, this.manifestFile(dir));
      this.removeOldBlobs(dir, blobName);
      return manifest;
    } catch (err) {
      try {
        fs.unlinkSync(blob);
      } catch {
        // never written
      }
      throw err;
    }
  }

  /** Blobs of this key that an older manifest named; kept a while for nodes being spawned with them. */
  private removeOldBlobs(dir: string, current: string): void {
    const prefix = `emulated-node-${this.key}-`;
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.blob') || name === current) continue;
      const file = path.join(dir, name);
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > OLD_BLOB_GRACE_MS) fs.unlinkSync(file);
      } catch {
        // gone already
      }
    }
  }
}
