// `zeek-mgmt diag`'s report: the controller's per-instance node diagnostics as one JSON
// document laid out like get-nodes' ({"errors": [...], "results": {instance: {node: ...}}}),
// and as text in the spirit of ZeekControl's diag, whose crash-diag script prints a node's
// files under "==== stderr.log" / "==== No stderr.log" headings, the last 10 lines each.

import type { NodeDiagnostics, NodeExit } from '../sdk/model/diagnostics';
import type { Result } from '../sdk/model/records';

export interface DiagReport {
  errors: Array<{ source: string | null; error: string }>;
  /** instance → node → the node's diagnostics (without node and instance, the keys). */
  results: Record<string, Record<string, Omit<NodeDiagnostics, 'node' | 'instance'>>>;
}

/** Builds the report from the controller's Results; `read` parses one instance's data (nodeDiagnosticsOf). */
export function buildDiagReport(results: readonly Result[], read: (r: Result) => NodeDiagnostics[]): DiagReport {
  const report: DiagReport = { errors: [], results: {} };
  const sorted = [...results].sort((a, b) => cmp(a.instance ?? a.node ?? '', b.instance ?? b.node ?? ''));
  for (const r of sorted) {
    if (!r.success) {
      report.errors.push({ source: r.instance ?? r.node, error: r.error ?? 'failed' });
      continue;
    }
    let list: NodeDiagnostics[];
    try {
      list = read(r);
    } catch (err) {
      report.errors.push({ source: r.instance, error: `node diagnostics invalid: ${(err as Error).message}` });
      continue;
    }
    const inst = r.instance ?? '';
    const nodes: DiagReport['results'][string] = (report.results[inst] ??= {});
    for (const d of [...list].sort((a, b) => cmp(a.node, b.node))) {
      const { node, instance: _instance, ...rest } = d;
      nodes[node] = rest;
    }
  }
  return report;
}

/** Whether any node's process ended on its own since it was deployed (diag's exit status 2). */
export function anyExited(report: DiagReport): boolean {
  return Object.values(report.results).some((nodes) => Object.values(nodes).some((d) => d.last_exit !== null || d.state === 'CRASHED'));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A time as "2026-12-07 09:40:01 UTC". */
export function utc(t: number): string {
  return `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function seconds(s: number): string {
  return `${s < 1 ? s.toFixed(2) : s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

/** How a process ended, in words: "exit status 1", "killed by signal SIGKILL", "did not start". */
export function exitWords(e: NodeExit): string {
  if (e.signal !== null) return `killed by signal ${e.signal}`;
  if (e.code !== null) return `exit status ${e.code}`;
  return 'did not start';
}

function section(out: string[], name: string, what: string, all: string[], max: number): void {
  if (all.length === 0) {
    out.push(`==== No ${name} (${what})`, '');
    return;
  }
  const shown = max > 0 && all.length > max ? all.slice(-max) : all;
  const count = shown.length === all.length ? `${all.length} line${all.length === 1 ? '' : 's'}` : `last ${shown.length} of ${all.length} lines`;
  out.push(`==== ${name} (${what}, ${count})`, ...shown, '');
}

/** The text report. `lines`: how many of each stream's last lines to show (0: all kept); `now` in seconds since the epoch. */
export function renderDiagText(report: DiagReport, lines: number, now: number): string {
  const out: string[] = [];
  for (const inst of Object.keys(report.results).sort(cmp)) {
    for (const [node, d] of Object.entries(report.results[inst])) {
      const role = d.cluster_role !== 'NONE' ? d.cluster_role : d.mgmt_role !== 'NONE' ? d.mgmt_role : null;
      out.push(`[${node}]`);
      out.push(`instance:   ${inst}${role !== null ? ` (${role})` : ''}`);
      const restarts = `restarts since deployment: ${d.restarts}`;
      if (d.state === 'RUNNING') {
        out.push(`state:      RUNNING, pid ${d.pid ?? '?'}${d.started !== null ? `, since ${utc(d.started)}` : ''}; ${restarts}`);
      } else {
        const next = d.next_start !== null ? `, next start in ${seconds(Math.max(0, d.next_start - now))}` : '';
        out.push(`state:      CRASHED, not running${next}; ${restarts}`);
      }
      const e = d.last_exit;
      out.push(`last exit:  ${e === null ? 'none since deployment' : `${exitWords(e)}, at ${utc(e.time)}${e.code !== null || e.signal !== null ? ` after ${seconds(e.ran)}` : ''}`}`);
      if (d.directory !== null) out.push(`directory:  ${d.directory}`);
      out.push('');
      const stdoutName = d.stdout_file !== null ? baseName(d.stdout_file) : 'stdout';
      const stderrName = d.stderr_file !== null ? baseName(d.stderr_file) : 'stderr';
      if (e !== null) {
        section(out, stderrName, 'last exit', e.stderr, lines);
        section(out, stdoutName, 'last exit', e.stdout, lines);
      }
      if (d.state === 'RUNNING') {
        section(out, stderrName, `pid ${d.pid ?? '?'}`, d.stderr, lines);
        section(out, stdoutName, `pid ${d.pid ?? '?'}`, d.stdout, lines);
      }
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}

function baseName(file: string): string {
  const i = file.lastIndexOf('/');
  return i >= 0 ? file.slice(i + 1) : file;
}
