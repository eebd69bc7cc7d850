// show-settings: the client's own settings after every override, as an .ini file.

import type { CommandContext } from '../command';

export function run(ctx: CommandContext): number {
  ctx.io.stdout.write(ctx.settings.write());
  return 0;
}
