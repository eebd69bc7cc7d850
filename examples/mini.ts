// The documentation's mini configuration as a Pulumi program: a manager, a logger and two
// workers, all on this host's agent ("agent-<hostname>", since no node names an instance).

import { ZeekCluster } from 'zeek-mgmt/pulumi';

export function miniCluster(name = 'mini'): ZeekCluster {
  return new ZeekCluster(name, {
    nodes: {
      manager: { role: 'manager' },
      logger: { role: 'logger' },
      'worker-01': { role: 'worker', interface: 'lo' },
      'worker-02': { role: 'worker', interface: 'eth0' },
    },
  });
}
