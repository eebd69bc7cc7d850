// How the agent reads its Supervisor's messages (framework/agent/supervisor-reader.ts):
// status replies piece by piece, each node's cluster table reduced to its own entry,
// everything else exactly as reading the whole message gives it. Then SupervisorLink
// against a real Broker endpoint answering with a status reply larger than the 16 MiB a
// message read whole may have (240 nodes), which used to close the agent's connection.

import * as assert from 'node:assert/strict';
import { B, BrokerData } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { eventFromData, eventToData } from '../sdk/broker/event';
import { DEFAULT_LIMITS } from '../sdk/broker/json-codec';
import { encodeDataMessage, parseServerMessage, ServerMessage } from '../sdk/broker/messages';
import { EndpointServer } from '../sdk/transport/endpoint-server';
import { SupervisorMessageReader } from '../framework/agent/supervisor-reader';
import { SupervisorLink } from '../framework/agent/supervisor-link';
import {
  ClusterEndpoint, nodeConfig, statusFromData, statusToData, SupervisorStatus,
} from '../framework/supervisor/records';

function layout(n: number): Record<string, ClusterEndpoint> {
  const cluster: Record<string, ClusterEndpoint> = {};
  for (let i = 0; i < n; i++) {
    const name = i === 0 ? 'manager' : i === 1 ? 'logger' : `worker-${String(i).padStart(3, '0')}`;
    cluster[name] = {
      role: i === 0 ? 'MANAGER' : i === 1 ? 'LOGGER' : 'WORKER', host: '127.0.0.1', p: i === 1 ? 0 : 21000 + i,
      interface: i > 1 ? 'lo' : null, pcap_file: null, metrics_port: 9000 + i,
    };
  }
  return cluster;
}

/** A Supervisor's status: every cluster node with the whole layout, plus the agent itself (no cluster). */
function status(n: number): SupervisorStatus {
  const cluster = layout(n);
  const nodes: SupervisorStatus['nodes'] = {
    'agent-x': { node: nodeConfig('agent-x', { env: { ZEEK_MANAGEMENT_NODE: 'AGENT' } }), pid: 10 },
  };
  for (const name of Object.keys(cluster)) {
    nodes[name] = {
      node: nodeConfig(name, {
        directory: `/var/lib/zeek/nodes/${name}`, interface: cluster[name].interface, cpu_affinity: name === 'manager' ? 1 : null,
        addl_user_scripts: ['local-ünïcode.zeek', 'policy/frameworks/management/node'], env: { A: 'b "quoted" [x]', LONGER_VALUE: 'x'.repeat(40) },
        cluster, runtime: 'emulated',
      }),
      pid: name === 'logger' ? null : 1000 + name.length,
    };
  }
  return { nodes };
}

function statusReply(data: BrokerData, reqid = 'r-1'): string {
  return encodeDataMessage(`zeek/supervisor/status_response/${reqid}`, eventToData({ name: 'SupervisorControl::status_response', args: [B.str(reqid), data] }));
}

/** What the agent should get: the status with every node's cluster reduced to its own entry. */
function ownEntriesOnly(s: SupervisorStatus): SupervisorStatus {
  const nodes: SupervisorStatus['nodes'] = {};
  for (const [name, ns] of Object.entries(s.nodes)) {
    const own = ns.node.cluster[name];
    nodes[name] = { ...ns, node: { ...ns.node, cluster: own ? { [name]: own } : {} } };
  }
  return { nodes };
}

function read(text: string, piece: number): ServerMessage | string {
  const r = new SupervisorMessageReader();
  for (let i = 0; i < text.length; i += piece) r.write(text.slice(i, i + piece));
  return r.end();
}

function statusOf(m: ServerMessage | string): SupervisorStatus {
  const msg = typeof m === 'string' ? parseServerMessage(m) : m;
  assert.equal(msg.type, 'data-message');
  if (msg.type !== 'data-message') throw new Error('unreachable');
  return statusFromData(eventFromData(msg.data).args[1], '$.args[1]');
}

