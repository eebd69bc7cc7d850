// Management records (policy/frameworks/management/types.zeek) as Broker vectors:
// every record round-trips through Broker data and JSON text; enums travel scoped;
// unset optional fields are none; the vectors zeek-client produces decode, and
// (where python3 can run zeek-client itself) zeek-client and this codec agree both ways.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { B, BrokerData } from '../sdk/broker/data';
import { eventFromData } from '../sdk/broker/event';
import { decodeData, parseJsonText } from '../sdk/broker/json-codec';
import { encodeData } from '../sdk/broker/json-encode';
import { decodeDataText } from '../sdk/broker/json-fast';
import { parseDataMessage } from '../sdk/broker/messages';
import {
  clusterRoleToData, configurationFromData, configurationToData, instanceFromData, instanceToData, makeResult, managementRoleToData,
  nodeFromData, nodeOutputsFromData, nodeOutputsToData, nodeStatusFromData, nodeStatusToData, nodeToData, optionFromData, optionToData,
  Result, resultFromData, resultToData, resultVecFromData, resultVecToData, stateToData,
} from '../sdk/model/records';
import {
  ClusterRoleSchema, Configuration, ConfigurationSchema, Instance, ManagementRoleSchema, Node, NodeOutputs, NodeSchema, NodeStatus, Option, StateSchema,
} from '../sdk/model/schemas';
import { findZeek } from './helpers/real-zeek';
import { python3Available, runPython } from './python3-oracle';

/** toData -> JSON text -> (both decoding paths) -> fromData; checks the value survives and returns the text. */
function roundTrip<T>(toData: (v: T) => BrokerData, fromData: (d: BrokerData) => T, v: T, expected: T = v): string {
  const text = encodeData(toData(v));
  assert.deepStrictEqual(fromData(decodeDataText(text)), expected, `round trip of ${text}`);
  assert.deepStrictEqual(fromData(decodeData(parseJsonText(text))), expected);
  assert.equal(encodeData(toData(fromData(decodeDataText(text)))), encodeData(toData(expected)));
  return text;
}

/** The fields of a record vector, as JSON values, for checking individual positions. */
function fieldsOf(text: string): Array<{ '@data-type': string; data: unknown }> {
  const j = JSON.parse(text) as { '@data-type': string; data: Array<{ '@data-type': string; data: unknown }> };
  assert.equal(j['@data-type'], 'vector');
  return j.data;
}

const NONE_JSON = { '@data-type': 'none', data: {} };

const minimalNode: Node = NodeSchema.parse({ name: 'worker-1', instance: 'agent-1', role: 'WORKER' });
const fullNode: Node = {
  name: 'worker-2', instance: 'agent-1', role: 'WORKER', state: 'PENDING', port: 2201, scripts: ['site/local.zeek', 'policy/misc/loaded-scripts'],
  options: [{ name: 'Log::default_rotation_interval', value: '1hr' }, { name: 'Site::local_nets', value: '{ 10.0.0.0/8 }' }],
  interface: 'af_packet::eth0', cpu_affinity: 3, env: { ZEEKPATH: '/opt/zeek/share/zeek', 'EMPTY': '', 'ÜNICODE': 'wért ☃' }, metrics_port: 9991,
};

