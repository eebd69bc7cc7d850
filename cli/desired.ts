// The desired configuration of plan, apply and drift: FILE parsed as stage-config parses
// it, then checked with the controller's own validation (sdk/validation), so problems
// show before anything is sent.

import type { Configuration } from '../sdk/model/schemas';
import type { CommandContext } from './command';
import { loadConfiguration } from './config-input';

export async function loadValidConfiguration(ctx: CommandContext, file: string | null | undefined): Promise<Configuration | null> {
  const config = await loadConfiguration(ctx, file);
  if (config === null) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { validateConfiguration } = require('../sdk/validation/configuration') as typeof import('../sdk/validation/configuration');
  const errors = validateConfiguration(config);
  if (errors.length === 0) return config;
  for (const e of errors) ctx.log.error(`configuration is invalid, not sending: ${e}`);
  return null;
}
