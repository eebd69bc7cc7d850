// Staging a configuration, as stage_configuration_request does it: take it as a set
// (canonical form), validate it, and derive the READY configuration (instance addresses
// of checked-in agents filled in, ports auto-assigned). Pure: no I/O, no state.

import { Configuration } from '../../sdk/model/schemas';
import { assignPorts, PortAssignmentError, PortAssignmentSettings } from '../../sdk/ports/auto-assign';
import { canonicalizeConfiguration, validateConfiguration } from '../../sdk/validation/configuration';

export interface StagingSettings extends PortAssignmentSettings {
  /** The controller's Broker (agent) port, null when not listening. */
  controllerPort: number | null;
}

export type StagingOutcome =
  | { ok: true; staged: Configuration; ready: Configuration }
  | { ok: false; errors: string[] };

/**
 * `knownHost(name)` returns the address an agent of that name checked in from, if any;
 * it replaces 0.0.0.0 in the READY configuration (Zeek's XXX: no host names yet).
 */
export function stageConfiguration(config: Configuration, settings: StagingSettings, knownHost: (name: string) => string | undefined = () => undefined): StagingOutcome {
  const staged = canonicalizeConfiguration(config);
  const errors = validateConfiguration(staged, { controllerPort: settings.controllerPort, autoAssignBrokerPorts: settings.autoAssignBrokerPorts });
  if (errors.length > 0) return { ok: false, errors };
  const instances = staged.instances.map((inst) => {
    const host = knownHost(inst.name);
    return inst.host === '0.0.0.0' && host !== undefined && host !== '0.0.0.0' ? { ...inst, host } : inst;
  });
  try {
    const ready = assignPorts({ ...staged, instances }, settings).config;
    return { ok: true, staged, ready };
  } catch (err) {
    if (err instanceof PortAssignmentError) return { ok: false, errors: [err.message] };
    throw err;
  }
}
