// A cluster built from an inventory of sensors: each sensor host runs an agent, and one
// worker per capture interface (or several, pinned to CPUs, when `workersPerInterface`
// says so). The first sensor also runs the manager, a logger and a proxy.
//
// The inventory comes from the stack configuration (an object), e.g. in Pulumi.<stack>.yaml:
//
//   config:
//     zeek-mgmt:sensors:
//       - host: sensor-a
//         interfaces: [eth0, eth1]
//       - host: sensor-b
//         address: 10.0.0.12      # the controller connects to this agent ...
//         agentPort: 2151         # ... on this port
//         interfaces: [ens1f0]
//         workersPerInterface: 2

import * as pulumi from '@pulumi/pulumi';
import { ZeekCluster, ZeekClusterInstanceArgs, ZeekClusterNodeArgs } from 'zeek-mgmt/pulumi';

export interface Sensor {
  /** Host name; its agent is "agent-<host>". */
  host: string;
  /** Capture interfaces on that host. */
  interfaces: string[];
  /** Set when the controller connects to the agent (rather than the agent to the controller). */
  address?: string;
  agentPort?: number;
  /** Workers per interface (load-balanced, e.g. AF_PACKET fanout), each pinned to its own CPU. Default 1. */
  workersPerInterface?: number;
}

export const EXAMPLE_SENSORS: Sensor[] = [
  { host: 'sensor-a', interfaces: ['eth0', 'eth1'] },
  { host: 'sensor-b', address: '10.0.0.12', agentPort: 2151, interfaces: ['ens1f0'], workersPerInterface: 2 },
];

/** The instances and nodes for a list of sensors. */
export function clusterFromSensors(sensors: readonly Sensor[]): {
  instances: Record<string, ZeekClusterInstanceArgs>;
  nodes: Record<string, ZeekClusterNodeArgs>;
} {
  if (sensors.length === 0) throw new Error('the sensor list is empty: a cluster needs at least one sensor');
  const instances: Record<string, ZeekClusterInstanceArgs> = {};
  const nodes: Record<string, ZeekClusterNodeArgs> = {};
  sensors.forEach((s, i) => {
    if (!s.host) throw new Error(`sensor #${i + 1} has no host`);
    if (!Array.isArray(s.interfaces) || s.interfaces.length === 0) throw new Error(`sensor ${s.host} lists no interfaces`);
    const instance = `agent-${s.host}`;
    if (instances[instance]) throw new Error(`sensor ${s.host} is listed twice`);
    instances[instance] = s.address !== undefined ? { host: s.address, listen_port: s.agentPort ?? 2151 } : {};
    if (i === 0) {
      nodes.manager = { instance, role: 'manager' };
      nodes.logger = { instance, role: 'logger' };
      nodes.proxy = { instance, role: 'proxy' };
    }
    const perInterface = s.workersPerInterface ?? 1;
    let cpu = 0;
    for (const iface of s.interfaces) {
      for (let w = 1; w <= perInterface; w++) {
        const name = perInterface === 1 ? `worker-${s.host}-${iface}` : `worker-${s.host}-${iface}-${w}`;
        nodes[name] = perInterface === 1
          ? { instance, role: 'worker', interface: iface }
          : { instance, role: 'worker', interface: iface, cpu_affinity: cpu++ };
      }
    }
  });
  return { instances, nodes };
}

export function sensorCluster(name = 'sensors', sensors?: Sensor[]): ZeekCluster {
  const list = sensors ?? new pulumi.Config('zeek-mgmt').getObject<Sensor[]>('sensors') ?? EXAMPLE_SENSORS;
  return new ZeekCluster(name, clusterFromSensors(list));
}