/** The JSON of `text` written as Python's json.dumps(sort_keys=True) would: keys sorted, ", " and ": " separators. */
function pythonStyle(text: string): string {
  const dump = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(dump).join(', ')}]`;
    if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}: ${dump((v as Record<string, unknown>)[k])}`).join(', ')}}`;
    return JSON.stringify(v);
  };
  return dump(JSON.parse(text));
}

describe('agent: reading the Supervisor\'s messages piece by piece', () => {
  it('a status reply: every node, each with only its own cluster entry, at any piece size', () => {
    const s = status(30);
    const text = statusReply(statusToData(s));
    for (const piece of [1, 13, 4096, text.length]) {
      const m = read(text, piece);
      assert.equal(typeof m, 'object', 'read piece by piece, not handed back whole');
      assert.deepEqual(statusOf(m), ownEntriesOnly(s));
    }
  });

  it('endpoints not in the usual layout (IPv6 hosts, escaped names) are read to check them, with the same result', () => {
    const s = status(8);
    for (const [name, ns] of Object.entries(s.nodes)) {
      const cluster = Object.fromEntries(Object.entries(ns.node.cluster).map(([k, e]) => [k, { ...e, host: k === 'logger' ? '127.0.0.1' : 'fe80::1' }]));
      ns.node.cluster = name === 'worker-003' ? { ...cluster, 'we\"ird\\name': cluster['worker-002'] } : cluster;
    }
    const m = read(statusReply(statusToData(s)), 4096);
    assert.equal(typeof m, 'object');
    assert.deepEqual(statusOf(m), ownEntriesOnly(s));
  });

  it('the same with keys sorted and spaces after separators (as zeek-client writes JSON)', () => {
    const s = status(12);
    const m = read(pythonStyle(statusReply(statusToData(s))), 100);
    assert.equal(typeof m, 'object');
    assert.deepEqual(statusOf(m), ownEntriesOnly(s));
  });

  it('other messages, and a status reply laid out so the table cannot be confirmed in time, come back whole', () => {
    const created = encodeDataMessage('zeek/supervisor/create_response/r', eventToData({ name: 'SupervisorControl::create_response', args: [B.str('r'), B.str('')] }));
    assert.equal(read(created, 7), created);
    const exit = encodeDataMessage('zeek/management/supervisor', eventToData({ name: 'Management::Supervisor::API::notify_node_exit', args: [B.str('w'), B.vec([B.str('out [1]'), B.str('err')])] }));
    assert.equal(read(exit, 5), exit);
    // "data" before "@data-type" in the nodes table: read whole, cluster tables intact.
    const s = status(5);
    const text = statusReply(statusToData(s));
    const json = JSON.parse(text);
    const args = json.data[2].data[1].data[1];
    args.data[0] = { data: args.data[0].data, '@data-type': args.data[0]['@data-type'] };
    const reordered = JSON.stringify(json);
    assert.notEqual(reordered, text);
    assert.deepEqual(statusOf(read(reordered, 64)), s);
  });

  it('a malformed endpoint in another node\'s entry fails exactly as the whole message does', () => {
    const s = status(6);
    const data = statusToData(s);
    // Break worker-004's endpoint in manager's cluster table (not manager's own entry).
    const text = statusReply(data).replace(/("key":\{"@data-type":"string","data":"worker-004"\},"value":\{"@data-type":"vector","data":\[\{"@data-type":"enum-value","data":")Supervisor::WORKER/, '$1Supervisor::BOGUS');
    const whole = (): SupervisorStatus => statusOf(parseServerMessage(text));
    const pieces = (): SupervisorStatus => statusOf(read(text, 100));
    assert.throws(whole, /unknown cluster role Supervisor::BOGUS/);
    let expected: Error | undefined;
    try {
      whole();
    } catch (err) {
      expected = err as Error;
    }
    assert.throws(pieces, (err: Error) => err.message === expected!.message);
  });

  it('invalid Broker data in an entry, and a reply cut short, are wire errors', () => {
    const text = statusReply(statusToData(status(4)));
    const badPort = text.replace('"21003/tcp"', '"99999/tcp"');
    assert.throws(() => parseServerMessage(badPort), WireError);
    assert.throws(() => read(badPort, 50), WireError);
    assert.throws(() => read(text.slice(0, text.length / 2), 50), WireError);
  });
});

describe('agent: SupervisorLink with a status reply larger than a whole message may be', function () {
  this.timeout(60000);
  let server: EndpointServer | null = null;
  let link: SupervisorLink | null = null;
  after(async () => {
    await link?.close();
    await server?.close();
  });

  it('240 nodes (> 16 MiB): status() gives every node with its own endpoint; other requests as before', async () => {
    const s = status(240);
    const data = statusToData(s);
    const size = statusReply(data).length;
    assert.ok(size > DEFAULT_LIMITS.maxTextLength, `the reply is ${size} characters`);
    server = new EndpointServer({ host: '127.0.0.1', port: 0, relay: false });
    server.on('event', (ev) => {
      const reqid = ev.args[0]?.type === 'string' ? ev.args[0].value : '';
      if (ev.name === 'SupervisorControl::status_request') {
        server!.publishEvent(`zeek/supervisor/status_response/${reqid}`, { name: 'SupervisorControl::status_response', args: [B.str(reqid), data] });
      } else if (ev.name === 'SupervisorControl::destroy_request') {
        server!.publishEvent(`zeek/supervisor/destroy_response/${reqid}`, { name: 'SupervisorControl::destroy_response', args: [B.str(reqid), B.bool(true)] });
      }
    });
    const { port } = await server.listen();
    link = await SupervisorLink.connect({ host: '127.0.0.1', port, topics: ['zeek/supervisor', 'zeek/management/supervisor'], topicPrefix: 'zeek/supervisor', retryMs: 100 });
    const got = await link.status('');
    assert.deepEqual(got, ownEntriesOnly(s));
    assert.equal(await link.destroy('worker-002'), true);
    // And again: the link keeps working after a large reply.
    assert.equal(Object.keys((await link.status('')).nodes).length, 241);
  });
});
