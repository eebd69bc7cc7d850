// deploy-config FILE: stage a cluster configuration, then deploy it on the same connection.

import type { CommandContext } from '../command';
import { loadConfiguration } from '../config-input';
import { printJson } from '../output';
import { withController } from '../session';
import { deployOn } from './deploy';
import { stageOn } from './stage-config';

export async function run(ctx: CommandContext): Promise<number> {
  const config = await loadConfiguration(ctx, ctx.args.config as string);
  if (config === null) return 1;
  return withController(ctx, async (s) => {
    const staged = await stageOn(s, config);
    if (!staged.ok) {
      printJson(ctx, staged.json);
      return 1;
    }
    return deployOn(ctx, s);
  });
}
