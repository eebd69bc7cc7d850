// The configuration diff engine: desired vs deployed, node by node and field by field.

import { strict as assert } from 'node:assert';
import { assignPorts } from '../sdk/ports/auto-assign';
import { Configuration, Node } from '../sdk/model/schemas';
import { diffConfigurations } from '../sdk/plan/diff';
import { canonicalAddress, normalizeNode } from '../sdk/plan/normalize';

function node(name: string, role: Node['role'], extra: Partial<Node> = {}): Node {
  return {
    name, instance: 'agent-1', role, state: 'RUNNING', port: null, scripts: null, options: null,
    interface: null, cpu_affinity: null, env: {}, metrics_port: null, ...extra,
  };
}

function config(nodes: Node[], id = 'desired'): Configuration {
  return { id, instances: [{ name: 'agent-1', host: '0.0.0.0', listen_port: null }], nodes };
}

/** What the controller holds after deploying `c`: ports filled in, the agent's address learned. */
function deployedFrom(c: Configuration, id = 'deployed'): Configuration {
  const ready = assignPorts(c).config;
  return { ...ready, id, instances: ready.instances.map((i) => ({ ...i, host: '127.0.0.1' })) };
}

const cluster = (): Node[] => [
  node('manager', 'MANAGER'),
  node('logger', 'LOGGER'),
  node('worker-01', 'WORKER', { interface: 'lo' }),
  node('worker-02', 'WORKER', { interface: 'eth0' }),
];

