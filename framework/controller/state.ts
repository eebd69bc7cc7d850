// The three configurations a cluster configuration passes through (Zeek's g_configs,
// indexed by ConfigState): STAGED as the client sent it, READY with instance addresses
// and ports filled in, DEPLOYED as sent to the agents. What `get` returns is what the
// state file holds: `set` writes the change through and adopts it only once it is on
// disk; when the write fails, nothing changes and the caller gets the reason.

import { Configuration } from '../../sdk/model/schemas';
import { ConfigState, PersistError, StateFile, StoredConfigs } from './persistence';
import { ManagementLog } from './log';

/** How the configurations are named in errors: "the staged configuration". */
const WHAT: Record<ConfigState, string> = { STAGED: 'staged', READY: 'ready', DEPLOYED: 'deployed' };

export class ConfigStore {
  constructor(private readonly file: StateFile, private readonly log: ManagementLog) {}

  /** Loads persisted configurations; a corrupt file is logged and set aside. */
  load(): void {
    const outcome = this.file.load();
    if (outcome.problem) this.log.error(outcome.problem);
    const configs = this.file.configs;
    const have = (Object.keys(configs) as ConfigState[]).map((k) => `${k.toLowerCase()} ${configs[k]!.id}`);
    if (have.length > 0) this.log.info(`loaded persisted configurations: ${have.join(', ')}`);
  }

  get(key: ConfigState): Configuration | undefined {
    return this.file.configs[key];
  }

  has(key: ConfigState): boolean {
    return this.file.configs[key] !== undefined;
  }

  /**
   * Sets one or more configurations at once (one durable write). Resolves with null once
   * they are on disk (and from then on `get` returns them), or with the error for the
   * client, e.g. "could not persist the staged configuration to <file>: no space left on
   * device", when the write failed (and they are not set). The failure is logged too.
   */
  async set(updates: StoredConfigs): Promise<string | null> {
    try {
      await this.file.save(updates);
      return null;
    } catch (err) {
      const e = err as PersistError;
      const first = (['STAGED', 'READY', 'DEPLOYED'] as const).find((k) => k in updates) ?? 'STAGED';
      const message = `could not persist the ${WHAT[first]} configuration to ${e.file ?? this.file.file}: ${e.reason ?? e.message}`;
      this.log.error(message);
      return message;
    }
  }

  /** Resolves when every write scheduled so far has finished. */
  async flush(): Promise<void> {
    await this.file.flush();
  }
}
