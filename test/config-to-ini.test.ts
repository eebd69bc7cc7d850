// Configurations back to .ini text, as `zeek-client get-config` prints them.

import { strict as assert } from 'node:assert';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { configurationToIni } from '../sdk/config/configuration-to-ini';
import { Configuration, Node } from '../sdk/model/schemas';
import { readReference, referenceIniFiles, transcriptOutput } from './config-reference';

const OPTS = { fileName: 'cluster.cfg', hostname: 'testbox', id: 'cfg-id' };

function node(fields: Partial<Node> & Pick<Node, 'name' | 'instance' | 'role'>): Node {
  return {
    state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null,
    ...fields,
  };
}

function byName<T extends { name: string }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sameConfiguration(a: Configuration, b: Configuration): void {
  assert.deepEqual({ ...a, instances: byName(a.instances), nodes: byName(a.nodes) }, { ...b, instances: byName(b.instances), nodes: byName(b.nodes) });
}

// The .console transcripts in Zeek's docs lost the empty line configparser.write() puts
// after the last section (the docs repository strips trailing blank lines from files);
// zeek-client's real output, and ours, ends with it. Everything before is compared as is.
function expectedGetConfigOutput(transcript: string): string {
  const { command, output } = transcriptOutput(transcript);
  assert.match(command, /^zeek-client get-config/);
  assert.ok(output.endsWith('\n') && !output.endsWith('\n\n'));
  return output + '\n';
}

