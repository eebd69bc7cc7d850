// Configurations as `zeek-client get-config --as-json` prints them, and that JSON read
// back (our CLI and provider accept it besides .ini).

import { strict as assert } from 'node:assert';
import { ConfigFileError } from '../sdk/config/config-file-error';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { parseConfigurationJson } from '../sdk/config/configuration-from-json';
import { configurationToJson } from '../sdk/config/configuration-to-json';
import { Configuration, Node } from '../sdk/model/schemas';
import { readManagementDoc, transcriptOutput } from './config-reference';

const DOC_ID = '5e90197a-f850-11ec-a77f-7c10c94416bb';
const OPTS = { fileName: 'cluster.json', hostname: 'testbox' };

function node(fields: Partial<Node> & Pick<Node, 'name' | 'instance' | 'role'>): Node {
  return {
    state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null,
    ...fields,
  };
}

function jsonError(text: string): ConfigFileError {
  try {
    parseConfigurationJson(text, OPTS);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigFileError');
}

/**
 * mini-deployment-get-config-staged-json.console was recorded before zeek-client added
 * metrics_port to Node.to_json_data(); current zeek-client prints "metrics_port": null
 * between "interface" and "name" (sorted keys). We add exactly those lines and compare
 * everything else byte for byte.
 */
function stagedJsonTranscriptWithMetricsPort(): string {
  const { command, output } = transcriptOutput('mini-deployment-get-config-staged-json.console');
  assert.equal(command, 'zeek-client get-config --as-json');
  assert.ok(!output.includes('metrics_port'));
  let added = 0;
  const withField = output.replace(/^( {6})"interface": .*,\n/gm, (line: string, indent: string) => {
    added++;
    return `${line}${indent}"metrics_port": null,\n`;
  });
  assert.equal(added, 4, 'one metrics_port per node');
  return withField;
}

describe('config json: get-config --as-json output and JSON input', () => {
  describe('rendering', () => {
    it('reproduces mini-deployment-get-config-staged-json.console (plus metrics_port) from mini-config.ini', () => {
      const cfg = parseConfigurationIni(readManagementDoc('mini-config.ini'), { ...OPTS, id: DOC_ID });
      assert.equal(configurationToJson(cfg), stagedJsonTranscriptWithMetricsPort());
    });

    it('prints instances as zeek-client does: name only, name and host, or name, host and port', () => {
      const cfg: Configuration = {
        id: 'x',
        instances: [
          { name: 'c', host: '10.0.0.3', listen_port: 2151 },
          { name: 'b', host: '10.0.0.2', listen_port: null },
          { name: 'a', host: '0.0.0.0', listen_port: null },
        ],
        nodes: [],
      };
      assert.equal(configurationToJson(cfg, { pretty: false }),
        '{"id": "x", "instances": [{"name": "a"}, {"host": "10.0.0.2", "name": "b"}, {"host": "10.0.0.3", "name": "c", "port": 2151}], "nodes": []}\n');
    });

    it('prints every node field but the state, sorted, non-ASCII escaped', () => {
      const cfg: Configuration = {
        id: 'x', instances: [],
        nodes: [node({
          name: 'wörker', instance: 'a', role: 'WORKER', state: 'STOPPED', port: 1, scripts: ['b', 'a'], interface: 'eth0',
          cpu_affinity: 2, env: { Z: '1', A: 'é' }, metrics_port: 3, options: [{ name: 'Log::default_rotation_interval', value: '1hr' }],
        })],
      };
      assert.equal(configurationToJson(cfg), [
        '{',
        '  "id": "x",',
        '  "instances": [],',
        '  "nodes": [',
        '    {',
        '      "cpu_affinity": 2,',
        '      "env": {',
        '        "A": "\\u00e9",',
        '        "Z": "1"',
        '      },',
        '      "instance": "a",',
        '      "interface": "eth0",',
        '      "metrics_port": 3,',
        '      "name": "w\\u00f6rker",',
        '      "options": [',
        '        {',
        '          "name": "Log::default_rotation_interval",',
        '          "value": "1hr"',
        '        }',
        '      ],',
        '      "port": 1,',
        '      "role": "WORKER",',
        '      "scripts": [',
        '        "b",',
        '        "a"',
        '      ]',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'));
    });
  });

  describe('parsing', () => {
    it('reads the transcript\'s JSON into the same configuration as the .ini', () => {
      const fromIni = parseConfigurationIni(readManagementDoc('mini-config.ini'), { ...OPTS, id: DOC_ID });
      const fromJson = parseConfigurationJson(transcriptOutput('mini-deployment-get-config-staged-json.console').output, OPTS);
      const sorted = { ...fromIni, nodes: [...fromIni.nodes].sort((a, b) => a.name.localeCompare(b.name)) };
      assert.deepEqual(fromJson, sorted);
    });

    it('round-trips every field through JSON text', () => {
      const cfg: Configuration = {
        id: 'round',
        instances: [
          { name: 'a', host: '0.0.0.0', listen_port: null },
          { name: 'b', host: '10.0.0.2', listen_port: null },
          { name: 'c', host: '::1', listen_port: 2151 },
        ],
        nodes: [
          node({ name: 'm', instance: 'a', role: 'MANAGER', port: 2200, metrics_port: 9000, scripts: ['x y.zeek'], env: { K: 'v w' } }),
          node({ name: 'w', instance: 'c', role: 'WORKER', interface: 'eth0', cpu_affinity: 0, options: [{ name: 'n', value: 'v' }] }),
        ],
      };
      const text = configurationToJson(cfg);
      assert.deepEqual(parseConfigurationJson(text, OPTS), cfg);
      assert.equal(configurationToJson(parseConfigurationJson(text, OPTS)), text);
    });

    it('fills in what a hand-written file leaves out', () => {
      const cfg = parseConfigurationJson('{"nodes": [{"name": "m", "role": "MANAGER"}, {"name": "w", "role": "WORKER", "interface": "lo"}]}', OPTS);
      assert.match(cfg.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(cfg.instances, [{ name: 'agent-testbox', host: '0.0.0.0', listen_port: null }]);
      assert.deepEqual(cfg.nodes, [
        node({ name: 'm', instance: 'agent-testbox', role: 'MANAGER' }),
        node({ name: 'w', instance: 'agent-testbox', role: 'WORKER', interface: 'lo' }),
      ]);
      const implied = parseConfigurationJson('{"nodes": [{"name": "m", "instance": "b", "role": "MANAGER"}, {"name": "w", "instance": "a", "role": "WORKER"}]}', { ...OPTS, id: 'given' });
      assert.equal(implied.id, 'given');
      assert.deepEqual(implied.instances.map((i) => i.name), ['a', 'b']);
      assert.equal(parseConfigurationJson('{"id": "file-id"}', { ...OPTS, id: 'given' }).id, 'file-id');
    });

    it('takes the file name alone as second argument', () => {
      assert.throws(() => parseConfigurationJson('{"nodes": 1}', 'my.json'), /^ConfigFileError: my\.json, field nodes: /);
    });

    it('keeps an env variable named __proto__ as a plain key', () => {
      const cfg = parseConfigurationJson('{"nodes": [{"name": "w", "role": "WORKER", "env": {"__proto__": "x"}}]}', OPTS);
      assert.deepEqual(Object.keys(cfg.nodes[0].env), ['__proto__']);
      assert.equal(Object.getPrototypeOf(cfg.nodes[0].env), Object.prototype);
    });
  });

  describe('parse errors name the file and the field', () => {
    it('reports malformed JSON with its line', () => {
      const err = jsonError('{\n  "id": "x",\n  "nodes": [,]\n}');
      assert.equal(err.fileName, 'cluster.json');
      assert.equal(err.line, 3);
      assert.equal(err.message, 'cluster.json, line 3: invalid JSON: Array item expected but got \',\' (column 13)');
    });

    it('reports wrong types, bad values and unknown fields by path', () => {
      const cases: [string, string, RegExp][] = [
        ['{"nodes": [{"name": "m", "role": "MANAGER"}, {"name": "w", "role": "WORKER", "port": "80"}]}', 'nodes[1].port', /expected number/],
        ['{"nodes": [{"name": "w", "role": "worker"}]}', 'nodes[0].role', /expected one of "NONE"\|"LOGGER"\|"MANAGER"\|"PROXY"\|"WORKER"/],
        ['{"nodes": [{"name": "w", "role": "WORKER", "metrics_port": 70000}]}', 'nodes[0].metrics_port', /<=65535/],
        ['{"nodes": [{"name": "w", "role": "WORKER", "state": "RUNNING"}]}', 'nodes[0]', /Unrecognized key: "state"/],
        ['{"instances": [{"name": "a", "host": "myhost"}], "nodes": []}', 'instances[0].host', /must be an IPv4 or IPv6 address/],
        ['{"instances": [{"name": "a", "listen_port": 1}]}', 'instances[0]', /Unrecognized key: "listen_port"/],
        ['{"nodes": [{"name": "w", "role": "WORKER", "env": {"A B": 1}}]}', 'nodes[0].env["A B"]', /expected string/],
        ['[]', '(top level)', /expected object/],
      ];
      for (const [text, path, reason] of cases) {
        const err = jsonError(text);
        assert.equal(err.path, path, text);
        assert.match(err.reason, reason, text);
        assert.ok(err.message.startsWith(`cluster.json, field ${path}: `), err.message);
      }
    });

    it('lists every problem, the first one as the location', () => {
      const err = jsonError('{"nodes": [{"name": "w"}, {"name": "x", "role": "WORKER", "port": 0}]}');
      assert.equal(err.path, 'nodes[0].role');
      assert.match(err.reason, /; also nodes\[1\]\.port: /);
    });

    it('rejects duplicate node and instance names', () => {
      assert.equal(jsonError('{"nodes": [{"name": "w", "role": "WORKER"}, {"name": "w", "role": "PROXY"}]}').path, 'nodes[1].name');
      assert.equal(jsonError('{"instances": [{"name": "a"}, {"name": "a"}], "nodes": []}').path, 'instances[1].name');
    });

    it('applies the all-or-none instance rule and rejects instances with instance-free nodes', () => {
      const mixed = jsonError('{"nodes": [{"name": "m", "role": "MANAGER", "instance": "a"}, {"name": "w", "role": "WORKER"}]}');
      assert.equal(mixed.path, 'nodes[1].instance');
      assert.match(mixed.reason, /either all or no nodes must state instances/);
      assert.equal(jsonError('{"instances": [{"name": "a"}], "nodes": [{"name": "w", "role": "WORKER"}]}').path, 'instances');
    });
  });
});
