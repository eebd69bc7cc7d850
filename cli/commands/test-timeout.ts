// test-timeout [--with-state]: asks the controller for a request that times out.

import type { CommandContext } from '../command';
import { printJson } from '../output';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  return withController(ctx, async (s) => {
    const res = await s.request((c) => c.testTimeout(ctx.args.with_state === true));
    printJson(ctx, { success: res.success, error: res.error });
    return 0;
  });
}