describe('config to-ini: rendering as zeek-client get-config does', () => {
  describe('the documentation transcripts', () => {
    it('reproduces mini-deployment-get-config-staged.console from mini-config.ini', () => {
      const cfg = parseConfigurationIni(readReference('zeek-docs/frameworks/management/mini-config.ini'), OPTS);
      assert.equal(configurationToIni(cfg), expectedGetConfigOutput('mini-deployment-get-config-staged.console'));
    });

    it('reproduces mini-deployment-get-config-deployed.console from the deployed configuration', () => {
      // The controller assigned Broker ports to the manager and logger when deploying.
      const cfg = parseConfigurationIni(readReference('zeek-docs/frameworks/management/mini-config.ini'), OPTS);
      const deployed: Configuration = {
        ...cfg,
        nodes: cfg.nodes.map((n) => ({ ...n, port: n.name === 'manager' ? 2200 : n.name === 'logger' ? 2201 : null })),
      };
      assert.equal(configurationToIni(deployed), expectedGetConfigOutput('mini-deployment-get-config-deployed.console'));
    });

    it('reads its own get-config output back unchanged', () => {
      for (const transcript of ['mini-deployment-get-config-staged.console', 'mini-deployment-get-config-deployed.console']) {
        const text = expectedGetConfigOutput(transcript);
        assert.equal(configurationToIni(parseConfigurationIni(text, OPTS)), text, transcript);
      }
    });
  });

  describe('round trips', () => {
    for (const file of referenceIniFiles()) {
      it(`round-trips shared/reference/${file}`, () => {
        const first = parseConfigurationIni(readReference(file), OPTS);
        const text = configurationToIni(first);
        const second = parseConfigurationIni(text, OPTS);
        sameConfiguration(second, first);
        assert.equal(configurationToIni(second), text);
      });
    }

    it('round-trips every field, quoting included', () => {
      const cfg: Configuration = {
        id: 'cfg-id',
        instances: [
          { name: 'agent-b', host: '10.0.0.2', listen_port: 2151 },
          { name: 'agent-a', host: '0.0.0.0', listen_port: null },
          { name: 'agent-c', host: '2001:db8::1', listen_port: 2152 },
        ],
        nodes: [
          node({
            name: 'worker-1', instance: 'agent-b', role: 'WORKER', interface: 'eth0', cpu_affinity: 3, metrics_port: 9101,
            scripts: ['site/local.zeek', 'dir with space/x.zeek'], env: { ZEEK_DEBUG: '1', MSG: 'hello  world', EQ: 'a=b' },
          }),
          node({ name: 'manager', instance: 'agent-a', role: 'MANAGER', port: 2200, metrics_port: 9100 }),
          node({ name: 'proxy', instance: 'agent-c', role: 'PROXY', env: { PCT: '100% sure' }, interface: 'multi\nline' }),
        ],
      };
      const text = configurationToIni(cfg);
      assert.equal(text, [
        '[instances]',
        'agent-a',
        'agent-b = 10.0.0.2:2151',
        'agent-c = 2001:db8::1:2152',
        '',
        '[manager]',
        'instance = agent-a',
        'role = MANAGER',
        'port = 2200',
        'metrics_port = 9100',
        '',
        '[proxy]',
        'instance = agent-c',
        'role = PROXY',
        'interface = multi',
        '\tline',
        'env = PCT="100%% sure"',
        '',
        '[worker-1]',
        'instance = agent-b',
        'role = WORKER',
        'scripts = "dir with space/x.zeek" site/local.zeek',
        'interface = eth0',
        'cpu_affinity = 3',
        'env = EQ=a=b MSG="hello  world" ZEEK_DEBUG=1',
        'metrics_port = 9101',
        '',
        '',
      ].join('\n'));
      const back = parseConfigurationIni(text, OPTS);
      sameConfiguration(back, { ...cfg, nodes: cfg.nodes.map((n) => ({ ...n, scripts: n.scripts && [...n.scripts].sort() })) });
    });
  });

  describe('zeek-client\'s layout rules', () => {
    const base: Configuration = { id: 'x', instances: [], nodes: [] };

    it('omits [instances] when there are none, and unset or empty fields', () => {
      const text = configurationToIni({ ...base, nodes: [node({ name: 'w', instance: 'a', role: 'WORKER', scripts: [], env: {}, state: 'STOPPED' })] });
      assert.equal(text, '[w]\ninstance = a\nrole = WORKER\n\n');
    });

    it('writes an instance with a host but no port as a bare key', () => {
      const text = configurationToIni({ ...base, instances: [{ name: 'a', host: '10.0.0.1', listen_port: null }] });
      assert.equal(text, '[instances]\na\n\n');
    });

    it('lowercases instance names, as configparser does with keys', () => {
      const text = configurationToIni({ ...base, instances: [{ name: 'Agent-Box', host: '0.0.0.0', listen_port: null }] });
      assert.equal(text, '[instances]\nagent-box\n\n');
    });

    it('sorts sections and scripts by code point, as Python sorts strings', () => {
      const names = ['\u{1F600}', '\uFFFF', 'b', 'B', 'a'];
      const text = configurationToIni({
        ...base,
        nodes: names.map((n) => node({ name: n, instance: 'x', role: 'WORKER', scripts: names })),
      });
      const sections = text.split('\n').filter((l) => l.startsWith('['));
      assert.deepEqual(sections, ['[B]', '[a]', '[b]', '[\uFFFF]', '[\u{1F600}]']);
      assert.ok(text.includes('scripts = B a b \uFFFF \u{1F600}\n'));
    });

    it('quotes values that contain any Python whitespace, and nothing else', () => {
      const text = configurationToIni({ ...base, nodes: [node({ name: 'w', instance: 'x', role: 'WORKER', env: { A: 'x\u00a0y', B: 'x"y', C: ' lead' } })] });
      assert.ok(text.includes('env = A="x\u00a0y" B=x"y C= lead\n'), text);
    });

    it('lets a later node of the same name replace an earlier one', () => {
      const text = configurationToIni({ ...base, nodes: [node({ name: 'w', instance: 'x', role: 'WORKER' }), node({ name: 'w', instance: 'y', role: 'PROXY' })] });
      assert.equal(text, '[w]\ninstance = y\nrole = PROXY\n\n');
    });

    it('refuses node names that cannot be .ini sections', () => {
      for (const name of ['instances', 'DEFAULT']) {
        assert.throws(() => configurationToIni({ ...base, nodes: [node({ name, instance: 'x', role: 'WORKER' })] }), new RegExp(`node "${name}"`));
      }
    });
  });
});
