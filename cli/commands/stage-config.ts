// stage-config FILE: upload a cluster configuration for later deployment.

import type { Configuration } from '../../sdk/model/schemas';
import type { CommandContext } from '../command';
import { loadConfiguration } from '../config-input';
import { warnAboutUnconnected } from '../instances-check';
import { printJson } from '../output';
import { Json, stageReport } from '../results';
import { Session, withController } from '../session';

/** Stages `config` on an open session; returns zeek-client's JSON and whether it succeeded. */
export async function stageOn(s: Session, config: Configuration): Promise<{ json: { results: Json; errors: Json[] }; ok: boolean }> {
  const results = await s.request((c) => c.stageConfiguration(config));
  return stageReport(results);
}

export async function run(ctx: CommandContext): Promise<number> {
  const config = await loadConfiguration(ctx, ctx.args.config as string);
  if (config === null) return 1;
  return withController(ctx, async (s) => {
    await warnAboutUnconnected(ctx, s, config);
    const { json, ok } = await stageOn(s, config);
    printJson(ctx, json);
    return ok ? 0 : 1;
  });
}
