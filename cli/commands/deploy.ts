// deploy: deploy the staged configuration; per-node results, failed nodes' output.

import { nodeOutputsOf } from '../../sdk/client/result-data';
import type { CommandContext } from '../command';
import { printJson } from '../output';
import { deployReport } from '../results';
import { Session, withController } from '../session';

/**
 * Sends deploy_request on an open session and prints zeek-client's result JSON; returns
 * the exit code. `onResponse` runs when the response arrives, before anything is printed.
 */
export async function deployOn(ctx: CommandContext, s: Session, onResponse?: () => void): Promise<number> {
  const report = await deployReportOn(ctx, s, onResponse);
  printJson(ctx, report.json);
  return report.ok ? 0 : 1;
}

/** deploy_request on an open session: zeek-client's result JSON and whether every node deployed. */
export async function deployReportOn(ctx: CommandContext, s: Session, onResponse?: () => void): Promise<{ json: unknown; ok: boolean }> {
  let results;
  try {
    results = await s.request((c) => c.deploy());
  } finally {
    onResponse?.();
  }
  const report = deployReport(results, (r) => {
    try {
      return nodeOutputsOf(r);
    } catch {
      return null;
    }
  });
  for (const w of report.skipped) ctx.log.warning(w);
  return report;
}

export function run(ctx: CommandContext): Promise<number> {
  return withController(ctx, (s) => deployOn(ctx, s));
}
