// The warning stage-config, plan and apply give before a deployment that would wait on an
// agent: instances of the configuration that are not connected to the controller. Zeek's
// controller waits for every instance's agent to check in and then answers only "request
// timed out"; saying so up front names the cause (often zeek-client's instance-local
// simplification, which names the one instance agent-<hostname>, while the agent runs
// under another Management::Agent::name).
//
// The warning goes to stderr and leaves stdout as zeek-client prints it. It shows unless
// -q, whatever the verbosity. Instances given as host:port are not checked: the controller
// connects to those only once it deploys.

import { ControllerApi } from '../sdk/model/events';
import { resultFromData } from '../sdk/model/records';
import type { Configuration } from '../sdk/model/schemas';
import { instancesOf } from '../sdk/client/result-data';
import type { CommandContext } from './command';
import type { Session } from './session';

/** How long to wait for the get_instances answer before going ahead without the check. */
const CHECK_TIMEOUT_MS = 5000;

/** The configuration's agent-connected instances that have not checked in, sorted; null when unknown. */
export async function unconnectedInstances(s: Session, config: Configuration): Promise<{ missing: string[]; connected: string[] } | null> {
  const wanted = config.instances.filter((i) => i.listen_port === null).map((i) => i.name);
  if (wanted.length === 0) return { missing: [], connected: [] };
  try {
    const ev = await s.client.transact(ControllerApi.get_instances_request, ControllerApi.get_instances_response, [], { timeoutMs: Math.min(CHECK_TIMEOUT_MS, s.client.requestTimeoutMs) });
    const res = resultFromData(ev.args[1] ?? { type: 'none' }, '$.args[1]');
    if (!res.success) return null;
    const connected = instancesOf(res).map((i) => i.name).sort();
    const have = new Set(connected);
    return { missing: wanted.filter((n) => !have.has(n)).sort(), connected };
  } catch {
    return null;
  }
}

export function unconnectedWarning(missing: string[], connected: string[]): string {
  const quoted = missing.map((n) => `'${n}'`).join(', ');
  const subject = missing.length === 1 ? `instance ${quoted} is` : `instances ${quoted} are`;
  const hint = missing.length === 1 && connected.length === 1
    ? `; name the instance '${connected[0]}' in the configuration, or start its agent with Management::Agent::name=${missing[0]}`
    : '';
  return `${subject} not connected to the controller (connected: ${connected.length > 0 ? connected.join(', ') : 'none'}); a deployment waits for ${missing.length === 1 ? 'its agent' : 'their agents'} and times out${hint}`;
}

/** Writes the warning when instances of `config` are not connected. */
export async function warnAboutUnconnected(ctx: CommandContext, s: Session, config: Configuration): Promise<void> {
  const found = await unconnectedInstances(s, config);
  if (found === null) {
    ctx.log.debug('could not list the connected instances; not checking the configuration\'s');
    return;
  }
  if (found.missing.length > 0) ctx.log.shown('warning', unconnectedWarning(found.missing, found.connected));
}
