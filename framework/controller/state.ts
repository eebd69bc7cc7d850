// The three configurations a cluster configuration passes through (Zeek's g_configs,
// indexed by ConfigState): STAGED as the client sent it, READY with instance addresses
// and ports filled in, DEPLOYED as sent to the agents. Every change is written through
// to the state file; `durable()` resolves once the current content is on disk.

import { Configuration } from '../../sdk/model/schemas';
import { ConfigState, StateFile, StoredConfigs } from './persistence';
import { ManagementLog } from './log';

export class ConfigStore {
  private configs: StoredConfigs = {};
  private lastSave: Promise<void> = Promise.resolve();

  constructor(private readonly file: StateFile, private readonly log: ManagementLog) {}

  /** Loads persisted configurations; a corrupt file is logged and set aside. */
  load(): void {
    const outcome = this.file.load();
    if (outcome.problem) this.log.error(outcome.problem);
    this.configs = outcome.configs;
    const have = (Object.keys(this.configs) as ConfigState[]).map((k) => `${k.toLowerCase()} ${this.configs[k]!.id}`);
    if (have.length > 0) this.log.info(`loaded persisted configurations: ${have.join(', ')}`);
  }

  get(key: ConfigState): Configuration | undefined {
    return this.configs[key];
  }

  has(key: ConfigState): boolean {
    return this.configs[key] !== undefined;
  }

  /** Sets one or more configurations at once (one durable write). */
  set(updates: StoredConfigs): Promise<void> {
    this.configs = { ...this.configs, ...updates };
    const save = this.file.save(this.configs).catch((err: Error) => {
      this.log.error(`could not persist controller state to ${this.file.file}: ${err.message}`);
    });
    this.lastSave = save;
    return save;
  }

  /** Resolves when every change made so far is on disk (or its write failed and was logged). */
  durable(): Promise<void> {
    return this.lastSave;
  }

  async flush(): Promise<void> {
    await this.file.flush();
  }
}
