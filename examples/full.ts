// The documentation's full configuration as a Pulumi program: one agent that connects to
// the controller, a manager, a logger, two proxies and four workers on eth0-eth3.
// Ports are left to the controller (manager, logger and proxies get 2200 upwards, every
// node a metrics port from 9000), as the documentation's file leaves them.

import { ZeekCluster } from 'zeek-mgmt/pulumi';

export function fullCluster(name = 'full', instance = 'agent-testbox'): ZeekCluster {
  const workers = Object.fromEntries([0, 1, 2, 3].map((i) => [`worker${i + 1}`, { instance, role: 'worker', interface: `eth${i}` }]));
  return new ZeekCluster(name, {
    // A name without address: this agent connects to the controller.
    instances: { [instance]: {} },
    nodes: {
      manager: { instance, role: 'manager' },
      logger: { instance, role: 'logger' },
      proxy1: { instance, role: 'proxy' },
      proxy2: { instance, role: 'proxy' },
      ...workers,
    },
  });
}
