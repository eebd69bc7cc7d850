// A live Management deployment for the provider's end-to-end tests: `zeek-mgmt run`
// (controller, agent and emulated nodes in one command) on free ports in a temp dir.
// Until `zeek-mgmt run` exists in dist/, a real controller process with an in-test agent
// named like the host's agent stands in for it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startControllerProcess, ControllerProcess } from './controller-process';
import { TestAgent } from './test-agent';

export const RUN_MAIN = path.resolve(__dirname, '../../dist/framework/run.js');
export const AGENT_NAME = `agent-${os.hostname() || 'localhost'}`;
/** A sniffing interface that exists nowhere: the node fails to launch with Zeek's stderr. */
export const BAD_INTERFACE = 'not-a-valid-interface';

export interface LiveCluster {
  /** What runs: "zeek-mgmt run" or "controller + in-test agent". */
  kind: string;
  host: string;
  /** The controller's WebSocket port. */
  port: number;
  /** The controller's Broker port (where agents connect). */
  controllerBrokerPort: number;
  stop(): Promise<void>;
  /** Output for failure messages. */
  logs(): string;
}

export async function startLiveCluster(): Promise<LiveCluster> {
  if (fs.existsSync(RUN_MAIN)) throw new Error('zeek-mgmt run is built: wire it into test/helpers/provider-cluster.ts');
  let ctl: ControllerProcess | undefined;
  try {
    ctl = await startControllerProcess();
    const agent = await TestAgent.connect(ctl.agentPort, {
      name: AGENT_NAME,
      failNodes: { 'worker-bad': `fatal error: problem with interface ${BAD_INTERFACE} (pcap_error: No such device exists (pcap_activate))` },
    });
    const c = ctl;
    return {
      kind: 'controller process + in-test agent',
      host: '127.0.0.1',
      port: ctl.wsPort,
      controllerBrokerPort: ctl.agentPort,
      async stop() {
        await agent.close();
        await c.stop();
        fs.rmSync(c.dir, { recursive: true, force: true });
      },
      logs: () => `controller stdout:\n${c.stdout()}\ncontroller stderr:\n${c.stderr()}`,
    };
  } catch (err) {
    await ctl?.stop();
    throw err;
  }
}
