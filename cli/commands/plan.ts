// plan FILE [--json] [--no-color]: what deploying FILE would change against the
// deployed configuration. Exit 0: no change, 2: changes, 1: error.

import { diffConfigurations } from '../../sdk/plan/diff';
import { paletteFor } from '../color';
import type { CommandContext } from '../command';
import { loadValidConfiguration } from '../desired';
import { fetchConfiguration } from '../fetch-state';
import { warnAboutUnconnected } from '../instances-check';
import { printJson } from '../output';
import { planJson, renderPlanText } from '../plan-report';
import { withController } from '../session';

export async function run(ctx: CommandContext): Promise<number> {
  const file = ctx.args.config as string;
  const desired = await loadValidConfiguration(ctx, file);
  if (desired === null) return 1;
  const source = file === '-' ? '<stdin>' : file;
  return withController(ctx, async (s) => {
    const deployed = await fetchConfiguration(ctx, s, true);
    const diff = diffConfigurations(desired, deployed);
    if (diff.hasChanges) await warnAboutUnconnected(ctx, s, desired);
    if (ctx.args.json) printJson(ctx, planJson(diff, source));
    else ctx.io.stdout.write(renderPlanText(diff, source, paletteFor(ctx, ctx.args.no_color === true)));
    return diff.hasChanges ? 2 : 0;
  });
}
