// The drift report: desired (a file), staged, deployed and running (get_nodes) cluster
// state side by side, and every way they disagree. Rendered as JSON or as Markdown fit
// for a CI log or a pull-request comment.
//
// What counts as drift:
//   - desired vs deployed: any change `plan` would show (same engine, sdk/plan);
//   - staged vs deployed: a staged configuration that is not what is deployed;
//   - deployed vs running: a deployed node that is not running (or not RUNNING, or on
//     another port than deployed), a cluster node running that is not deployed, an
//     instance of the deployed configuration whose agent is not connected or reports
//     an error.

import { pythonJsonDumps } from '../sdk/config/python-json';
import type { Configuration, Instance, Node, NodeStatus } from '../sdk/model/schemas';
import { diffConfigurations, ConfigurationDiff } from '../sdk/plan/diff';
import { compareNames } from '../sdk/plan/normalize';
import type { RunningState } from './fetch-state';

export interface DriftInput {
  desired: Configuration | null;
  /** Where the desired configuration came from (file name), null without one. */
  desiredSource: string | null;
  staged: Configuration | null;
  deployed: Configuration | null;
  running: RunningState;
  connected: Instance[];
}

export type DriftSide = 'desired' | 'staged' | 'running';

export interface Difference {
  /** "node <name>" or "instance <name>". */
  subject: string;
  /** Which comparison found it: desired/staged against deployed, or deployed against running. */
  compared: DriftSide;
  message: string;
}

export interface NodeView {
  instance: string;
  role: string;
  port: number | null;
  metrics_port: number | null;
}

export interface RunningView {
  instance: string;
  state: string;
  pid: number | null;
  port: number | null;
  metrics_port: number | null;
}

export interface NodeRow {
  desired: NodeView | null;
  staged: NodeView | null;
  deployed: NodeView | null;
  running: RunningView | null;
  in_sync: boolean;
}

export interface InstanceRow {
  desired: boolean;
  staged: boolean;
  deployed: boolean;
  connected: boolean;
  in_sync: boolean;
}

export interface DriftReport {
  in_sync: boolean;
  configurations: {
    desired: { source: string } | null;
    staged: { id: string } | null;
    deployed: { id: string } | null;
  };
  nodes: Record<string, NodeRow>;
  instances: Record<string, InstanceRow>;
  differences: Difference[];
  running_errors: Array<{ source: string | null; error: string }>;
}

const nodeView = (n: Node): NodeView => ({ instance: n.instance, role: n.role, port: n.port, metrics_port: n.metrics_port });

function show(v: unknown): string {
  if (v === null || v === undefined) return 'unset';
  return pythonJsonDumps(v, { sortKeys: true, ensureAscii: false });
}

function fromDiff(diff: ConfigurationDiff, compared: DriftSide, label: string): Difference[] {
  return diff.changes.map((ch) => {
    const subject = `${ch.kind} ${ch.name}`;
    if (ch.action === 'add') return { subject, compared, message: `${label} but not deployed` };
    if (ch.action === 'remove') return { subject, compared, message: `deployed but not ${label}` };
    const parts = ch.fields.map((f) => `${f.field} ${show(f.before)} deployed, ${show(f.after)} ${label}`);
    return { subject, compared, message: parts.join('; ') };
  });
}

