// Zeek's own agent (`zeek -j policy/frameworks/management/agent`, with its Supervisor and
// real nodes) checked in with our controller process: the set-up the real-Zeek agent suites
// share. Zeek's agent connects to 127.0.0.1 (Management::Agent::controller's default) at
// the port its config reads from ZEEK_CONTROLLER_PORT, which is our controller's agent port.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePorts } from '../../provider/free-ports';
import { ControllerProcess, startControllerProcess } from './controller-process';
import { RealZeekManagement, startRealZeek } from './real-zeek';
import { miniConfigOnLo, SideBySide, waitForInstance } from './side-by-side';

export interface ZeekAgentUnderOurs {
  ctl: ControllerProcess;
  z: RealZeekManagement;
  /** The documentation's mini configuration with workers on lo, written into z.dir. */
  mini: string;
}

/**
 * Starts our controller (node ports from free ranges, plus `settings`) and Zeek's agent
 * under it (with `redefs`), and waits until get-instances lists the agent. `s` is the
 * suite's sideBySide, whose port getter reads `started.ctl` once this has set it.
 */
export async function startZeekAgentUnderOurs(
  zeek: string, s: SideBySide, started: { ctl?: ControllerProcess; z?: RealZeekManagement },
  opts: { settings?: Record<string, unknown>; redefs?: string[]; what?: string } = {},
): Promise<ZeekAgentUnderOurs> {
  const settings = { autoAssignBrokerStartPort: await freePorts(8), autoAssignMetricsStartPort: await freePorts(8), ...opts.settings };
  const ctl = (started.ctl = await startControllerProcess({ settings }));
  const z = (started.z = await startRealZeek(zeek, { components: ['agent'], env: { ZEEK_CONTROLLER_PORT: `${ctl.agentPort}/tcp` }, redefs: opts.redefs }));
  const mini = path.join(z.dir, 'mini-config.ini');
  fs.writeFileSync(mini, miniConfigOnLo());
  await waitForInstance(s, z.agentName, () => `Zeek's agent, ${opts.what ?? 'under our controller'}:\n${fs.readFileSync(path.join(z.dir, 'zeek.out'), 'utf8')}`);
  return { ctl, z, mini };
}

/** Empties the cluster (deploy of /dev/null, so Zeek's Supervisor stops its nodes), then stops both and removes the controller's directory. */
export async function stopZeekAgentUnderOurs(s: SideBySide, started: { ctl?: ControllerProcess; z?: RealZeekManagement }): Promise<void> {
  if (started.ctl && started.z) await s.ours('deploy-config', '/dev/null').catch(() => undefined);
  await started.z?.stop();
  await started.ctl?.stop();
  if (started.ctl) fs.rmSync(started.ctl.dir, { recursive: true, force: true });
}
