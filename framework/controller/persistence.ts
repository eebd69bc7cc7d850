// The controller's persistent state: its staged, ready and deployed configurations
// (Zeek keeps them in g_configs, a table backed by a Broker SQLite store). One JSON file,
// replaced atomically (writeFileDurable: temporary file, fsync, rename, fsync of the
// directory). A crash at any instant leaves either the old or the new file. The state
// this class holds is what the file holds: a change is adopted only once its write has
// succeeded; a failed write (full disk, read-only or vanished directory, fsync error)
// leaves it as it was and is reported to the caller. A file that cannot be read back
// (truncated, corrupt, wrong shape) is reported, set aside as <file>.corrupt-<time>, and
// start-up goes on with no configurations.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { Configuration, ConfigurationSchema } from '../../sdk/model/schemas';
import { ioErrorReason, temporaryPrefix, writeFileDurable } from '../logs/durable-fs';

export type ConfigState = 'STAGED' | 'READY' | 'DEPLOYED';
export type StoredConfigs = Partial<Record<ConfigState, Configuration>>;

const FORMAT = 'zeek-mgmt-controller-state';
const VERSION = 1;

const StateFileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  configs: z.object({
    STAGED: ConfigurationSchema.optional(),
    READY: ConfigurationSchema.optional(),
    DEPLOYED: ConfigurationSchema.optional(),
  }).strict(),
});

export interface LoadOutcome {
  configs: StoredConfigs;
  /** Set when the file existed but could not be used; says what happened to it. */
  problem?: string;
}

/** A write of the state file failed; `reason` is the system's wording ("no space left on device"). */
export class PersistError extends Error {
  constructor(readonly file: string, readonly reason: string, override readonly cause: unknown) {
    super(`${file}: ${reason}`);
    this.name = 'PersistError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: PersistError) => void;
}

export class StateFile {
  private writing: Promise<void> | null = null;
  /** What the file holds (as far as a successful write or the load says). */
  private onDisk: StoredConfigs = {};
  /** Changes waiting for the next write, merged in arrival order, and who waits for them. */
  private pending: StoredConfigs | null = null;
  private waiters: Waiter[] = [];

  constructor(readonly file: string) {}

  /** The configurations as on disk. */
  get configs(): StoredConfigs {
    return this.onDisk;
  }

  /** Reads the state; never throws for bad content (only for I/O errors other than "missing"). */
  load(): LoadOutcome {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.removeStaleTemporaries();
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { configs: {} };
      throw err;
    }
    let why: string | undefined;
    let configs: StoredConfigs = {};
    try {
      const r = StateFileSchema.safeParse(JSON.parse(text));
      if (r.success) configs = r.data.configs;
      else why = `unexpected content: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ')}`;
    } catch (err) {
      why = text.length === 0 ? 'the file is empty' : `not valid JSON (${(err as Error).message})`;
    }
    if (why === undefined) {
      this.onDisk = configs;
      return { configs };
    }
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      fs.renameSync(this.file, aside);
      return { configs: {}, problem: `state file ${this.file} is unusable (${why}); moved it to ${aside} and started without persisted configurations` };
    } catch (err) {
      return { configs: {}, problem: `state file ${this.file} is unusable (${why}) and could not be moved aside (${(err as Error).message}); started without persisted configurations` };
    }
  }

  private removeStaleTemporaries(): void {
    const dir = path.dirname(this.file);
    const prefix = path.basename(temporaryPrefix(this.file));
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(prefix)) fs.rmSync(path.join(dir, f), { force: true });
    }
  }

  /**
   * Writes the state with `updates` applied. Resolves once that is on disk, and only then
   * do `configs` show them; rejects with a PersistError when the write failed, and then
   * nothing of `updates` is kept. Writes never overlap; changes that arrive during a write
   * go out together in the next one (each on top of what the disk then holds).
   */
  save(updates: StoredConfigs): Promise<void> {
    this.pending = { ...this.pending, ...updates };
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.drain();
    return done;
  }

  /** Resolves when every write scheduled so far has finished (succeeded or failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const next: StoredConfigs = { ...this.onDisk, ...this.pending };
        const waiters = this.waiters;
        this.pending = null;
        this.waiters = [];
        let failure: PersistError | undefined;
        try {
          await writeFileDurable(this.file, this.serialize(next));
          this.onDisk = next;
        } catch (err) {
          failure = new PersistError(this.file, ioErrorReason(err), err);
        }
        for (const w of waiters) {
          if (failure) w.reject(failure);
          else w.resolve();
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private serialize(configs: StoredConfigs): string {
    return JSON.stringify({ format: FORMAT, version: VERSION, configs });
  }
}
