// Writing command results: JSON exactly as zeek-client's json_dumps() (Python's
// json.dumps with sort_keys, indent 2, or single-line when client.pretty_json is off).

import { pythonJsonDumps } from '../sdk/config/python-json';
import type { CommandContext } from './command';

/** client.pretty_json (true unless set otherwise). */
export function prettyJson(ctx: CommandContext): boolean {
  try {
    return ctx.settings.getBoolean('client', 'pretty_json');
  } catch (err) {
    ctx.log.warning(`${(err as Error).message}; pretty-printing`);
    return true;
  }
}

/** The JSON text zeek-client would print for `value` (without the trailing newline). */
export function jsonText(ctx: CommandContext, value: unknown): string {
  return pythonJsonDumps(value, { sortKeys: true, indent: prettyJson(ctx) ? 2 : null });
}

/** Prints `value` as JSON on stdout, followed by a newline (Python's print()). */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(`${jsonText(ctx, value)}\n`);
}
