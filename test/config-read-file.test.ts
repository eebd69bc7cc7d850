// Reading configuration files and standard input ("-"), in either format.

import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigFileError } from '../sdk/config/config-file-error';
import { configurationToIni } from '../sdk/config/configuration-to-ini';
import { configurationToJson } from '../sdk/config/configuration-to-json';
import { detectConfigurationFormat, readConfigurationFile } from '../sdk/config/read-configuration-file';
import { readManagementDoc, transcriptOutput } from './config-reference';

const OPTS = { hostname: 'testbox', id: 'cfg-id' };

async function rejection(p: Promise<unknown>): Promise<ConfigFileError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigFileError');
}

describe('config read-file: files and standard input', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zeek-mgmt-config-'));
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads an .ini file', async () => {
    const file = path.join(dir, 'cluster.cfg');
    await fs.writeFile(file, readManagementDoc('mini-config.ini'));
    const cfg = await readConfigurationFile(file, OPTS);
    assert.equal(configurationToIni(cfg), transcriptOutput('mini-deployment-get-config-staged.console').output + '\n');
  });

  it('reads a JSON file, whatever its name', async () => {
    const file = path.join(dir, 'cluster.cfg');
    await fs.writeFile(file, transcriptOutput('mini-deployment-get-config-staged-json.console').output);
    const cfg = await readConfigurationFile(file, OPTS);
    assert.equal(cfg.id, '5e90197a-f850-11ec-a77f-7c10c94416bb');
    assert.deepEqual(cfg.nodes.map((n) => n.name), ['logger', 'manager', 'worker-01', 'worker-02']);
  });

  it('tells the formats apart by the first non-blank character', () => {
    assert.equal(detectConfigurationFormat('\ufeff\n  {"nodes": []}'), 'json');
    assert.equal(detectConfigurationFormat('# {comment}\n[manager]\n'), 'ini');
  });

  it('honours a forced format', async () => {
    const file = path.join(dir, 'forced.json');
    await fs.writeFile(file, '{"nodes": []}');
    const err = await rejection(readConfigurationFile(file, { ...OPTS, format: 'ini' }));
    assert.match(err.message, /forced\.json, line 1: file contains no section header/);
  });

  it('reads "-" from the given stream', async () => {
    const file = path.join(dir, 'stdin.ini');
    await fs.writeFile(file, '[manager]\nrole = manager\n');
    const cfg = await readConfigurationFile('-', { ...OPTS, stdin: createReadStream(file) });
    assert.deepEqual(cfg.nodes.map((n) => [n.name, n.instance]), [['manager', 'agent-testbox']]);
  });

  it('names <stdin> in errors for "-"', async () => {
    const file = path.join(dir, 'bad.ini');
    await fs.writeFile(file, '[manager]\nrole = boss\n');
    const err = await rejection(readConfigurationFile('-', { ...OPTS, stdin: createReadStream(file) }));
    assert.equal(err.message, '<stdin>, line 2, section [manager], key "role": invalid node "manager" configuration: role "boss" is invalid');
  });

  it('reads standard input in a real process', async () => {
    const script = [
      "const c = require('./sdk/config');",
      "c.readConfigurationFile('-', { hostname: 'testbox', id: 'x' })",
      '  .then((cfg) => process.stdout.write(c.configurationToJson(cfg)))',
      '  .catch((e) => { console.error(e.message); process.exit(1); });',
    ].join('\n');
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: path.resolve(__dirname, '..'), stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdin.end(readManagementDoc('mini-config.ini'));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, err);
    const file = path.join(dir, 'child.ini');
    await fs.writeFile(file, readManagementDoc('mini-config.ini'));
    const expected = await readConfigurationFile(file, { hostname: 'testbox', id: 'x' });
    assert.equal(out, configurationToJson(expected));
  });

  it('rejects a missing file, a directory, and text that is not UTF-8', async () => {
    const missing = await rejection(readConfigurationFile(path.join(dir, 'nope.ini')));
    assert.equal(missing.reason, 'please provide a cluster configuration file. (no such file)');
    assert.equal(missing.fileName, path.join(dir, 'nope.ini'));
    const directory = await rejection(readConfigurationFile(dir));
    assert.match(directory.reason, /not a regular file/);
    const latin1 = path.join(dir, 'latin1.ini');
    await fs.writeFile(latin1, Buffer.from([0x5b, 0x6d, 0x5d, 0x0a, 0x72, 0x6f, 0x6c, 0x65, 0x3d, 0xe9, 0x0a]));
    assert.equal((await rejection(readConfigurationFile(latin1))).reason, 'file is not valid UTF-8 text');
  });
});
