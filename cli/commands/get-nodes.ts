// get-nodes: per instance, the state of every node (agent, controller, cluster nodes).

import { nodeStatusesOf } from '../../sdk/client/result-data';
import type { CommandContext } from '../command';
import { printJson } from '../output';
import { nodesReport } from '../results';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  return withController(ctx, async (s) => {
    const results = await s.request((c) => c.getNodes());
    const { json, problems } = nodesReport(results, nodeStatusesOf);
    for (const p of problems) ctx.log.error(p);
    printJson(ctx, json);
    return json.errors.length === 0 ? 0 : 1;
  }, { method: 'getNodes' });
}
