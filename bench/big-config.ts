// Large generated cluster configurations for the controller benches: n nodes over
// `instances` instances (a manager per instance, then loggers, proxies and workers with
// interfaces), valid under Zeek's rules.

import { ClusterRole, Configuration, Node } from '../sdk/model/schemas';

export function bigConfig(n: number, instances: number, id: string): Configuration {
  const insts = Array.from({ length: instances }, (_, i) => ({ name: `agent-${String(i).padStart(3, '0')}`, host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, listen_port: null }));
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) {
    const role: ClusterRole = i < instances ? 'MANAGER' : i < instances * 3 ? 'LOGGER' : i < instances * 6 ? 'PROXY' : 'WORKER';
    nodes.push({
      name: `node-${String(i).padStart(6, '0')}`, instance: insts[i % instances].name, role, state: 'RUNNING', port: null,
      scripts: null, options: null, interface: role === 'WORKER' ? `eth${i % 4}` : null, cpu_affinity: null, env: {}, metrics_port: null,
    });
  }
  return { id, instances: insts, nodes };
}
