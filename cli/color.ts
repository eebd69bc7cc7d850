// Terminal colour for readable reports: on when stdout is a terminal, off with
// --no-color or NO_COLOR, forced on with FORCE_COLOR (not "0").

import type { CommandContext } from './command';

export interface Palette {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (code: number, reset: number) => (s: string): string => `\x1b[${code}m${s}\x1b[${reset}m`;

export const COLORS: Palette = { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
const id = (s: string): string => s;
export const NO_COLORS: Palette = { green: id, red: id, yellow: id, bold: id, dim: id };

export function paletteFor(ctx: CommandContext, disabled: boolean): Palette {
  const env = ctx.io.env;
  if (disabled || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return NO_COLORS;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return COLORS;
  return ctx.io.stdout.isTTY ? COLORS : NO_COLORS;
}
