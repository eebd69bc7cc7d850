// deploy-config FILE: stage a cluster configuration, then deploy it on the same connection.

import type { CommandContext } from '../command';
import { loadConfiguration } from '../config-input';
import { printJson } from '../output';
import { withController } from '../session';
import { deployOn } from './deploy';
import { stageOn } from './stage-config';
import { loadSiteOption, stageSiteOn, withSite } from '../site-input';

export async function run(ctx: CommandContext): Promise<number> {
  const loaded = await loadConfiguration(ctx, ctx.args.config as string);
  if (loaded === null) return 1;
  const site = loadSiteOption(ctx);
  if (site === 'error') return 1;
  const config = withSite(loaded, site);
  return withController(ctx, async (s) => {
    await stageSiteOn(ctx, s, site);
    const staged = await stageOn(s, config);
    if (!staged.ok) {
      printJson(ctx, staged.json);
      return 1;
    }
    return deployOn(ctx, s);
  });
}
