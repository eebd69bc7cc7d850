// Cluster configuration .ini files into Configurations, with zeek-client's rules and
// zeek-client's messages; errors name the file, section and key.

import { strict as assert } from 'node:assert';
import { hostname } from 'node:os';
import { ConfigFileError, ConfigWarning } from '../sdk/config/config-file-error';
import { parseConfigurationIni, ParseConfigurationOptions } from '../sdk/config/configuration-from-ini';
import { Configuration, Node } from '../sdk/model/schemas';
import { readManagementDoc } from './config-reference';

const OPTS = { fileName: 'cluster.cfg', hostname: 'testbox', id: 'cfg-id' };

function parse(text: string, opts: ParseConfigurationOptions = {}): { cfg: Configuration; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  const cfg = parseConfigurationIni(text, { ...OPTS, onWarning: (w) => warnings.push(w), ...opts });
  return { cfg, warnings };
}

function node(fields: Partial<Node> & Pick<Node, 'name' | 'instance' | 'role'>): Node {
  return {
    state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null,
    ...fields,
  };
}

function parseError(text: string): ConfigFileError {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigFileError');
}

const NODE = '[manager]\ninstance = agent\nrole = manager\n';
const INSTANCES = '[instances]\nagent\n\n';

describe('config from-ini: reading cluster configurations as zeek-client does', () => {
  describe('the documentation examples', () => {
    it('reads mini-config.ini: no instances anywhere, so all nodes run on agent-<hostname>', () => {
      const { cfg, warnings } = parse(readManagementDoc('mini-config.ini'));
      assert.deepEqual(cfg, {
        id: 'cfg-id',
        instances: [{ name: 'agent-testbox', host: '0.0.0.0', listen_port: null }],
        nodes: [
          node({ name: 'manager', instance: 'agent-testbox', role: 'MANAGER' }),
          node({ name: 'logger', instance: 'agent-testbox', role: 'LOGGER' }),
          node({ name: 'worker-01', instance: 'agent-testbox', role: 'WORKER', interface: 'lo' }),
          node({ name: 'worker-02', instance: 'agent-testbox', role: 'WORKER', interface: 'eth0' }),
        ],
      });
      assert.deepEqual(warnings, []);
    });

    it('reads full-config.ini with its comments: one agent, seven nodes in file order', () => {
      const { cfg, warnings } = parse(readManagementDoc('full-config.ini'));
      assert.deepEqual(cfg.instances, [{ name: 'agent-testbox', host: '0.0.0.0', listen_port: null }]);
      assert.deepEqual(cfg.nodes.map((n) => [n.name, n.role, n.interface]), [
        ['manager', 'MANAGER', null], ['logger', 'LOGGER', null], ['proxy1', 'PROXY', null], ['proxy2', 'PROXY', null],
        ['worker1', 'WORKER', 'eth0'], ['worker2', 'WORKER', 'eth1'], ['worker3', 'WORKER', 'eth2'], ['worker4', 'WORKER', 'eth3'],
      ]);
      assert.ok(cfg.nodes.every((n) => n.instance === 'agent-testbox' && n.port === null && n.metrics_port === null));
      assert.deepEqual(warnings, []);
    });

    it('uses this machine\'s host name when none is given', () => {
      const cfg = parseConfigurationIni('[manager]\nrole = manager\n');
      assert.equal(cfg.nodes[0].instance, `agent-${hostname() || 'localhost'}`);
    });
  });

  describe('[instances]', () => {
    it('reads value-less and empty entries as agents connecting to the controller', () => {
      const { cfg } = parse('[instances]\nagent\nagent2 =\n\n[manager]\ninstance = agent\nrole = manager\n');
      assert.deepEqual(cfg.instances, [
        { name: 'agent', host: '0.0.0.0', listen_port: null },
        { name: 'agent2', host: '0.0.0.0', listen_port: null },
      ]);
    });

    it('reads host:port entries, IPv6 with or without brackets', () => {
      const { cfg } = parse('[instances]\nagent = 127.0.0.1:2151\nagent2 = ::1:2151\nagent3 = [::2]:2152\nagent4 = [ 10.0.0.4 ] : 99\n\n' + NODE);
      assert.deepEqual(cfg.instances, [
        { name: 'agent', host: '127.0.0.1', listen_port: 2151 },
        { name: 'agent2', host: '::1', listen_port: 2151 },
        { name: 'agent3', host: '::2', listen_port: 2152 },
        { name: 'agent4', host: '10.0.0.4', listen_port: 99 },
      ]);
    });

    it('lowercases instance names, as configparser does with keys', () => {
      const { cfg } = parse('[instances]\nAgent-Box\n\n[manager]\ninstance = Agent-Box\nrole = manager\n');
      assert.equal(cfg.instances[0].name, 'agent-box');
      assert.equal(cfg.nodes[0].instance, 'Agent-Box');
    });

    it('rejects a spec without host or port with zeek-client\'s message', () => {
      for (const spec of ['foo:', ':1', '10.0.0.1']) {
        const err = parseError(`[instances]\nagent = ${spec}\n\n${NODE}`);
        assert.equal(err.reason, `invalid spec for instance "agent": "${spec}" should be <host>:<port>`);
        assert.equal(err.fileName, 'cluster.cfg');
        assert.equal(err.section, 'instances');
        assert.equal(err.key, 'agent');
        assert.equal(err.line, 2);
        assert.equal(err.message, `cluster.cfg, line 2, section [instances], key "agent": ${err.reason}`);
      }
    });

    it('rejects hosts that are not IP addresses', () => {
      assert.equal(parseError(`[instances]\nagent = 127.0.0.1.1:2151\n\n${NODE}`).reason, '\'127.0.0.1.1\' does not appear to be an IPv4 or IPv6 address');
      assert.equal(parseError(`[instances]\nagent = ::2/128:2151\n\n${NODE}`).reason, '\'::2/128\' does not appear to be an IPv4 or IPv6 address');
      assert.match(parseError(`[instances]\nagent = myhost:2151\n\n${NODE}`).reason, /'myhost' does not appear/);
    });

    it('rejects ports that are not numbers in 1..65535', () => {
      for (const port of ['abc', '0', '65536', '0x10']) {
        const err = parseError(`[instances]\nagent = 10.0.0.1:${port}\n\n${NODE}`);
        assert.equal(err.key, 'agent');
        assert.match(err.reason, new RegExp(`invalid port "${port}" for instance "agent"`));
      }
    });
  });

  describe('node sections', () => {
    it('reads every key', () => {
      const { cfg, warnings } = parse(INSTANCES +
        '[worker-01]\ninstance = agent\nrole = worker\nport = 5001\nmetrics_port = 6001\n' +
        'scripts = site/b.zeek "dir with space/a.zeek" c.zeek\nenv = FOO=BAR MSG="hello world" EQ=a=b\ninterface = eth0\ncpu_affinity = 4\n');
      assert.deepEqual(cfg.nodes, [node({
        name: 'worker-01', instance: 'agent', role: 'WORKER', port: 5001, metrics_port: 6001,
        scripts: ['c.zeek', 'dir with space/a.zeek', 'site/b.zeek'],
        env: { FOO: 'BAR', MSG: 'hello world', EQ: 'a=b' }, interface: 'eth0', cpu_affinity: 4,
      })]);
      assert.deepEqual(warnings, []);
    });

    it('accepts roles in any case and qualified, and "none"', () => {
      const roles = ['manager', 'Logger', 'PROXY', 'Supervisor::worker', 'ClusterRole.WORKER', 'none'];
      const text = INSTANCES + roles.map((r, i) => `[n${i}]\ninstance = agent\nrole = ${r}\n`).join('\n');
      assert.deepEqual(parse(text).cfg.nodes.map((n) => n.role), ['MANAGER', 'LOGGER', 'PROXY', 'WORKER', 'WORKER', 'NONE']);
    });

    it('takes the role from the legacy "type" key, and warns about it as zeek-client does', () => {
      const { cfg, warnings } = parse(`${INSTANCES}[w]\ninstance = agent\ntype = worker\n`);
      assert.equal(cfg.nodes[0].role, 'WORKER');
      assert.deepEqual(warnings.map((w) => w.message), ['ignoring unexpected keys: type']);
    });

    it('prefers "role" over "type", even when the role is empty', () => {
      assert.equal(parse(`${INSTANCES}[w]\ninstance = agent\nrole = proxy\ntype = worker\n`).cfg.nodes[0].role, 'PROXY');
      const err = parseError(`${INSTANCES}[w]\ninstance = agent\nrole =\ntype = worker\n`);
      assert.equal(err.reason, 'invalid node "w" configuration: node requires a role');
      assert.equal(err.key, 'role');
    });

    it('requires a valid role', () => {
      const missing = parseError(`${INSTANCES}[manager]\ninstance = agent\nport = 80\n`);
      assert.equal(missing.reason, 'invalid node "manager" configuration: node requires a role');
      assert.equal(missing.section, 'manager');
      assert.equal(missing.line, 4);
      const invalid = parseError(`${INSTANCES}[manager]\ninstance = agent\nport = 80\nrole = superintendent\n`);
      assert.equal(invalid.reason, 'invalid node "manager" configuration: role "superintendent" is invalid');
      assert.equal(invalid.key, 'role');
      assert.equal(invalid.line, 7);
    });

    it('reads ports as Python\'s int() does and checks their range', () => {
      assert.equal(parse(`${INSTANCES}[m]\ninstance = agent\nrole = manager\nport = 1_000\n`).cfg.nodes[0].port, 1000);
      const word = parseError(`${INSTANCES}[manager]\ninstance = agent\nport = eighty\nrole = manager\n`);
      assert.equal(word.reason, 'invalid node "manager" configuration: cannot convert "manager.port" value "eighty" to int');
      assert.equal(word.key, 'port');
      assert.equal(word.line, 6);
      for (const p of ['0', '70000', '-1']) {
        const err = parseError(`${INSTANCES}[manager]\ninstance = agent\nport = ${p}\nrole = manager\n`);
        assert.equal(err.reason, `invalid node "manager" configuration: port ${p} outside valid range`);
      }
      const metrics = parseError(`${INSTANCES}[manager]\ninstance = agent\nrole = manager\nmetrics_port = 65536\n`);
      assert.equal(metrics.reason, 'invalid node "manager" configuration: metrics port 65536 outside valid range');
      assert.equal(metrics.key, 'metrics_port');
    });

    it('checks cpu_affinity is an integer', () => {
      assert.equal(parse(`${INSTANCES}[w]\ninstance = agent\nrole = worker\ncpu_affinity = -3\n`).cfg.nodes[0].cpu_affinity, -3);
      const err = parseError(`${INSTANCES}[w]\ninstance = agent\nrole = worker\ncpu_affinity = 1.5\n`);
      assert.equal(err.reason, 'invalid node "w" configuration: cannot convert "w.cpu_affinity" value "1.5" to int');
      assert.equal(err.key, 'cpu_affinity');
    });

    it('splits scripts like a shell and sorts them', () => {
      const { cfg } = parse(`${INSTANCES}[w]\ninstance = agent\nrole = worker\nscripts = z.zeek 'b c.zeek' a\\ d.zeek\n`);
      assert.deepEqual(cfg.nodes[0].scripts, ['a d.zeek', 'b c.zeek', 'z.zeek']);
      const err = parseError(`${INSTANCES}[w]\ninstance = agent\nrole = worker\nscripts = "a.zeek\n`);
      assert.equal(err.reason, 'invalid node "w" configuration: No closing quotation');
      assert.equal(err.key, 'scripts');
    });

    it('reads env as KEY=VAL pairs and rejects other items', () => {
      const { cfg } = parse(`${INSTANCES}[w]\ninstance = agent\nrole = worker\nenv = A=1 B="two words" C='x=y' A=3 E=\n`);
      assert.deepEqual(cfg.nodes[0].env, { A: '3', B: 'two words', C: 'x=y', E: '' });
      for (const env of ['NOEQUALS', 'A=1 "B=2']) {
        const err = parseError(`${INSTANCES}[w]\ninstance = agent\nrole = worker\nenv = ${env}\n`);
        assert.equal(err.reason, `invalid node "w" configuration: env value "${env}" is invalid`);
        assert.equal(err.key, 'env');
      }
    });

    it('keeps an env variable named __proto__ as a plain key', () => {
      const env = parse(`${INSTANCES}[w]\ninstance = agent\nrole = worker\nenv = __proto__=x\n`).cfg.nodes[0].env;
      assert.deepEqual(Object.entries(env), [['__proto__', 'x']]);
      assert.equal(Object.getPrototypeOf(env), Object.prototype);
    });

    it('warns about and ignores unexpected keys, and an explicit state', () => {
      const { cfg, warnings } = parse(`${INSTANCES}[manager]\ninstance = agent\nport = 5000\nrole = manager\nnot_a_key = mhmmm\nalso_not_a_key = uh oh\nstate = STOPPED\n`);
      assert.equal(cfg.nodes[0].state, 'RUNNING');
      assert.deepEqual(warnings.map((w) => w.message), [
        'ignoring node "manager" state "STOPPED" in configuration',
        'ignoring unexpected keys: also_not_a_key, not_a_key, state',
      ]);
      assert.equal(warnings[0].section, 'manager');
      assert.equal(warnings[0].key, 'state');
      assert.equal(warnings[0].line, 10);
    });

    it('treats a value-less key as absent (zeek-client\'s "needs a value" check never fires), with a warning', () => {
      const { cfg, warnings } = parse(`${INSTANCES}[manager]\ninstance = agent\nrole = manager\nport\n`);
      assert.equal(cfg.nodes[0].port, null);
      assert.deepEqual(warnings.map((w) => [w.key, w.message]), [['port', 'ignoring value-less key "port"']]);
    });

    it('applies [DEFAULT] keys to every node', () => {
      const { cfg } = parse('[DEFAULT]\nrole = worker\ninstance = agent\n\n[w1]\ninterface = eth0\n[w2]\ninterface = eth1\n[m]\nrole = manager\n');
      assert.deepEqual(cfg.nodes.map((n) => [n.name, n.role, n.instance]), [['w1', 'WORKER', 'agent'], ['w2', 'WORKER', 'agent'], ['m', 'MANAGER', 'agent']]);
      assert.deepEqual(cfg.instances, [{ name: 'agent', host: '0.0.0.0', listen_port: null }]);
    });

    it('rejects a node section given twice (configparser\'s strict mode)', () => {
      const err = parseError(`${INSTANCES}${NODE}\n${NODE}`);
      assert.equal(err.section, 'manager');
      assert.equal(err.line, 8);
    });

    it('reports problems in file order, the first one only', () => {
      const err = parseError(`${INSTANCES}[a]\ninstance = agent\nrole = bogus\n[b]\ninstance = agent\nport = x\n`);
      assert.equal(err.section, 'a');
    });
  });

  describe('simplifications', () => {
    it('synthesizes [instances] from node instance names when the section is missing', () => {
      const { cfg } = parse('[manager]\ninstance = agent\nrole = manager\n\n[logger]\ninstance = agent2\nrole = logger\n\n[worker]\ninstance = agent\nrole = worker\n');
      assert.deepEqual(cfg.instances, [
        { name: 'agent', host: '0.0.0.0', listen_port: null },
        { name: 'agent2', host: '0.0.0.0', listen_port: null },
      ]);
      assert.deepEqual(cfg.nodes.map((n) => n.name), ['manager', 'logger', 'worker']);
    });

    it('requires all or no nodes to name an instance', () => {
      const err = parseError('[manager]\nrole = manager\n\n[worker]\nrole = worker\ninstance = agent1\n');
      assert.match(err.reason, /^either all or no nodes must state instances/);
      assert.equal(err.section, 'manager');
      assert.equal(err.key, 'instance');
    });

    it('rejects an [instances] section when nodes name no instance', () => {
      const err = parseError('[instances]\nagent\n\n[manager]\nrole = manager\n');
      assert.equal(err.reason, 'omit instances section when skipping instances in node definitions');
      assert.equal(err.section, 'instances');
      assert.equal(err.line, 1);
    });

    it('counts an empty instance value as naming one, but runs the node on agent-<hostname>', () => {
      const { cfg } = parse('[manager]\ninstance =\nrole = manager\n[w]\ninstance = other\nrole = worker\n');
      assert.deepEqual(cfg.nodes.map((n) => n.instance), ['agent-testbox', 'other']);
    });
  });

  describe('configuration id', () => {
    it('is a fresh random UUID unless given', () => {
      const a = parseConfigurationIni(NODE);
      const b = parseConfigurationIni(NODE);
      assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(a.id, b.id);
      assert.equal(parseConfigurationIni(NODE, { id: 'mine' }).id, 'mine');
    });
  });
});