describe('Management records: round trips through Broker data and JSON text', () => {
  it('Option', () => {
    roundTrip(optionToData, optionFromData, { name: 'Site::local_nets', value: '{ 10.0.0.0/8 }' });
    roundTrip(optionToData, optionFromData, { name: '', value: 'ünïcödé "quoted" \\ back' });
  });

  it('Instance: agent connecting to the controller, agent listening (IPv4 and IPv6)', () => {
    const t1 = roundTrip(instanceToData, instanceFromData, { name: 'agent-1', host: '0.0.0.0', listen_port: null });
    assert.deepStrictEqual(fieldsOf(t1), [{ '@data-type': 'string', data: 'agent-1' }, { '@data-type': 'address', data: '0.0.0.0' }, NONE_JSON]);
    const t2 = roundTrip(instanceToData, instanceFromData, { name: 'agent-2', host: '10.0.0.2', listen_port: 2151 });
    assert.deepStrictEqual(fieldsOf(t2)[2], { '@data-type': 'port', data: '2151/tcp' });
    roundTrip(instanceToData, instanceFromData, { name: 'agent-3', host: '2001:db8::7', listen_port: 65535 });
  });

  it('Node: defaults only, and every field set', () => {
    roundTrip(nodeToData, nodeFromData, minimalNode);
    const text = roundTrip(nodeToData, nodeFromData, fullNode);
    const f = fieldsOf(text);
    assert.equal(f.length, 11);
    assert.deepStrictEqual(f[4], { '@data-type': 'port', data: '2201/tcp' });
    assert.deepStrictEqual(f[5], { '@data-type': 'vector', data: fullNode.scripts!.map((s) => ({ '@data-type': 'string', data: s })) });
    assert.equal(f[6]['@data-type'], 'set');
    assert.deepStrictEqual(f[8], { '@data-type': 'integer', data: 3 });
    assert.equal(f[9]['@data-type'], 'table');
    assert.deepStrictEqual(f[10], { '@data-type': 'port', data: '9991/tcp' });
  });

  it('Node: env keys in sorted order, odd keys kept (including "__proto__")', () => {
    const n: Node = { ...minimalNode, env: JSON.parse('{"Z":"1","A":"2","__proto__":"3","constructor":"4"}') as Record<string, string> };
    const text = roundTrip(nodeToData, nodeFromData, n);
    const keys = (fieldsOf(text)[9].data as Array<{ key: { data: string } }>).map((e) => e.key.data);
    assert.deepStrictEqual(keys, ['A', 'Z', '__proto__', 'constructor']);
    assert.deepStrictEqual(Object.keys(nodeFromData(decodeDataText(text)).env).sort(), ['A', 'Z', '__proto__', 'constructor']);
  });

  it('Node: an empty options list goes out as none, as zeek-client sends it, and comes back unset', () => {
    const text = roundTrip(nodeToData, nodeFromData, { ...minimalNode, options: [] }, { ...minimalNode, options: null });
    assert.deepStrictEqual(fieldsOf(text)[6], NONE_JSON);
  });

  it('Configuration: instances and nodes come back sorted by name', () => {
    const c: Configuration = ConfigurationSchema.parse({
      id: 'config-1',
      instances: [{ name: 'agent-b', host: '10.0.0.2', listen_port: 2151 }, { name: 'agent-a' }],
      nodes: [fullNode, minimalNode, { name: 'manager', instance: 'agent-a', role: 'MANAGER', port: 2200 }, { name: 'logger', instance: 'agent-a', role: 'LOGGER' }],
    });
    const sorted = (xs: Array<{ name: string }>): string[] => xs.map((x) => x.name);
    const expected = { ...c, instances: [c.instances[1], c.instances[0]], nodes: [c.nodes[3], c.nodes[2], c.nodes[1], c.nodes[0]] };
    const text = roundTrip(configurationToData, configurationFromData, c, expected);
    assert.deepStrictEqual(sorted(expected.nodes), ['logger', 'manager', 'worker-1', 'worker-2']);
    const f = fieldsOf(text);
    assert.deepStrictEqual(f[0], { '@data-type': 'string', data: 'config-1' });
    assert.equal(f[1]['@data-type'], 'set');
    assert.equal(f[2]['@data-type'], 'set');
    roundTrip(configurationToData, configurationFromData, { id: '', instances: [], nodes: [] });
  });

  it('NodeStatus: everything set, and everything optional unset', () => {
    const full: NodeStatus = { node: 'worker-1', state: 'RUNNING', mgmt_role: 'NODE', cluster_role: 'WORKER', pid: 4242, port: 2200, metrics_port: 9000 };
    const text = roundTrip(nodeStatusToData, nodeStatusFromData, full);
    assert.deepStrictEqual(fieldsOf(text)[4], { '@data-type': 'integer', data: 4242 });
    const bare: NodeStatus = { node: 'controller', state: 'PENDING', mgmt_role: 'CONTROLLER', cluster_role: 'NONE', pid: null, port: null, metrics_port: null };
    const t2 = roundTrip(nodeStatusToData, nodeStatusFromData, bare);
    assert.deepStrictEqual(fieldsOf(t2).slice(4), [NONE_JSON, NONE_JSON, NONE_JSON]);
  });

  it('Result: success without extras, failure with every field, and `any` data of several kinds', () => {
    const ok = makeResult('reqid-1');
    const text = roundTrip(resultToData, resultFromData, ok);
    assert.deepStrictEqual(fieldsOf(text), [{ '@data-type': 'string', data: 'reqid-1' }, { '@data-type': 'boolean', data: true }, NONE_JSON, NONE_JSON, NONE_JSON, NONE_JSON]);
    roundTrip(resultToData, resultFromData, makeResult('reqid-2', { success: false, instance: 'agent-1', error: 'unknown cluster node', node: 'worker-9' }));
    const datas: BrokerData[] = [
      B.str('{"a":1}'), nodeOutputsToData({ stdout: 'out', stderr: 'err' }), configurationToData({ id: 'c', instances: [], nodes: [minimalNode] }),
      B.vec([nodeStatusToData({ node: 'w', state: 'RUNNING', mgmt_role: 'NODE', cluster_role: 'WORKER', pid: 1, port: null, metrics_port: null })]),
      B.count(1n << 60n), B.table([[B.str('k'), B.set([])]]),
    ];
    for (const data of datas) roundTrip(resultToData, resultFromData, makeResult('reqid-3', { instance: 'agent-1', data }));
  });

  it('Result vectors', () => {
    const rs: Result[] = [makeResult('r', { instance: 'agent-1' }), makeResult('r', { success: false, error: 'boom', node: 'worker-1' })];
    roundTrip(resultVecToData, resultVecFromData, rs);
    roundTrip(resultVecToData, resultVecFromData, []);
  });

  it('NodeOutputs', () => {
    const o: NodeOutputs = { stdout: 'line 1\nline 2\n', stderr: 'fatal error in <command line>: ☠\u0000' };
    roundTrip(nodeOutputsToData, nodeOutputsFromData, o);
    roundTrip(nodeOutputsToData, nodeOutputsFromData, { stdout: '', stderr: '' });
  });
});

