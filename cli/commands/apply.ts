// apply FILE: validate FILE with the controller's own rules, plan it against the
// deployed configuration, and only if something changes stage and deploy it (with a
// progress line on a terminal). Prints deploy-config's JSON; with nothing to change, the
// same shape for the deployment in place (nodes' success: whether they run).

import { diffConfigurations } from '../../sdk/plan/diff';
import type { Configuration } from '../../sdk/model/schemas';
import type { CommandContext } from '../command';
import { loadValidConfiguration } from '../desired';
import { fetchConfiguration, fetchRunning } from '../fetch-state';
import { warnAboutUnconnected } from '../instances-check';
import { printJson } from '../output';
import { planSummary } from '../plan-report';
import { Progress, startProgress } from '../progress';
import type { Json } from '../results';
import { Session, withController } from '../session';
import { deployOn } from './deploy';
import { stageOn } from './stage-config';
import { loadSiteOption, nodesOnly, sitePlanFor, stageSiteOn, withSite } from '../site-input';
import { sitePlanSummary } from '../../sdk/plan/site';

async function unchanged(ctx: CommandContext, s: Session, deployed: Configuration): Promise<number> {
  const running = await fetchRunning(s);
  const nodes: Json = {};
  let ok = true;
  for (const n of deployed.nodes) {
    const st = running.byInstance.get(n.instance)?.find((x) => x.node === n.name);
    const success = st?.state === 'RUNNING';
    if (!success) ok = false;
    nodes[n.name] = { instance: n.instance, success };
  }
  const results: Json = { id: deployed.id };
  if (deployed.nodes.length > 0) results.nodes = nodes;
  printJson(ctx, { errors: [], results });
  return ok ? 0 : 1;
}

export async function run(ctx: CommandContext): Promise<number> {
  const file = ctx.args.config as string;
  const config = await loadValidConfiguration(ctx, file);
  if (config === null) return 1;
  const site = loadSiteOption(ctx);
  if (site === 'error') return 1;
  const desired = withSite(config, site);
  const source = file === '-' ? '<stdin>' : file;
  const onTerminal = ctx.io.stderr.isTTY === true && ctx.args.quiet !== true;
  const status = (line: string): void => {
    if (onTerminal) ctx.io.stderr.write(`${line}\n`);
    else ctx.log.info(line);
  };

  return withController(ctx, async (s) => {
    const deployed = await fetchConfiguration(ctx, s, true);
    const diff = diffConfigurations(nodesOnly(desired)!, nodesOnly(deployed));
    const sitePlan = await sitePlanFor(s, desired, site, deployed);
    if (!diff.hasChanges && !sitePlan.hasChanges) {
      if (deployed === null) {
        status(`No changes: ${source} defines no instances or nodes and nothing is deployed; nothing staged or deployed.`);
        printJson(ctx, { errors: [], results: {} });
        return 0;
      }
      status(`No changes: ${source} matches the deployed configuration ${deployed.id}; nothing staged or deployed.`);
      return unchanged(ctx, s, deployed);
    }
    status(`Applying ${source}: ${planSummary(diff)}${sitePlan.hasChanges ? `; ${sitePlanSummary(sitePlan)}` : ''}.`);
    await warnAboutUnconnected(ctx, s, desired);
    await stageSiteOn(ctx, s, site);
    const staged = await stageOn(s, desired);
    if (!staged.ok) {
      printJson(ctx, staged.json);
      return 1;
    }
    let progress: Progress | null = onTerminal ? startProgress(ctx, s, desired) : null;
    try {
      return await deployOn(ctx, s, () => {
        progress?.stop();
        progress = null;
      });
    } finally {
      progress?.stop();
    }
  });
}
