// Rendering a configuration diff (sdk/plan) for people and for programs: a readable,
// optionally coloured diff in the style of `terraform plan`, and a JSON document.

import { pythonJsonDumps } from '../sdk/config/python-json';
import type { Change, ConfigurationDiff, FieldChange } from '../sdk/plan/diff';
import type { NormalInstance, NormalNode } from '../sdk/plan/normalize';
import type { Palette } from './color';

function value(v: unknown): string {
  if (v === null || v === undefined) return 'unset';
  return pythonJsonDumps(v, { sortKeys: true, ensureAscii: false });
}

/** The fields worth showing for a node or instance being added or removed (non-default ones). */
function recordFields(kind: Change['kind'], rec: NormalInstance | NormalNode): Array<[string, unknown]> {
  if (kind === 'instance') {
    const i = rec as NormalInstance;
    const out: Array<[string, unknown]> = [];
    if (i.listen_port === null && i.host === '0.0.0.0') out.push(['agent', 'connects to the controller']);
    else out.push(['host', i.host], ['listen_port', i.listen_port]);
    return out;
  }
  const n = rec as NormalNode;
  const out: Array<[string, unknown]> = [['instance', n.instance], ['role', n.role]];
  if (n.state !== 'RUNNING') out.push(['state', n.state]);
  if (n.port !== null) out.push(['port', n.port]);
  if (n.scripts.length > 0) out.push(['scripts', n.scripts]);
  if (n.options.length > 0) out.push(['options', n.options]);
  if (n.interface !== null) out.push(['interface', n.interface]);
  if (n.cpu_affinity !== null) out.push(['cpu_affinity', n.cpu_affinity]);
  if (Object.keys(n.env).length > 0) out.push(['env', n.env]);
  if (n.metrics_port !== null) out.push(['metrics_port', n.metrics_port]);
  return out;
}

function summaryLine(kind: Change['kind'], rec: NormalInstance | NormalNode): string {
  if (kind === 'instance') {
    const i = rec as NormalInstance;
    return i.listen_port === null ? '' : ` (${i.host}:${i.listen_port})`;
  }
  const n = rec as NormalNode;
  return ` (${n.role} on ${n.instance})`;
}

function fieldLine(f: FieldChange): string {
  return `${f.field}: ${value(f.before)} -> ${value(f.after)}`;
}

export function planSummary(diff: ConfigurationDiff): string {
  return `${diff.summary.add} to add, ${diff.summary.update} to change, ${diff.summary.remove} to remove`;
}

/** The readable plan; `source` names the desired configuration (the file). */
export function renderPlanText(diff: ConfigurationDiff, source: string, c: Palette): string {
  const against = diff.deployedId === null ? 'nothing deployed' : `the deployed configuration ${diff.deployedId}`;
  if (!diff.hasChanges) {
    return diff.deployedId === null
      ? `No changes. Nothing is deployed and ${source} defines no instances or nodes.\n`
      : `No changes. ${source} matches ${against}.\n`;
  }
  const lines: string[] = [c.bold(`Plan for ${source} against ${against}:`), ''];
  for (const ch of diff.changes) {
    if (ch.action === 'add') {
      lines.push(c.green(`  + ${ch.kind} ${ch.name}`));
      for (const [k, v] of recordFields(ch.kind, ch.after!)) lines.push(c.green(`      ${k}: ${k === 'agent' || k === 'role' ? String(v) : value(v)}`));
    } else if (ch.action === 'remove') {
      lines.push(c.red(`  - ${ch.kind} ${ch.name}${summaryLine(ch.kind, ch.before!)}`));
    } else {
      lines.push(c.yellow(`  ~ ${ch.kind} ${ch.name}`));
      for (const f of ch.fields) lines.push(`      ${fieldLine(f)}`);
    }
  }
  lines.push('', c.bold(`Plan: ${planSummary(diff)}.`));
  return `${lines.join('\n')}\n`;
}

/** The JSON document of `plan --json` (printed with sort_keys, as all zeek-mgmt JSON). */
export function planJson(diff: ConfigurationDiff, source: string): Record<string, unknown> {
  return {
    file: source,
    deployed_id: diff.deployedId,
    has_changes: diff.hasChanges,
    summary: { add: diff.summary.add, update: diff.summary.update, remove: diff.summary.remove },
    changes: diff.changes.map((ch) => ({
      action: ch.action,
      kind: ch.kind,
      name: ch.name,
      fields: ch.fields.map((f) => ({ field: f.field, before: f.before, after: f.after })),
      before: ch.before,
      after: ch.after,
    })),
  };
}