describe('Management records: enum values travel scoped', () => {
  it('cluster roles as Supervisor::<ROLE>, states and management roles as Management::<NAME>', () => {
    for (const r of ClusterRoleSchema.options) {
      assert.equal(encodeData(clusterRoleToData(r)), `{"@data-type":"enum-value","data":"Supervisor::${r}"}`);
      const text = encodeData(nodeToData({ ...minimalNode, role: r }));
      assert.ok(text.includes(`{"@data-type":"enum-value","data":"Supervisor::${r}"}`), text);
      assert.equal(nodeFromData(decodeDataText(text)).role, r);
    }
    for (const s of StateSchema.options) {
      assert.equal(encodeData(stateToData(s)), `{"@data-type":"enum-value","data":"Management::${s}"}`);
      assert.equal(nodeFromData(decodeDataText(encodeData(nodeToData({ ...minimalNode, state: s })))).state, s);
    }
    for (const m of ManagementRoleSchema.options) {
      assert.equal(encodeData(managementRoleToData(m)), `{"@data-type":"enum-value","data":"Management::${m}"}`);
    }
    assert.ok(encodeData(nodeToData(minimalNode)).includes('"Supervisor::WORKER"},{"@data-type":"enum-value","data":"Management::RUNNING"}'));
  });

  it('the shared enum BrokerData values are frozen', () => {
    const d = clusterRoleToData('MANAGER');
    assert.throws(() => { (d as { value: string }).value = 'x'; });
    assert.equal(encodeData(clusterRoleToData('MANAGER')), '{"@data-type":"enum-value","data":"Supervisor::MANAGER"}');
  });
});

