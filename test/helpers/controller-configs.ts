// Cluster configurations for controller tests.

import { randomUUID } from 'node:crypto';
import { ClusterRole, Configuration, Instance, Node } from '../../sdk/model/schemas';

export function node(name: string, instance: string, role: ClusterRole, extra: Partial<Node> = {}): Node {
  return {
    name, instance, role, state: 'RUNNING', port: null, scripts: null, options: null, interface: null,
    cpu_affinity: null, env: {}, metrics_port: null, ...extra,
  };
}

export function instance(name: string, host = '0.0.0.0', listen_port: number | null = null): Instance {
  return { name, host, listen_port };
}

/** The documentation's mini-config.ini, on one instance. */
export function miniConfig(inst = 'agent-testbox', id: string = randomUUID()): Configuration {
  return {
    id,
    instances: [instance(inst)],
    nodes: [
      node('manager', inst, 'MANAGER'),
      node('logger', inst, 'LOGGER'),
      node('worker-01', inst, 'WORKER', { interface: 'lo' }),
      node('worker-02', inst, 'WORKER', { interface: 'eth0' }),
    ],
  };
}

/** A large configuration: `n` nodes spread over `instances` instances. */
export function bigConfig(n: number, instances = 10, id: string = randomUUID()): Configuration {
  const insts = Array.from({ length: instances }, (_, i) => instance(`agent-${String(i).padStart(3, '0')}`));
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) {
    const inst = insts[i % instances].name;
    const role: ClusterRole = i < instances ? 'MANAGER' : i < instances * 3 ? 'LOGGER' : i < instances * 6 ? 'PROXY' : 'WORKER';
    nodes.push(node(`node-${String(i).padStart(6, '0')}`, inst, role, role === 'WORKER' ? { interface: `eth${i % 4}` } : {}));
  }
  return { id, instances: insts, nodes };
}
