// The configuration diff engine: what deploying a desired cluster configuration would
// change against the deployed one, instance by instance and node by node, field by
// field. Shared by `zeek-mgmt plan/apply/drift` and the Pulumi provider's diff.
//
// What does not count as a change:
//   - the configuration id (every parse of a file makes a new one);
//   - order, enum casing, unset-vs-default (see normalize.ts);
//   - ports the controller fills in: a node whose desired Broker or metrics port is
//     unset accepts whatever port the deployed configuration holds (the controller
//     auto-assigned it). With `autoAssignedPorts: 'predict'` the engine instead runs
//     Zeek's port auto-assignment on the desired configuration and compares the ports
//     it would get;
//   - an instance host the controller fills in: a desired instance with host 0.0.0.0
//     and no listen port (an agent that connects to the controller) accepts the
//     address the controller learned from the agent's connection.

import { assignPorts, PortAssignmentSettings } from '../ports/auto-assign';
import { Configuration } from '../model/schemas';
import {
  compareNames, ConfigurationLike, NormalConfiguration, NormalInstance, NormalNode, normalizeConfiguration,
} from './normalize';

export type ChangeAction = 'add' | 'remove' | 'update';
export type ChangeKind = 'instance' | 'node';

export interface FieldChange {
  field: string;
  /** The deployed value. */
  before: unknown;
  /** The desired value. */
  after: unknown;
}

export interface Change {
  kind: ChangeKind;
  name: string;
  action: ChangeAction;
  /** The deployed record (normalised), null when added. */
  before: NormalInstance | NormalNode | null;
  /** The desired record (normalised), null when removed. */
  after: NormalInstance | NormalNode | null;
  /** For updates: the fields that differ, in record order. Empty for add/remove. */
  fields: FieldChange[];
}

export interface DiffOptions {
  /** 'ignore' (default): an unset desired port accepts any deployed port. 'predict': compare with Zeek's auto-assignment. */
  autoAssignedPorts?: 'ignore' | 'predict';
  /** Controller settings for 'predict'. */
  portAssignment?: PortAssignmentSettings;
}

export interface ConfigurationDiff {
  /** Instances first, then nodes; each sorted by name. */
  changes: Change[];
  hasChanges: boolean;
  summary: { add: number; update: number; remove: number };
  desiredId: string | null;
  deployedId: string | null;
}

const INSTANCE_FIELDS = ['host', 'listen_port'] as const;
const NODE_FIELDS = ['instance', 'role', 'state', 'port', 'scripts', 'options', 'interface', 'cpu_affinity', 'env', 'metrics_port'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function instanceFieldChanges(desired: NormalInstance, deployed: NormalInstance): FieldChange[] {
  const out: FieldChange[] = [];
  const hostFilledIn = desired.host === '0.0.0.0' && desired.listen_port === null && deployed.listen_port === null;
  for (const f of INSTANCE_FIELDS) {
    if (f === 'host' && hostFilledIn) continue;
    if (!same(desired[f], deployed[f])) out.push({ field: f, before: deployed[f], after: desired[f] });
  }
  return out;
}

function nodeFieldChanges(desired: NormalNode, deployed: NormalNode, predicted: NormalNode | undefined, predict: boolean): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of NODE_FIELDS) {
    if ((f === 'port' || f === 'metrics_port') && desired[f] === null) {
      if (!predict) continue;
      const expected = predicted?.[f] ?? null;
      if (expected !== deployed[f]) out.push({ field: f, before: deployed[f], after: expected });
      continue;
    }
    if (!same(desired[f], deployed[f])) out.push({ field: f, before: deployed[f], after: desired[f] });
  }
  return out;
}

/** Predicted ports for the desired configuration, by node name. */
function predictPorts(desired: NormalConfiguration, settings: PortAssignmentSettings | undefined): Map<string, NormalNode> {
  const config: Configuration = {
    id: desired.id ?? '',
    instances: [...desired.instances.values()],
    nodes: [...desired.nodes.values()].map((n) => ({ ...n, role: n.role as Configuration['nodes'][number]['role'], state: n.state as Configuration['nodes'][number]['state'], options: n.options, scripts: n.scripts })),
  };
  const ready = assignPorts(config, settings ?? {}).config;
  return new Map(ready.nodes.map((n) => [n.name, { ...(desired.nodes.get(n.name) as NormalNode), port: n.port, metrics_port: n.metrics_port }]));
}

function diffMaps<T extends NormalInstance | NormalNode>(
  kind: ChangeKind,
  desired: Map<string, T>,
  deployed: Map<string, T>,
  fieldChanges: (d: T, p: T) => FieldChange[],
): Change[] {
  const names = [...new Set([...desired.keys(), ...deployed.keys()])].sort(compareNames);
  const changes: Change[] = [];
  for (const name of names) {
    const d = desired.get(name);
    const p = deployed.get(name);
    if (d && !p) changes.push({ kind, name, action: 'add', before: null, after: d, fields: [] });
    else if (!d && p) changes.push({ kind, name, action: 'remove', before: p, after: null, fields: [] });
    else if (d && p) {
      const fields = fieldChanges(d, p);
      if (fields.length > 0) changes.push({ kind, name, action: 'update', before: p, after: d, fields });
    }
  }
  return changes;
}

/**
 * Compares the desired configuration with the deployed one (null: nothing deployed).
 * Both may be partial; see normalize.ts for what counts as equal.
 */
export function diffConfigurations(desired: ConfigurationLike, deployed: ConfigurationLike | null, opts: DiffOptions = {}): ConfigurationDiff {
  const want = normalizeConfiguration(desired);
  const have = normalizeConfiguration(deployed ?? {});
  const predict = opts.autoAssignedPorts === 'predict';
  const predicted = predict ? predictPorts(want, opts.portAssignment) : new Map<string, NormalNode>();
  const changes = [
    ...diffMaps('instance', want.instances, have.instances, instanceFieldChanges),
    ...diffMaps('node', want.nodes, have.nodes, (d, p) => nodeFieldChanges(d, p, predicted.get(d.name), predict)),
  ];
  const summary = { add: 0, update: 0, remove: 0 };
  for (const c of changes) summary[c.action]++;
  return {
    changes,
    hasChanges: changes.length > 0,
    summary,
    desiredId: want.id,
    deployedId: deployed ? have.id : null,
  };
}
