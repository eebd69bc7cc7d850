// get-config [--as-json] [--deployed|--staged] [-f FILE]: the staged (default) or
// deployed cluster configuration, as .ini text or JSON, on stdout or into FILE.

import * as fs from 'node:fs';
import { configurationOf } from '../../sdk/client/result-data';
import { configurationToIni } from '../../sdk/config/configuration-to-ini';
import { configurationToJson } from '../../sdk/config/configuration-to-json';
import type { CommandContext } from '../command';
import { prettyJson } from '../output';
import { withController } from '../session';

export function run(ctx: CommandContext): Promise<number> {
  const deployed = ctx.args.deployed === true;
  const filename = (ctx.args.filename as string | null) ?? '-';
  return withController(ctx, async (s) => {
    const res = await s.request((c) => c.getConfiguration(deployed));
    if (!res.success) {
      ctx.log.error(res.error ? res.error : 'no reason given');
      return 1;
    }
    if (res.data === null) {
      ctx.log.error(`received result did not contain configuration data: reqid ${res.reqid}`);
      return 1;
    }
    let text: string;
    try {
      const config = configurationOf(res);
      if (config === null) throw new Error('no configuration');
      text = ctx.args.as_json ? configurationToJson(config, { pretty: prettyJson(ctx) }) : configurationToIni(config);
    } catch (err) {
      ctx.log.error(`configuration data invalid: ${(err as Error).message}`);
      return 1;
    }
    if (filename && filename !== '-') {
      try {
        fs.writeFileSync(filename, text);
      } catch (err) {
        ctx.log.error(`cannot write configuration to "${filename}": ${(err as Error).message}`);
        return 1;
      }
    } else {
      ctx.io.stdout.write(text);
    }
    return 0;
  }, { method: 'getConfiguration', deployed });
}
