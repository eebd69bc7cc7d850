// The controller's persistent state: its staged, ready and deployed configurations
// (Zeek keeps them in g_configs, a table backed by a Broker SQLite store). One JSON file,
// replaced atomically: written to a temporary file in the same directory, fsync'd,
// renamed over the old one, then the directory fsync'd. A crash at any instant leaves
// either the old or the new file. A file that cannot be read back (truncated, corrupt,
// wrong shape) is reported, set aside as <file>.corrupt-<time>, and start-up goes on
// with no configurations.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { Configuration, ConfigurationSchema } from '../../sdk/model/schemas';

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

export class StateFile {
  private writing: Promise<void> | null = null;
  private dirty = false;
  private latest: StoredConfigs = {};
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private seq = 0;

  constructor(readonly file: string) {}

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
      this.latest = configs;
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
    const prefix = path.basename(this.file) + '.tmp-';
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(prefix)) fs.rmSync(path.join(dir, f), { force: true });
    }
  }

  /**
   * Schedules a write of `configs`; resolves once a write that contains them is durable.
   * Writes never overlap; bursts coalesce into one write of the newest state.
   */
  save(configs: StoredConfigs): Promise<void> {
    this.latest = configs;
    this.dirty = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.drain();
    return done;
  }

  /** Resolves when every scheduled write has finished. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const waiters = this.waiters;
        this.waiters = [];
        try {
          await this.writeAtomically(this.serialize(this.latest));
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err as Error);
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private serialize(configs: StoredConfigs): string {
    return JSON.stringify({ format: FORMAT, version: VERSION, configs });
  }

  private async writeAtomically(text: string): Promise<void> {
    const dir = path.dirname(this.file);
    const tmp = `${this.file}.tmp-${process.pid}-${++this.seq}`;
    const fh = await fs.promises.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fs.promises.rename(tmp, this.file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    const dh = await fs.promises.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
