// plan FILE [--json] [--no-color]: what deploying FILE would change against the
// deployed configuration. Exit 0: no change, 2: changes, 1: error.

import { diffConfigurations } from '../../sdk/plan/diff';
import { paletteFor } from '../color';
import type { CommandContext } from '../command';
import { loadDesiredWithSite } from '../desired';
import { fetchConfiguration } from '../fetch-state';
import { warnAboutUnconnected } from '../instances-check';
import { printJson } from '../output';
import { planJson, renderPlanText } from '../plan-report';
import { withController } from '../session';
import { nodesOnly, renderSitePlanText, sitePlanFor, sitePlanJson } from '../site-input';

export async function run(ctx: CommandContext): Promise<number> {
  const loaded = await loadDesiredWithSite(ctx);
  if (loaded === null) return 1;
  const { desired, site, source } = loaded;
  return withController(ctx, async (s) => {
    const deployed = await fetchConfiguration(ctx, s, true);
    // Nodes without the site's mark in their env: the site has a part of its own.
    const diff = diffConfigurations(nodesOnly(desired)!, nodesOnly(deployed));
    const sitePlan = await sitePlanFor(s, desired, site, deployed);
    const changes = diff.hasChanges || sitePlan.hasChanges;
    if (changes) await warnAboutUnconnected(ctx, s, desired);
    const withSitePart = site !== null || sitePlan.hasChanges;
    if (ctx.args.json) {
      const doc = planJson(diff, source);
      if (withSitePart) Object.assign(doc, { has_changes: changes, site: sitePlanJson(sitePlan) });
      printJson(ctx, doc);
    } else {
      const palette = paletteFor(ctx, ctx.args.no_color === true);
      if (!diff.hasChanges && sitePlan.hasChanges) ctx.io.stdout.write(`Site changes for ${source} against the deployed configuration ${diff.deployedId ?? '(none)'}; no node changes.\n`);
      else ctx.io.stdout.write(renderPlanText(diff, source, palette));
      ctx.io.stdout.write(renderSitePlanText(sitePlan, palette));
    }
    return changes ? 2 : 0;
  });
}
