// get-id-value IDENTIFIER [NODES ...]: the value of a script identifier on cluster nodes.

import { parse as parseLossless } from 'lossless-json';
import type { CommandContext } from '../command';
import { printJson } from '../output';
import { idValueReport } from '../results';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  const id = ctx.args.id as string;
  const nodes = [...new Set(ctx.args.nodes as string[])];
  return withController(ctx, async (s) => {
    const results = await s.request((c) => c.getIdValue(id, nodes));
    // Numbers keep their spelling, so 1.0 prints as 1.0, as Python's json.loads/dumps do.
    const json = idValueReport(results, (text) => parseLossless(text));
    printJson(ctx, json);
    return json.errors.length === 0 ? 0 : 1;
  }, { method: 'getIdValue', id, nodes });
}
