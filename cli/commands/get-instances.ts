// get-instances: the instances (agents) connected to the controller, keyed by name.

import { instancesOf } from '../../sdk/client/result-data';
import type { Instance } from '../../sdk/model/schemas';
import type { CommandContext } from '../command';
import { printJson } from '../output';
import { instancesReport } from '../results';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  return withController(ctx, async (s) => {
    const res = await s.request((c) => c.getInstances());
    if (!res.success) {
      ctx.log.error(res.error ? res.error : 'no reason given');
      return 1;
    }
    if (res.data === null) {
      ctx.log.error(`received result did not contain instance data: reqid ${res.reqid}`);
      return 1;
    }
    let instances: Instance[] = [];
    try {
      instances = instancesOf(res);
    } catch (err) {
      ctx.log.error(`instance data invalid: ${(err as Error).message}`);
    }
    printJson(ctx, instancesReport(instances));
    return 0;
  }, { method: 'getInstances' });
}
