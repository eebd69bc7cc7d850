// The desired configuration of plan, apply and drift: FILE parsed as stage-config parses
// it, then checked with the controller's own validation (sdk/validation), so problems
// show before anything is sent.

import type { Configuration } from '../sdk/model/schemas';
import type { CommandContext } from './command';
import { loadConfiguration } from './config-input';
import { LoadedSite, loadSiteOption, withSite } from './site-input';

/** --strict, or the setting client.strict (not one of zeek-client's: show-settings lists it only when set). */
export function strictWanted(ctx: CommandContext): boolean {
  if (ctx.args.strict === true) return true;
  return ctx.settings.raw('client', 'strict') !== undefined && ctx.settings.getBoolean('client', 'strict');
}

/**
 * `sends`: whether the error lines say "not sending": plan and apply are about what would
 * be, or is, sent; drift only compares and never sends the file.
 */
export async function loadValidConfiguration(ctx: CommandContext, file: string | null | undefined, sends = true): Promise<Configuration | null> {
  const notSending = sends ? ', not sending' : '';
  let strict: boolean;
  try {
    strict = strictWanted(ctx);
  } catch (err) {
    ctx.log.error((err as Error).message);
    return null;
  }
  const config = await loadConfiguration(ctx, file, strict ? 'strict' : 'shown', notSending);
  if (config === null) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { validateConfiguration } = require('../sdk/validation/configuration') as typeof import('../sdk/validation/configuration');
  const errors = validateConfiguration(config);
  if (errors.length === 0) return config;
  for (const e of errors) ctx.log.error(`configuration is invalid${notSending}: ${e}`);
  return null;
}

/** plan's and apply's desired state: FILE validated, with --site's directory when given; null after the error lines. */
export async function loadDesiredWithSite(ctx: CommandContext): Promise<{ desired: Configuration; site: LoadedSite | null; source: string } | null> {
  const file = ctx.args.config as string;
  const config = await loadValidConfiguration(ctx, file);
  if (config === null) return null;
  const site = loadSiteOption(ctx);
  if (site === 'error') return null;
  return { desired: withSite(config, site), site, source: file === '-' ? '<stdin>' : file };
}
