// A live Management deployment for the provider's end-to-end tests: `zeek-mgmt run`
// (Supervisor, controller, agent and emulated nodes) on free ports in a temp dir, via
// provider/local-cluster.ts (which the quickstart and the bench use too).

import { LocalCluster, startLocalCluster } from '../../provider/local-cluster';

/** A sniffing interface that exists nowhere: the node fails to launch with Zeek's stderr. */
export const BAD_INTERFACE = 'not-a-valid-interface';

export type LiveCluster = LocalCluster;

export function startLiveCluster(): Promise<LiveCluster> {
  return startLocalCluster();
}
