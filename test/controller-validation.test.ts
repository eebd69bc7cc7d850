// Configuration validation: every error Zeek's config_validate produces, with its exact
// string and sort order, plus the path-safety check of names; and the same errors over
// the wire from a running controller.

import { strict as assert } from 'node:assert';
import { ControllerClient } from '../sdk/client/controller-client';
import { Configuration } from '../sdk/model/schemas';
import {
  canonicalizeConfiguration, nameSafetyError, validateConfiguration,
} from '../sdk/validation';
import { instance, miniConfig, node } from './helpers/controller-configs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';

const cfg = (instances: Configuration['instances'], nodes: Configuration['nodes']): Configuration => ({ id: 'x', instances, nodes });

describe('validateConfiguration', () => {
  it('accepts the documentation\'s mini config and an empty one', () => {
    assert.deepEqual(validateConfiguration(miniConfig()), []);
    assert.deepEqual(validateConfiguration(cfg([], [])), []);
  });

  it('reports repeated instance names once each', () => {
    const c = cfg([instance('a'), instance('a', '10.0.0.1'), instance('a', '10.0.0.2'), instance('b')], []);
    assert.deepEqual(validateConfiguration(c), ["multiple instances named 'a'"]);
  });

  it('reports repeated node names once each; identical records are one (Zeek sets)', () => {
    const c = cfg([instance('i')], [node('w', 'i', 'WORKER'), node('w', 'i', 'WORKER', { interface: 'eth1' }), node('w', 'i', 'PROXY')]);
    assert.deepEqual(validateConfiguration(c), ["multiple nodes named 'w'"]);
    const same = cfg([instance('i'), instance('i')], [node('w', 'i', 'WORKER'), node('w', 'i', 'WORKER')]);
    assert.deepEqual(validateConfiguration(same), []);
    assert.equal(canonicalizeConfiguration(same).nodes.length, 1);
  });

  it('reports node and instance names that collide, sorted and joined', () => {
    const c = cfg([instance('zed'), instance('alpha'), instance('mid')], [node('zed', 'zed', 'WORKER'), node('alpha', 'zed', 'WORKER')]);
    assert.deepEqual(validateConfiguration(c), ['node and instance names collide: alpha, zed']);
  });

  it('reports nodes on undeclared instances', () => {
    const c = cfg([instance('i')], [node('n1', 'nowhere', 'WORKER'), node('n2', 'i', 'WORKER')]);
    assert.deepEqual(validateConfiguration(c), ["node 'n1' has undeclared instance name 'nowhere'"]);
  });

  it('reports a node port equal to its agent\'s listening port, but not another instance\'s', () => {
    const c = cfg([instance('i', '10.0.0.1', 2151), instance('j', '10.0.0.2', 3000)], [node('m', 'i', 'MANAGER', { port: 2151 }), node('l', 'i', 'LOGGER', { port: 3000 })]);
    assert.deepEqual(validateConfiguration(c), ["node 'm' port 2151/tcp conflicts with agent port on instance 'i'"]);
  });

  it('reports a node port equal to the controller\'s Broker port (default 2150, or as configured, or none)', () => {
    const c = cfg([instance('i')], [node('m', 'i', 'MANAGER', { port: 2150 }), node('p', 'i', 'PROXY', { port: 4000 })]);
    assert.deepEqual(validateConfiguration(c), ["node 'm' port 2150/tcp conflicts with controller port"]);
    assert.deepEqual(validateConfiguration(c, { controllerPort: 4000 }), ["node 'p' port 4000/tcp conflicts with controller port"]);
    assert.deepEqual(validateConfiguration(c, { controllerPort: null }), []);
  });

  it('reports nodes sharing a port on one instance once per port; other instances may reuse it', () => {
    const c = cfg([instance('i'), instance('j')], [
      node('a', 'i', 'MANAGER', { port: 3000 }), node('b', 'i', 'LOGGER', { port: 3000 }), node('c', 'i', 'PROXY', { port: 3000 }),
      node('d', 'j', 'PROXY', { port: 3000 }),
    ]);
    assert.deepEqual(validateConfiguration(c), ["multiple nodes on instance 'i' using port 3000/tcp"]);
  });

  it('with Broker port auto-assignment off, reports managers, loggers and proxies without ports (not workers)', () => {
    const c = cfg([instance('i')], [node('p2', 'i', 'PROXY'), node('m', 'i', 'MANAGER', { port: 3000 }), node('l', 'i', 'LOGGER'), node('w', 'i', 'WORKER')]);
    assert.deepEqual(validateConfiguration(c, { autoAssignBrokerPorts: false }), ['Broker port auto-assignment disabled but nodes l, p2 lack ports']);
    assert.deepEqual(validateConfiguration(c, { autoAssignBrokerPorts: true }), []);
  });

  it('sorts all errors by their text, as Zeek does', () => {
    const c = cfg([instance('i', '0.0.0.0', 2151), instance('i', '10.1.1.1'), instance('w')], [
      node('w', 'i', 'WORKER'), node('m', 'i', 'MANAGER', { port: 2151 }), node('x', 'ghost', 'WORKER'),
      node('l', 'i', 'LOGGER', { port: 2150 }), node('p', 'i', 'PROXY'),
    ]);
    assert.deepEqual(validateConfiguration(c, { autoAssignBrokerPorts: false }), [
      'Broker port auto-assignment disabled but nodes p lack ports',
      "multiple instances named 'i'",
      "node 'l' port 2150/tcp conflicts with controller port",
      "node 'm' port 2151/tcp conflicts with agent port on instance 'i'",
      "node 'x' has undeclared instance name 'ghost'",
      'node and instance names collide: w',
    ]);
  });

  it('rejects names that are not safe as one directory name', () => {
    const bad: Array<[string, RegExp]> = [
      ['..', /refers to a directory itself/], ['.', /refers to a directory itself/], ['a/b', /path separator/],
      ['a\\b', /path separator/], ['.hidden', /starts with '\.'/], ['-rf', /starts with '-'/], ['tab\there', /control characters/],
      ['sp ace', /characters other than/], ['x'.repeat(256), /longer than 255/], ['', /must not be empty/],
    ];
    for (const [name, why] of bad) {
      const e = nameSafetyError(name, 'node');
      assert.ok(e && why.test(e), `${JSON.stringify(name)}: ${e}`);
    }
    for (const ok of ['worker-01', 'agent-testbox', 'controller-host.example.com', 'node_1', 'A']) assert.equal(nameSafetyError(ok, 'node'), null);
    const c = cfg([instance('../etc')], [node('../../x', '../etc', 'WORKER')]);
    assert.deepEqual(validateConfiguration(c), [
      "instance name '../etc' is not usable as a directory name: it contains a path separator",
      "node name '../../x' is not usable as a directory name: it contains a path separator",
    ]);
    assert.deepEqual(validateConfiguration(cfg([instance('in/side')], [])), ["instance name 'in/side' is not usable as a directory name: it contains a path separator"]);
  });
});