describe('Management records: unset optional fields are none', () => {
  it('Node: port, scripts, options, interface, cpu_affinity, metrics_port; env an empty table', () => {
    const f = fieldsOf(encodeData(nodeToData(minimalNode)));
    for (const i of [4, 5, 6, 7, 8, 10]) assert.deepStrictEqual(f[i], NONE_JSON, `field ${i}`);
    assert.deepStrictEqual(f[9], { '@data-type': 'table', data: [] });
  });

  it('Instance listen_port, NodeStatus pid/port/metrics_port, Result instance/data/error/node', () => {
    assert.deepStrictEqual(fieldsOf(encodeData(instanceToData({ name: 'a', host: '0.0.0.0', listen_port: null })))[2], NONE_JSON);
    const ns = fieldsOf(encodeData(nodeStatusToData({ node: 'n', state: 'RUNNING', mgmt_role: 'NONE', cluster_role: 'NONE', pid: null, port: null, metrics_port: null })));
    assert.deepStrictEqual(ns.slice(4), [NONE_JSON, NONE_JSON, NONE_JSON]);
    const r = fieldsOf(encodeData(resultToData(makeResult('x', { success: false }))));
    assert.deepStrictEqual([r[2], r[3], r[4], r[5]], [NONE_JSON, NONE_JSON, NONE_JSON, NONE_JSON]);
  });

  it('none in optional positions decodes to null (and NodeStatus roles to NONE)', () => {
    const ns = nodeStatusFromData(B.vec([B.str('n'), B.enum('Management::RUNNING'), B.none(), B.none(), B.none(), B.none(), B.none()]));
    assert.deepStrictEqual(ns, { node: 'n', state: 'RUNNING', mgmt_role: 'NONE', cluster_role: 'NONE', pid: null, port: null, metrics_port: null });
    assert.deepStrictEqual(instanceFromData(B.vec([B.str('a'), B.none(), B.none()])), { name: 'a', host: '0.0.0.0', listen_port: null });
  });
});

