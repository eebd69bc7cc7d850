// restart [NODES ...]: restart cluster nodes (all when none are named).

import type { CommandContext } from '../command';
import { printJson } from '../output';
import { restartReport } from '../results';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  const nodes = [...new Set(ctx.args.nodes as string[])];
  return withController(ctx, async (s) => {
    const results = await s.request((c) => c.restart(nodes));
    const json = restartReport(results);
    printJson(ctx, json);
    return json.errors.length === 0 ? 0 : 1;
  });
}