describe('controller stage_configuration validation over the wire', function () {
  this.timeout(15_000);
  let ctl: ControllerProcess;
  let c: ControllerClient;

  before(async () => {
    ctl = await startControllerProcess({ settings: { autoAssignBrokerPorts: false } });
    c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 5 });
  });

  after(async () => {
    await c?.close();
    await ctl?.stop();
  });

  it('answers with one error Result per problem, sorted, and keeps nothing staged', async () => {
    const bad = cfg([instance('i', '10.0.0.1', 2151), instance('i')], [
      node('m', 'i', 'MANAGER', { port: ctl.agentPort }), node('p', 'i', 'PROXY', { port: 2151 }), node('l', 'i', 'LOGGER'),
      node('../x', 'i', 'WORKER'),
    ]);
    const results = await c.stageConfiguration(bad);
    assert.deepEqual(results.map((r) => [r.success, r.instance, r.node, r.error]), [
      [false, null, null, 'Broker port auto-assignment disabled but nodes l lack ports'],
      [false, null, null, "multiple instances named 'i'"],
      [false, null, null, `node 'm' port ${ctl.agentPort}/tcp conflicts with controller port`],
      [false, null, null, "node 'p' port 2151/tcp conflicts with agent port on instance 'i'"],
      [false, null, null, "node name '../x' is not usable as a directory name: it contains a path separator"],
    ]);
    assert.ok(results.every((r) => r.reqid === results[0].reqid && r.reqid !== ''));
    assert.equal((await c.getConfiguration(false)).error, 'no staged configuration available');
  });
});