// What zeek-client's to_brokertype() produces, serialized the way it serializes
// (json.dumps with sorted keys and ", "/": " separators). Node/Instance/Configuration
// are what it sends in stage_configuration_request; NodeStatus/Result/NodeOutputs are
// the vectors its own tests feed to from_brokertype.
describe('Management records: the vectors zeek-client produces', () => {
  const s = (v: string): string => `{"@data-type": "string", "data": ${JSON.stringify(v)}}`;
  const e = (v: string): string => `{"@data-type": "enum-value", "data": "${v}"}`;
  const none = '{"@data-type": "none", "data": {}}';
  const port = (n: number): string => `{"@data-type": "port", "data": "${n}/tcp"}`;
  const vec = (...xs: string[]): string => `{"@data-type": "vector", "data": [${xs.join(', ')}]}`;
  const set = (...xs: string[]): string => `{"@data-type": "set", "data": [${xs.join(', ')}]}`;
  const table = (...kv: Array<[string, string]>): string => `{"@data-type": "table", "data": [${kv.map(([k, v]) => `{"key": ${k}, "value": ${v}}`).join(', ')}]}`;

  // Node("worker1", "instance1", ClusterRole.WORKER): options none, env an empty table
  const nodeMinimal = vec(s('worker1'), s('instance1'), e('Supervisor::WORKER'), e('Management::RUNNING'), none, none, none, none, none, table(), none);
  // Node(..., State.PENDING, port=1234, scripts=[...], options=[Option("foo","bar")], interface="eth0", cpu_affinity=13, env={"FOO":"BAR"}, metrics_port=9000)
  const nodeFull = vec(s('worker1'), s('instance1'), e('Supervisor::WORKER'), e('Management::PENDING'), port(1234), vec(s('foo/bar/baz.zeek')),
    set(vec(s('foo'), s('bar'))), s('eth0'), '{"@data-type": "integer", "data": 13}', table([s('FOO'), s('BAR')]), port(9000));
  const instanceBare = vec(s('instance1'), '{"@data-type": "address", "data": "0.0.0.0"}', none);
  const instanceListening = vec(s('instance1'), '{"@data-type": "address", "data": "10.0.0.1"}', port(1234));

  it('Node with options none, env table and no metrics port', () => {
    assert.deepStrictEqual(nodeFromData(decodeDataText(nodeMinimal)), {
      name: 'worker1', instance: 'instance1', role: 'WORKER', state: 'RUNNING', port: null, scripts: null, options: null,
      interface: null, cpu_affinity: null, env: {}, metrics_port: null,
    });
    // and this codec writes the same vector for the same node
    assert.deepStrictEqual(JSON.parse(encodeData(nodeToData(nodeFromData(decodeDataText(nodeMinimal))))), JSON.parse(nodeMinimal));
  });

  it('Node with every field, metrics_port included', () => {
    const n = nodeFromData(decodeDataText(nodeFull));
    assert.deepStrictEqual(n, {
      name: 'worker1', instance: 'instance1', role: 'WORKER', state: 'PENDING', port: 1234, scripts: ['foo/bar/baz.zeek'],
      options: [{ name: 'foo', value: 'bar' }], interface: 'eth0', cpu_affinity: 13, env: { FOO: 'BAR' }, metrics_port: 9000,
    });
    assert.deepStrictEqual(JSON.parse(encodeData(nodeToData(n))), JSON.parse(nodeFull));
  });

  it('Instances, and a Configuration inside stage_configuration_request', () => {
    assert.deepStrictEqual(instanceFromData(decodeDataText(instanceBare)), { name: 'instance1', host: '0.0.0.0', listen_port: null });
    assert.deepStrictEqual(instanceFromData(decodeDataText(instanceListening)), { name: 'instance1', host: '10.0.0.1', listen_port: 1234 });
    const config = vec(s('6d9c2a4e-4c1b-11ee-9f2a-0242ac120002'), set(instanceBare), set(nodeFull, nodeMinimal));
    // DataMessage.to_broker() serialized with sorted keys
    const msg = `{"@data-type": "vector", "data": [{"@data-type": "count", "data": 1}, {"@data-type": "count", "data": 1}, ${vec(s('Management::Controller::API::stage_configuration_request'), vec(s('reqid-1'), config))}], "topic": "zeek/management/controller", "type": "data-message"}`;
    const m = parseDataMessage(msg);
    assert.equal(m.topic, 'zeek/management/controller');
    const ev = eventFromData(m.data);
    assert.equal(ev.name, 'Management::Controller::API::stage_configuration_request');
    assert.deepStrictEqual(ev.args[0], B.str('reqid-1'));
    const c = configurationFromData(ev.args[1]);
    assert.deepStrictEqual(c, configurationFromData(decodeDataText(config)));
    assert.equal(c.id, '6d9c2a4e-4c1b-11ee-9f2a-0242ac120002');
    assert.deepStrictEqual(c.instances, [{ name: 'instance1', host: '0.0.0.0', listen_port: null }]);
    assert.deepStrictEqual(c.nodes.map((n) => [n.name, n.state]), [['worker1', 'PENDING'], ['worker1', 'RUNNING']]);
  });

  it('NodeStatus with six fields (older zeek-client tests: no metrics_port; read only with olderZeek) and with seven', () => {
    const six = vec(s('worker1'), e('Management::RUNNING'), e('Management::NONE'), e('Supervisor::WORKER'), '{"@data-type": "integer", "data": 123}', port(1234));
    assert.throws(() => nodeStatusFromData(decodeDataText(six)), /missing field 'metrics_port'/);
    assert.deepStrictEqual(nodeStatusFromData(decodeDataText(six), '$', { olderZeek: true }), { node: 'worker1', state: 'RUNNING', mgmt_role: 'NONE', cluster_role: 'WORKER', pid: 123, port: 1234, metrics_port: null });
    const seven = vec(s('w'), e('Management::RUNNING'), e('Management::NODE'), e('Supervisor::WORKER'), '{"@data-type": "integer", "data": 42}', port(2200), port(9000));
    assert.deepStrictEqual(nodeStatusFromData(decodeDataText(seven)), { node: 'w', state: 'RUNNING', mgmt_role: 'NODE', cluster_role: 'WORKER', pid: 42, port: 2200, metrics_port: 9000 });
  });

  it('Result and NodeOutputs', () => {
    const r = vec(s('reqid-1234'), '{"@data-type": "boolean", "data": false}', s('instance1'), s('data'), s('an error'), s('worker1'));
    assert.deepStrictEqual(resultFromData(decodeDataText(r)), { reqid: 'reqid-1234', success: false, instance: 'instance1', data: B.str('data'), error: 'an error', node: 'worker1' });
    const bare = vec(s('reqid-0007'), '{"@data-type": "boolean", "data": true}', none, none, none, none);
    assert.deepStrictEqual(resultFromData(decodeDataText(bare)), makeResult('reqid-0007'));
    assert.deepStrictEqual(JSON.parse(encodeData(resultToData(makeResult('reqid-0007')))), JSON.parse(bare));
    assert.deepStrictEqual(nodeOutputsFromData(decodeDataText(vec(s('stdout content'), s('stderr content')))), { stdout: 'stdout content', stderr: 'stderr content' });
  });
});

