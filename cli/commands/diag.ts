// diag [NODE ...] [--json] [--lines N] (ours): for each node (all when none is named), what
// its Supervisor knows of its process: running or crashed, restarts since deployment, how
// it last ended (exit status or signal, when) and its last stderr and stdout lines, in the
// spirit of ZeekControl's diag. Exit 0: every instance answered and no node ended on its
// own; 2: every instance answered and some node did; 1: an error (also a usage error).

import { nodeDiagnosticsOf } from '../../sdk/client/result-data';
import type { CommandContext } from '../command';
import { anyExited, buildDiagReport, renderDiagText } from '../diag-report';
import { printJson } from '../output';
import { withController } from '../session';

/** Lines of each stream shown by default, as crash-diag's `tail -10`. */
export const DEFAULT_LINES = 10;

export async function run(ctx: CommandContext): Promise<number> {
  const given = ctx.args.lines as string | null;
  let lines = DEFAULT_LINES;
  if (given !== null && given !== undefined) {
    if (!/^\d+$/.test(given) || Number(given) > 1_000_000) {
      ctx.log.error(`--lines must be a whole number of lines (0 for all kept), got '${given}'`);
      return 1;
    }
    lines = Number(given);
  }
  const nodes = (ctx.args.nodes as string[] | undefined) ?? [];
  return withController(ctx, async (s) => {
    const results = await s.request((c) => c.getNodeDiagnostics(nodes));
    const report = buildDiagReport(results, nodeDiagnosticsOf);
    if (ctx.args.json) printJson(ctx, report);
    else {
      for (const e of report.errors) ctx.log.error(e.source !== null && !e.error.includes(`'${e.source}'`) ? `${e.source}: ${e.error}` : e.error);
      ctx.io.stdout.write(renderDiagText(report, lines, Date.now() / 1000));
    }
    if (report.errors.length > 0) return 1;
    return anyExited(report) ? 2 : 0;
  });
}
