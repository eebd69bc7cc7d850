// What every command module receives and exports.

import type { Namespace } from './argparse';
import type { Logger } from './log';
import type { MainIo } from './cli';
import type { Settings } from './settings';

export interface CommandContext {
  args: Namespace;
  settings: Settings;
  log: Logger;
  io: MainIo;
  prog: string;
}

export interface CommandModule {
  /** Runs the command; resolves with the exit code. */
  run(ctx: CommandContext): Promise<number> | number;
}