// Runs zeek-client's own types.py (read from a zeek-client checkout beside this one, or
// from the python directory of the Zeek install that findZeek() finds; never copied) to
// produce and consume the vectors. Skipped where python3 or zeek-client is missing.
describe('Management records: agreement with zeek-client itself (python3 oracle)', function () {
  const zeek = findZeek();
  const candidates = [path.resolve(__dirname, '../../ref/zc'), ...(zeek ? [path.resolve(path.dirname(zeek), '../lib/zeek/python')] : [])];
  const zc = candidates.find((d) => fs.existsSync(path.join(d, 'zeekclient', 'types.py')));
  const usable = python3Available() && zc !== undefined;

  before(function () {
    if (!usable) {
      console.log('      (skipped: no python3, or no zeekclient package in ../ref/zc or beside zeek)');
      this.skip();
    }
  });

  // zeek-client's package __init__ pulls in its CLI, which needs the websocket-client
  // package; its record types do not, so an empty module stands in for it.
  const PRELUDE = [
    'import sys, json, types',
    `sys.path.insert(0, ${JSON.stringify(zc)})`,
    'sys.modules.setdefault("websocket", types.ModuleType("websocket"))',
    'import zeekclient.types as t, zeekclient.brokertypes as bt',
  ].join('\n');

  it('decodes what zeek-client encodes', () => {
    const script = `${PRELUDE}
out = {}
out["minimal"] = json.loads(t.Node("worker1", "instance1", t.ClusterRole.WORKER).to_brokertype().serialize())
out["full"] = json.loads(t.Node("worker-2", "agent-1", t.ClusterRole.PROXY, t.State.PENDING, port=2201, scripts=["a.zeek", "b c.zeek"],
    options=[t.Option("foo", "bar")], interface="eth0", cpu_affinity=13, env={"FOO": "BAR", "Z": "ünï"}, metrics_port=9000).to_brokertype().serialize())
c = t.Configuration()
c.id = "cfg-1"
c.instances = [t.Instance("agent-1"), t.Instance("agent-2", "10.0.0.2", "2151"), t.Instance("agent-3", "2001:db8::3", 2152)]
c.nodes = [t.Node("manager", "agent-1", t.ClusterRole.MANAGER, port=2200), t.Node("worker-1", "agent-2", t.ClusterRole.WORKER, interface="eth1")]
out["config"] = json.loads(c.to_brokertype().serialize())
out["status"] = json.loads(t.NodeStatus("w", t.State.CRASHED, t.ManagementRole.NODE, t.ClusterRole.LOGGER, 77, 2200, 9001).to_brokertype().serialize())
out["result"] = json.loads(t.Result("r", success=False, instance="agent-1", data=bt.String("x"), error="e", node="n").to_brokertype().serialize())
out["outputs"] = json.loads(t.NodeOutputs("o", "e").to_brokertype().serialize())
out["event"] = json.loads(bt.ZeekEvent("Management::Controller::API::stage_configuration_request", bt.String("reqid"), c.to_brokertype()).serialize())
print(json.dumps(out))
`;
    const got = runPython<Record<string, unknown>>(script, null);
    const dec = (k: string): BrokerData => decodeDataText(JSON.stringify(got[k]));
    assert.deepStrictEqual(nodeFromData(dec('minimal')), { ...NodeSchema.parse({ name: 'worker1', instance: 'instance1', role: 'WORKER' }) });
    assert.deepStrictEqual(nodeFromData(dec('full')), {
      name: 'worker-2', instance: 'agent-1', role: 'PROXY', state: 'PENDING', port: 2201, scripts: ['a.zeek', 'b c.zeek'],
      options: [{ name: 'foo', value: 'bar' }], interface: 'eth0', cpu_affinity: 13, env: { FOO: 'BAR', Z: 'ünï' }, metrics_port: 9000,
    });
    const config = configurationFromData(dec('config'));
    assert.deepStrictEqual(config, {
      id: 'cfg-1',
      instances: [{ name: 'agent-1', host: '0.0.0.0', listen_port: null }, { name: 'agent-2', host: '10.0.0.2', listen_port: 2151 }, { name: 'agent-3', host: '2001:db8::3', listen_port: 2152 }],
      nodes: [NodeSchema.parse({ name: 'manager', instance: 'agent-1', role: 'MANAGER', port: 2200 }), NodeSchema.parse({ name: 'worker-1', instance: 'agent-2', role: 'WORKER', interface: 'eth1' })],
    });
    assert.deepStrictEqual(nodeStatusFromData(dec('status')), { node: 'w', state: 'CRASHED', mgmt_role: 'NODE', cluster_role: 'LOGGER', pid: 77, port: 2200, metrics_port: 9001 });
    assert.deepStrictEqual(resultFromData(dec('result')), { reqid: 'r', success: false, instance: 'agent-1', data: B.str('x'), error: 'e', node: 'n' });
    assert.deepStrictEqual(nodeOutputsFromData(dec('outputs')), { stdout: 'o', stderr: 'e' });
    // byte-for-byte the same structure as this codec writes for the same node
    assert.deepStrictEqual(JSON.parse(encodeData(nodeToData(nodeFromData(dec('full'))))), got.full);
  });

  it('zeek-client decodes what this codec encodes', () => {
    const config: Configuration = ConfigurationSchema.parse({
      id: 'cfg-2',
      instances: [{ name: 'agent-1' }, { name: 'agent-2', host: '10.0.0.2', listen_port: 2151 }],
      nodes: [{ name: 'manager', instance: 'agent-1', role: 'MANAGER', port: 2200, metrics_port: 9000 }, fullNode],
    });
    const statuses: NodeStatus[] = [{ node: 'worker-2', state: 'RUNNING', mgmt_role: 'NODE', cluster_role: 'WORKER', pid: 4242, port: 2201, metrics_port: 9991 }];
    const input = {
      config: encodeData(configurationToData(config)),
      status: encodeData(nodeStatusToData(statuses[0])),
      result: encodeData(resultToData(makeResult('r', { success: false, instance: 'agent-1', error: 'boom', node: 'worker-2', data: nodeOutputsToData({ stdout: 'o', stderr: 'e' }) }))),
      options: encodeData(optionToData({ name: 'a', value: 'b' })),
    };
    const script = `${PRELUDE}
inp = json.load(sys.stdin)
out = {}
cfg = t.Configuration.from_brokertype(bt.unserialize(inp["config"]))
out["config"] = cfg.to_json_data()
# options is a set in Zeek (and a Python set's order in zeek-client): compare sorted by name
out["config"]["nodes"] = [dict(n, options=sorted([o.__dict__ for o in n["options"]], key=lambda o: o["name"]) if n["options"] else n["options"]) for n in out["config"]["nodes"]]
st = t.NodeStatus.from_brokertype(bt.unserialize(inp["status"]))
out["status"] = [st.node, st.state.name, st.mgmt_role.name, st.cluster_role.name, st.pid, st.port, st.metrics_port]
res = t.Result.from_brokertype(bt.unserialize(inp["result"]))
outs = t.NodeOutputs.from_brokertype(res.data)
out["result"] = [res.reqid, res.success, res.instance, res.error, res.node, outs.stdout, outs.stderr]
opt = t.Option.from_brokertype(bt.unserialize(inp["options"]))
out["option"] = [opt.name, opt.value]
print(json.dumps(out))
`;
    const got = runPython<{ config: { id: string; instances: unknown[]; nodes: unknown[] }; status: unknown[]; result: unknown[]; option: unknown[] }>(script, input);
    assert.equal(got.config.id, 'cfg-2');
    assert.deepStrictEqual(got.config.instances, [{ name: 'agent-1' }, { name: 'agent-2', host: '10.0.0.2', port: 2151 }]);
    const asZeekClient = (n: Node): Record<string, unknown> => ({
      name: n.name, instance: n.instance, role: n.role, port: n.port, scripts: n.scripts,
      options: n.options && [...n.options].sort((a, b) => (a.name < b.name ? -1 : 1)), interface: n.interface,
      cpu_affinity: n.cpu_affinity, env: n.env, metrics_port: n.metrics_port,
    });
    assert.deepStrictEqual(got.config.nodes, [...config.nodes].sort((a, b) => (a.name < b.name ? -1 : 1)).map(asZeekClient));
    assert.deepStrictEqual(got.status, ['worker-2', 'RUNNING', 'NODE', 'WORKER', 4242, 2201, 9991]);
    assert.deepStrictEqual(got.result, ['r', false, 'agent-1', 'boom', 'worker-2', 'o', 'e']);
    assert.deepStrictEqual(got.option, ['a', 'b']);
  });
});