describe('diffConfigurations', () => {
  it('finds no change between a file and its own deployment with auto-assigned ports and a learned agent address', () => {
    const desired = config(cluster());
    const deployed = deployedFrom(desired);
    assert.ok(deployed.nodes.every((n) => n.metrics_port !== null), 'precondition: metrics ports were assigned');
    const d = diffConfigurations(desired, deployed);
    assert.deepEqual(d.changes, []);
    assert.equal(d.hasChanges, false);
    assert.equal(d.desiredId, 'desired');
    assert.equal(d.deployedId, 'deployed');
  });

  it('ignores order, enum casing and unset-vs-default', () => {
    const deployed = deployedFrom(config([
      node('worker-01', 'WORKER', { scripts: [], options: [], env: { B: '2', A: '1' } }),
      node('manager', 'MANAGER'),
    ]));
    const desired = {
      id: 'x',
      instances: [{ name: 'agent-1' }],
      nodes: [
        { name: 'manager', instance: 'agent-1', role: 'Supervisor::manager' },
        { name: 'worker-01', instance: 'agent-1', role: 'worker', state: 'running', scripts: null, env: { A: '1', B: '2' } },
      ],
    };
    assert.deepEqual(diffConfigurations(desired, deployed).changes, []);
  });

  it('reports field changes of a node, with deployed and desired values', () => {
    const deployed = deployedFrom(config(cluster()));
    const nodes = cluster();
    nodes[2] = { ...nodes[2], interface: 'eth1', env: { ZEEK_X: '1' }, scripts: ['b.zeek', 'a.zeek'] };
    const d = diffConfigurations(config(nodes), deployed);
    assert.equal(d.changes.length, 1);
    const c = d.changes[0];
    assert.equal(c.kind, 'node');
    assert.equal(c.name, 'worker-01');
    assert.equal(c.action, 'update');
    assert.deepEqual(c.fields, [
      { field: 'scripts', before: [], after: ['b.zeek', 'a.zeek'] },
      { field: 'interface', before: 'lo', after: 'eth1' },
      { field: 'env', before: {}, after: { ZEEK_X: '1' } },
    ]);
    assert.deepEqual(d.summary, { add: 0, update: 1, remove: 0 });
  });

  it('keeps script order significant (a load order) but not env or option order', () => {
    const deployed = config([node('w', 'WORKER', { scripts: ['a', 'b'], options: [{ name: 'x', value: '1' }, { name: 'y', value: '2' }] })]);
    const reordered = config([node('w', 'WORKER', { scripts: ['b', 'a'], options: [{ name: 'y', value: '2' }, { name: 'x', value: '1' }] })]);
    const d = diffConfigurations(reordered, deployed);
    assert.deepEqual(d.changes.map((c) => c.fields.map((f) => f.field)), [['scripts']]);
  });

  it('reports added and removed nodes and instances, instances first, each sorted by name', () => {
    const deployed = deployedFrom(config(cluster()));
    const desired: Configuration = {
      id: 'd',
      instances: [{ name: 'agent-1', host: '0.0.0.0', listen_port: null }, { name: 'agent-0', host: '10.0.0.2', listen_port: 2151 }],
      nodes: [...cluster().filter((n) => n.name !== 'logger'), node('proxy', 'PROXY', { instance: 'agent-0' })],
    };
    const d = diffConfigurations(desired, deployed);
    assert.deepEqual(d.changes.map((c) => `${c.action} ${c.kind} ${c.name}`), [
      'add instance agent-0',
      'remove node logger',
      'add node proxy',
    ]);
    assert.deepEqual(d.summary, { add: 2, update: 0, remove: 1 });
    const added = d.changes[2];
    assert.equal(added.before, null);
    assert.deepEqual(added.after, normalizeNode(node('proxy', 'PROXY', { instance: 'agent-0' })));
  });

  it('treats everything as added when nothing is deployed', () => {
    const d = diffConfigurations(config(cluster()), null);
    assert.equal(d.deployedId, null);
    assert.deepEqual(d.summary, { add: 5, update: 0, remove: 0 });
  });

  it('counts an explicitly changed port, but not a port left to the controller', () => {
    const deployed = deployedFrom(config(cluster()));
    const managerPort = deployed.nodes.find((n) => n.name === 'manager')?.port;
    assert.equal(managerPort, 2200);
    const same = cluster();
    same[0] = { ...same[0], port: 2200 };
    assert.equal(diffConfigurations(config(same), deployed).hasChanges, false);
    const moved = cluster();
    moved[0] = { ...moved[0], port: 2300 };
    const d = diffConfigurations(config(moved), deployed);
    assert.deepEqual(d.changes.map((c) => [c.name, c.fields]), [['manager', [{ field: 'port', before: 2200, after: 2300 }]]]);
  });

  it("in 'predict' mode compares unset ports with Zeek's auto-assignment of the desired configuration", () => {
    const deployed = deployedFrom(config(cluster()));
    assert.equal(diffConfigurations(config(cluster()), deployed, { autoAssignedPorts: 'predict' }).hasChanges, false);
    // Adding a second manager-ish node ahead of the logger in Zeek's ordering shifts the logger's port.
    const more = [...cluster(), node('manager-2', 'MANAGER')];
    const d = diffConfigurations(config(more), deployed, { autoAssignedPorts: 'predict' });
    const logger = d.changes.find((c) => c.name === 'logger');
    assert.ok(logger, 'the logger gets another auto-assigned port');
    assert.deepEqual(logger.fields.find((f) => f.field === 'port'), { field: 'port', before: 2201, after: 2202 });
    // In the default mode only the new node counts.
    assert.deepEqual(diffConfigurations(config(more), deployed).changes.map((c) => c.name), ['manager-2']);
  });

  it('accepts the agent address the controller learned, but not a changed listening agent', () => {
    const deployed: Configuration = { id: 'x', instances: [{ name: 'a', host: '10.0.0.1', listen_port: 2151 }], nodes: [] };
    assert.equal(diffConfigurations({ instances: [{ name: 'a', host: '10.0.0.1', listen_port: 2151 }] }, deployed).hasChanges, false);
    const d = diffConfigurations({ instances: [{ name: 'a', host: '10.0.0.9', listen_port: 2151 }] }, deployed);
    assert.deepEqual(d.changes[0].fields, [{ field: 'host', before: '10.0.0.1', after: '10.0.0.9' }]);
    const toConnecting = diffConfigurations({ instances: [{ name: 'a' }] }, deployed);
    assert.deepEqual(toConnecting.changes[0].fields, [
      { field: 'host', before: '10.0.0.1', after: '0.0.0.0' },
      { field: 'listen_port', before: 2151, after: null },
    ]);
  });

  it('compares IPv6 addresses by value', () => {
    assert.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalAddress('[FE80:0:0:0:0:0:0:1]'), 'fe80::1');
    assert.equal(canonicalAddress('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalAddress('::ffff:10.0.0.1'), '::ffff:a00:1');
    const deployed = { instances: [{ name: 'a', host: '::1', listen_port: 2151 }] };
    assert.equal(diffConfigurations({ instances: [{ name: 'a', host: '0:0::1', listen_port: 2151 }] }, deployed).hasChanges, false);
  });

  it('does not modify its inputs', () => {
    const desired = config(cluster());
    const deployed = deployedFrom(config(cluster()));
    const before = JSON.stringify([desired, deployed]);
    diffConfigurations(desired, deployed, { autoAssignedPorts: 'predict' });
    assert.equal(JSON.stringify([desired, deployed]), before);
  });
});
