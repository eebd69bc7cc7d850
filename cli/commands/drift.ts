// drift [FILE] [--format json|markdown]: desired (FILE), staged, deployed and running
// state side by side. Exit 0: in sync, 2: drifted, 1: error.

import type { Configuration } from '../../sdk/model/schemas';
import type { CommandContext } from '../command';
import { loadValidConfiguration } from '../desired';
import { buildDriftReport, renderDriftMarkdown } from '../drift-report';
import { fetchConfiguration, fetchInstances, fetchRunning } from '../fetch-state';
import { printJson } from '../output';
import { withController } from '../session';
import { configurationSite } from '../../sdk/site/apply';
import { siteDriftFrom, renderSiteDrift } from '../site-input';

export async function run(ctx: CommandContext): Promise<number> {
  const file = ctx.args.config as string | null;
  let desired: Configuration | null = null;
  if (file) {
    desired = await loadValidConfiguration(ctx, file, false);
    if (desired === null) return 1;
  }
  return withController(ctx, async (s) => {
    const staged = await fetchConfiguration(ctx, s, false);
    const deployed = await fetchConfiguration(ctx, s, true);
    const connected = await fetchInstances(ctx, s);
    const running = await fetchRunning(s);
    const report = buildDriftReport({
      desired, desiredSource: file ? (file === '-' ? '<stdin>' : file) : null, staged, deployed, running, connected,
    });
    // Ours: with a deployed site, what each instance's disk holds of it. Only then, so that
    // drift against Zeek's controller (which would not answer) asks nothing new.
    const deployedSite = deployed ? configurationSite(deployed).hash : null;
    const site = deployedSite ? siteDriftFrom(deployedSite, await s.request((c) => c.getSiteStatus())) : null;
    const inSync = report.in_sync && (site === null || site.in_sync);
    if (ctx.args.format === 'json') printJson(ctx, site ? { ...report, in_sync: inSync, site } : report);
    else ctx.io.stdout.write(renderDriftMarkdown(report) + (site ? renderSiteDrift(site) : ''));
    return inSync ? 0 : 2;
  });
}
