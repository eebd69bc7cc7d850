// Reading the controller's state for plan, apply and drift: the staged or deployed
// configuration (null when there is none) and the nodes running per instance.

import { configurationOf, instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import type { Configuration, Instance, NodeStatus } from '../sdk/model/schemas';
import type { CommandContext } from './command';
import { CommandFailed, Session } from './session';

/** get_configuration_request; null for the controller's "no staged/deployed configuration available". */
export async function fetchConfiguration(ctx: CommandContext, s: Session, deployed: boolean): Promise<Configuration | null> {
  const res = await s.request((c) => c.getConfiguration(deployed));
  if (!res.success) {
    if (res.error && /^no (staged|deployed) configuration available$/.test(res.error)) return null;
    ctx.log.error(res.error ? res.error : 'no reason given');
    throw new CommandFailed(1);
  }
  try {
    return configurationOf(res);
  } catch (err) {
    ctx.log.error(`configuration data invalid: ${(err as Error).message}`);
    throw new CommandFailed(1);
  }
}

export interface RunningState {
  /** Node statuses per instance that answered. */
  byInstance: Map<string, NodeStatus[]>;
  /** Instances (or the controller, source null) that reported an error instead. */
  errors: Array<{ source: string | null; error: string }>;
}

/** get_nodes_request, tolerant: failures become entries in `errors`. */
export async function fetchRunning(s: Session): Promise<RunningState> {
  const results = await s.request((c) => c.getNodes());
  const state: RunningState = { byInstance: new Map(), errors: [] };
  for (const r of results) {
    if (!r.success) {
      state.errors.push({ source: r.instance, error: r.error ?? 'no reason given' });
      continue;
    }
    if (r.instance === null) continue;
    try {
      state.byInstance.set(r.instance, nodeStatusesOf(r));
    } catch (err) {
      state.errors.push({ source: r.instance, error: `node status data invalid: ${(err as Error).message}` });
    }
  }
  return state;
}

/** get_instances_request: the connected instances. */
export async function fetchInstances(ctx: CommandContext, s: Session): Promise<Instance[]> {
  const res = await s.request((c) => c.getInstances());
  if (!res.success) {
    ctx.log.error(res.error ? res.error : 'no reason given');
    throw new CommandFailed(1);
  }
  try {
    return instancesOf(res);
  } catch (err) {
    ctx.log.error(`instance data invalid: ${(err as Error).message}`);
    throw new CommandFailed(1);
  }
}