export function buildDriftReport(input: DriftInput): DriftReport {
  const differences: Difference[] = [];
  const { desired, staged, deployed, running } = input;

  if (desired) differences.push(...fromDiff(diffConfigurations(desired, deployed), 'desired', `in ${input.desiredSource ?? 'the desired configuration'}`));
  if (staged) differences.push(...fromDiff(diffConfigurations(staged, deployed), 'staged', 'staged'));

  const connected = new Set(input.connected.map((i) => i.name));
  const runningNodes = new Map<string, NodeStatus & { instance: string }>();
  for (const [instance, list] of running.byInstance) {
    for (const st of list) {
      if (st.cluster_role === 'NONE') continue; // the agent and controller processes
      runningNodes.set(st.node, { ...st, instance });
    }
  }
  const errorsByInstance = new Map<string, string>();
  for (const e of running.errors) if (e.source !== null) errorsByInstance.set(e.source, e.error);

  const deployedNodes = new Map((deployed?.nodes ?? []).map((n) => [n.name, n]));
  for (const inst of deployed?.instances ?? []) {
    if (!connected.has(inst.name)) differences.push({ subject: `instance ${inst.name}`, compared: 'running', message: 'deployed but its agent is not connected' });
    else if (errorsByInstance.has(inst.name)) differences.push({ subject: `instance ${inst.name}`, compared: 'running', message: `agent reports an error: ${errorsByInstance.get(inst.name)}` });
  }
  for (const n of deployedNodes.values()) {
    const st = runningNodes.get(n.name);
    const subject = `node ${n.name}`;
    if (!st) {
      if (connected.has(n.instance) && !errorsByInstance.has(n.instance)) differences.push({ subject, compared: 'running', message: 'deployed but not running' });
      else differences.push({ subject, compared: 'running', message: `deployed but not running (instance ${n.instance} unavailable)` });
      continue;
    }
    if (st.instance !== n.instance) differences.push({ subject, compared: 'running', message: `running on instance ${st.instance}, deployed on ${n.instance}` });
    if (st.state !== 'RUNNING') differences.push({ subject, compared: 'running', message: `state ${st.state}` });
    if (n.port !== null && st.port !== null && st.port !== n.port) differences.push({ subject, compared: 'running', message: `listening on port ${st.port}, deployed with port ${n.port}` });
    if (n.metrics_port !== null && st.metrics_port !== null && st.metrics_port !== n.metrics_port) {
      differences.push({ subject, compared: 'running', message: `metrics on port ${st.metrics_port}, deployed with port ${n.metrics_port}` });
    }
  }
  for (const [name, st] of runningNodes) {
    if (!deployedNodes.has(name)) differences.push({ subject: `node ${name}`, compared: 'running', message: `running on instance ${st.instance} but not deployed` });
  }

  differences.sort((a, b) => compareNames(a.subject, b.subject) || compareNames(a.compared, b.compared));
  const drifted = new Set(differences.map((d) => d.subject));

  const nodes: Record<string, NodeRow> = {};
  const names = new Set<string>([
    ...(desired?.nodes ?? []).map((n) => n.name), ...(staged?.nodes ?? []).map((n) => n.name),
    ...deployedNodes.keys(), ...runningNodes.keys(),
  ]);
  for (const name of [...names].sort(compareNames)) {
    const pick = (c: Configuration | null): NodeView | null => {
      const n = c?.nodes.find((x) => x.name === name);
      return n ? nodeView(n) : null;
    };
    const st = runningNodes.get(name);
    nodes[name] = {
      desired: pick(desired),
      staged: pick(staged),
      deployed: pick(deployed),
      running: st ? { instance: st.instance, state: st.state, pid: st.pid, port: st.port, metrics_port: st.metrics_port } : null,
      in_sync: !drifted.has(`node ${name}`),
    };
  }

  const instances: Record<string, InstanceRow> = {};
  const instNames = new Set<string>([
    ...(desired?.instances ?? []).map((i) => i.name), ...(staged?.instances ?? []).map((i) => i.name),
    ...(deployed?.instances ?? []).map((i) => i.name), ...connected,
  ]);
  for (const name of [...instNames].sort(compareNames)) {
    const has = (c: Configuration | null): boolean => (c?.instances ?? []).some((i) => i.name === name);
    instances[name] = {
      desired: has(desired),
      staged: has(staged),
      deployed: has(deployed),
      connected: connected.has(name),
      in_sync: !drifted.has(`instance ${name}`),
    };
  }

  return {
    in_sync: differences.length === 0,
    configurations: {
      desired: desired ? { source: input.desiredSource ?? '' } : null,
      staged: staged ? { id: staged.id } : null,
      deployed: deployed ? { id: deployed.id } : null,
    },
    nodes,
    instances,
    differences,
    running_errors: running.errors,
  };
}

// ---- Markdown ----------------------------------------------------------------------

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function configCell(v: NodeView | null): string {
  if (!v) return '-';
  return `${v.role} @ ${v.instance}${v.port !== null ? ` :${v.port}` : ''}`;
}

function runningCell(v: RunningView | null): string {
  if (!v) return '-';
  const parts = [v.state];
  if (v.port !== null) parts.push(`:${v.port}`);
  if (v.pid !== null) parts.push(`pid ${v.pid}`);
  return `${parts.join(' ')} @ ${v.instance}`;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export function renderDriftMarkdown(r: DriftReport): string {
  const out: string[] = [];
  const n = r.differences.length;
  out.push(`## Zeek cluster drift: ${r.in_sync ? 'in sync' : `drifted (${n} difference${n === 1 ? '' : 's'})`}`, '');
  out.push('| Configuration | Source |', '| --- | --- |');
  out.push(`| desired | ${r.configurations.desired ? cell(r.configurations.desired.source) : '-'} |`);
  out.push(`| staged | ${r.configurations.staged ? cell(r.configurations.staged.id) : 'none'} |`);
  out.push(`| deployed | ${r.configurations.deployed ? cell(r.configurations.deployed.id) : 'none'} |`);
  out.push('');

  const nodeNames = Object.keys(r.nodes);
  if (nodeNames.length > 0) {
    out.push('| Node | Desired | Staged | Deployed | Running | Status |', '| --- | --- | --- | --- | --- | --- |');
    for (const name of nodeNames) {
      const row = r.nodes[name];
      out.push(`| ${cell(name)} | ${cell(configCell(row.desired))} | ${cell(configCell(row.staged))} | ${cell(configCell(row.deployed))} | ${cell(runningCell(row.running))} | ${row.in_sync ? 'in sync' : '**drifted**'} |`);
    }
    out.push('');
  } else {
    out.push('No nodes desired, staged, deployed or running.', '');
  }

  const instNames = Object.keys(r.instances);
  if (instNames.length > 0) {
    out.push('| Instance | Desired | Staged | Deployed | Connected | Status |', '| --- | --- | --- | --- | --- | --- |');
    for (const name of instNames) {
      const row = r.instances[name];
      out.push(`| ${cell(name)} | ${yesNo(row.desired)} | ${yesNo(row.staged)} | ${yesNo(row.deployed)} | ${yesNo(row.connected)} | ${row.in_sync ? 'in sync' : '**drifted**'} |`);
    }
    out.push('');
  }

  if (n > 0) {
    out.push('### Differences', '');
    for (const d of r.differences) out.push(`- \`${d.subject}\` (${d.compared === 'running' ? 'deployed vs running' : `${d.compared} vs deployed`}): ${d.message}`);
    out.push('');
  }
  return out.join('\n');
}
