// apply FILE: validate FILE with the controller's own rules, plan it against the
// deployed configuration, and only if something changes stage and deploy it (with a
// progress line on a terminal). The plan comes first, on stderr as `plan` prints it, and
// the outcome last ("no changes, nothing deployed" or what was deployed); stdout carries
// deploy-config's JSON, and with nothing to change the same shape for the deployment in
// place (nodes' success: whether they run). With --json, stdout is one document: the plan
// (plan --json's), whether anything was deployed, and that result.

import { diffConfigurations } from '../../sdk/plan/diff';
import type { Configuration } from '../../sdk/model/schemas';
import type { CommandContext } from '../command';
import { loadDesiredWithSite } from '../desired';
import { fetchConfiguration, fetchRunning } from '../fetch-state';
import { warnAboutUnconnected } from '../instances-check';
import { printJson } from '../output';
import { planSummary } from '../plan-report';
import { Progress, startProgress } from '../progress';
import type { Json } from '../results';
import { Session, withController } from '../session';
import { deployReportOn } from './deploy';
import { planJson, renderPlanText } from '../plan-report';
import { paletteFor } from '../color';
import { stageOn } from './stage-config';
import { nodesOnly, renderSitePlanText, sitePlanFor, sitePlanJson, stageSiteOn } from '../site-input';
import { sitePlanSummary } from '../../sdk/plan/site';

/** What apply prints on stdout: deploy-config's JSON, or with --json one document around it. */
function report(ctx: CommandContext, plan: Record<string, unknown>, deployed: boolean, result: unknown): void {
  printJson(ctx, ctx.args.json === true ? { plan, deployed, result } : result);
}

async function unchanged(ctx: CommandContext, s: Session, deployed: Configuration, plan: Record<string, unknown>): Promise<number> {
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
  report(ctx, plan, false, { errors: [], results });
  return ok ? 0 : 1;
}

export async function run(ctx: CommandContext): Promise<number> {
  const loaded = await loadDesiredWithSite(ctx);
  if (loaded === null) return 1;
  const { desired, site, source } = loaded;
  const onTerminal = ctx.io.stderr.isTTY === true && ctx.args.quiet !== true;
  const status = (line: string): void => {
    if (onTerminal) ctx.io.stderr.write(`${line}\n`);
    else ctx.log.info(line);
  };

  return withController(ctx, async (s) => {
    const deployed = await fetchConfiguration(ctx, s, true);
    const diff = diffConfigurations(nodesOnly(desired)!, nodesOnly(deployed));
    const sitePlan = await sitePlanFor(s, desired, site, deployed);
    const plan = planJson(diff, source);
    if (site !== null || sitePlan.hasChanges) Object.assign(plan, { has_changes: diff.hasChanges || sitePlan.hasChanges, site: sitePlanJson(sitePlan) });
    // The plan first, as `plan` prints it (colours as on stderr's terminal).
    if (!ctx.args.quiet && ctx.args.json !== true) {
      const palette = paletteFor({ ...ctx, io: { ...ctx.io, stdout: ctx.io.stderr } }, false);
      ctx.io.stderr.write(renderPlanText(diff, source, palette) + renderSitePlanText(sitePlan, palette));
    }
    if (!diff.hasChanges && !sitePlan.hasChanges) {
      ctx.log.shown('info', 'no changes, nothing deployed');
      if (deployed === null) {
        status(`No changes: ${source} defines no instances or nodes and nothing is deployed; nothing staged or deployed.`);
        report(ctx, plan, false, { errors: [], results: {} });
        return 0;
      }
      status(`No changes: ${source} matches the deployed configuration ${deployed.id}; nothing staged or deployed.`);
      return unchanged(ctx, s, deployed, plan);
    }
    status(`Applying ${source}: ${planSummary(diff)}${sitePlan.hasChanges ? `; ${sitePlanSummary(sitePlan)}` : ''}.`);
    await warnAboutUnconnected(ctx, s, desired);
    await stageSiteOn(ctx, s, site);
    const staged = await stageOn(s, desired);
    if (!staged.ok) {
      report(ctx, plan, false, staged.json);
      ctx.log.shown('info', 'staging failed, nothing deployed');
      return 1;
    }
    let progress: Progress | null = onTerminal ? startProgress(ctx, s, desired) : null;
    try {
      const result = await deployReportOn(ctx, s, () => {
        progress?.stop();
        progress = null;
      });
      report(ctx, plan, true, result.json);
      ctx.log.shown('info', result.ok ? `deployed ${source}` : `deployed ${source}, with errors`);
      return result.ok ? 0 : 1;
    } finally {
      progress?.stop();
    }
  });
}
