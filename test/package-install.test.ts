// The package as a Pulumi user gets it: `npm pack` of this checkout, installed with
// `npm install` from the npm registry (@pulumi/pulumi, @types/node and the package's own
// dependencies) into a fresh Pulumi project in a temporary directory, next to Pulumi.yaml, a
// TypeScript program that imports `zeek-mgmt/pulumi`, and Pulumi's template tsconfig.
//
// There is no `pulumi` CLI on these machines, so the engine's two sides are played as in
// test/provider-grpc.test.ts, but entirely from the installed copy:
//   - the program (compiled by the TypeScript compiler with the project's strict tsconfig,
//     as Pulumi's ts-node would type-check it) runs under the project's @pulumi/pulumi with
//     setMocks, which records what RegisterResource would send the engine: the inputs and
//     the serialized provider (`__provider`) the installed package produced;
//   - the project's own dynamic-provider plugin (node_modules/@pulumi/pulumi/cmd/dynamic-provider,
//     what the engine starts, in the project directory) gets those over gRPC: check,
//     create, diff, update, read (refresh), delete, against a live `zeek-mgmt run`.
// Then the project directory is moved elsewhere (a CI workspace after the one that wrote
// the state), and the state written before the move is read, diffed, updated and deleted
// from there.
//
// Needs the npm registry (or npm's cache) and a built dist/ (npm test builds); skipped with
// a one-line reason when the registry cannot be reached.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DIFF_CHANGES as DIFF, DynamicProviderPlugin, Props } from '../provider/plugin-client';
import { LocalCluster as LiveCluster, startLocalCluster } from '../provider/local-cluster';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const URN = 'urn:pulumi:ci::zeek-sensors::pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster::sensors';
/** The versions this checkout is tested with (in npm's cache after `npm ci`), rather than whatever is newest today. */
const PULUMI_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/@pulumi/pulumi/package.json'), 'utf8')) as { version: string }).version;
const TYPES_NODE_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;

const PULUMI_YAML = `name: zeek-sensors
description: The Zeek cluster of an infrastructure repository
runtime:
  name: nodejs
  options:
    typescript: true
`;

// What a user writes: the worker count comes from the stack configuration, the controller too.
const PROGRAM = `import * as pulumi from '@pulumi/pulumi';
import { ZeekCluster, ZeekClusterNodeArgs } from 'zeek-mgmt/pulumi';

const workers = new pulumi.Config().getNumber('workers') ?? 2;
const nodes: Record<string, ZeekClusterNodeArgs> = {
  manager: { role: 'manager' },
  logger: { role: 'logger' },
};
for (let i = 1; i <= workers; i++) nodes[\`worker-\${i}\`] = { role: 'worker', interface: 'lo' };

const cluster = new ZeekCluster('sensors', { nodes });
export const deployedNodes = cluster.deployed.apply((d) => Object.keys(d.nodes));
`;

// The SDK entry point, typed, next to the program (a script of the same repository).
const SDK_USE = `import { ControllerClient, Configuration, configurationOf } from 'zeek-mgmt';

export async function deployedNodeNames(host: string, port: number): Promise<string[]> {
  const client = await ControllerClient.connect({ host, port });
  try {
    const r = await client.getConfiguration(true);
    const config: Configuration | null = r.success ? configurationOf(r) : null;
    return config === null ? [] : config.nodes.map((n) => n.name).sort();
  } finally {
    await client.close();
  }
}
`;

// Pulumi's TypeScript template's compiler options.
const TSCONFIG = {
  compilerOptions: {
    strict: true, outDir: 'bin', target: 'es2020', module: 'commonjs', moduleResolution: 'node', sourceMap: true,
    experimentalDecorators: true, pretty: true, noFallthroughCasesInSwitch: true, noImplicitReturns: true, forceConsistentCasingInFileNames: true,
  },
  files: ['index.ts'],
};

// Runs the compiled program the way the language host would, with the engine's monitor
// replaced by mocks (as a preview: outputs stay unknown); prints the resources it
// registered, as the engine receives them. RegisterResource carries the same inputs in a
// preview and in an update.
const MOCK_RUN = `const pulumi = require('@pulumi/pulumi');
pulumi.runtime.setAllConfig(JSON.parse(process.argv[2]));
const registered = [];
Promise.resolve(pulumi.runtime.setMocks({
  newResource(args) { registered.push({ type: args.type, name: args.name, inputs: args.inputs }); return { id: args.name + '-id', state: args.inputs }; },
  call(args) { return args.inputs; },
}, 'zeek-sensors', 'ci', true)).then(() => {
  require('./bin/index.js');
  process.once('beforeExit', () => process.stdout.write(JSON.stringify(registered)));
});
`;

/** An npm failure that says the registry could not be reached. */
function unreachable(text: string): boolean {
  return /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network request .* failed|request to .* failed/i.test(text);
}

describe('the packed package in a fresh Pulumi project', function () {
  this.timeout(120000);
  let tmp: string;
  let tarball: string;
  let packed: Array<{ path: string }>;
  let project: string;
  let cluster: LiveCluster | undefined;
  const plugins: DynamicProviderPlugin[] = [];

  before(async function () {
    if (!fs.existsSync(path.join(REPO, 'dist/provider/index.js'))) throw new Error('dist/ is not built: run "npm run build" first (npm test does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-pkg-'));
    const pack = await run(NPM, ['pack', '--json', '--pack-destination', tmp], { cwd: REPO, timeout: 60000, maxBuffer: 16 << 20 });
    const info = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0];
    tarball = path.join(tmp, info.filename);
    packed = info.files;

    project = path.join(tmp, 'infra', 'zeek');
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'zeek-sensors', private: true, main: 'index.ts' }, null, 2)}\n`);
    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), PULUMI_YAML);
    fs.writeFileSync(path.join(project, 'index.ts'), PROGRAM);
    fs.writeFileSync(path.join(project, 'sdk-use.ts'), SDK_USE);
    fs.writeFileSync(path.join(project, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    fs.writeFileSync(path.join(project, 'mock-run.js'), MOCK_RUN);
    try {
      await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
        `@pulumi/pulumi@${PULUMI_VERSION}`, `@types/node@${TYPES_NODE_VERSION}`, tarball], { cwd: project, timeout: 90000, maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      const text = `${e.message}\n${e.stderr ?? ''}`;
      if (unreachable(text)) {
        console.log(`      (the npm registry is unreachable, so the tarball cannot be installed: ${text.split('\n').find((l) => unreachable(l))?.trim()})`);
        this.skip();
      }
      throw err;
    }
    // The controller's host: `zeek-mgmt run` (Supervisor, controller, agent, emulated nodes
    // from their start-up snapshot) from an installed copy too, the package and its runtime
    // dependencies in a node_modules of their own (the project directory moves below).
    const host = path.join(tmp, 'controller-host');
    for (const dep of ['zeek-mgmt', 'ws', 'lossless-json', 'zod']) {
      fs.cpSync(path.join(project, 'node_modules', dep), path.join(host, 'node_modules', dep), { recursive: true });
    }
    cluster = await startLocalCluster({ runMain: path.join(host, 'node_modules/zeek-mgmt/dist/framework/run.js') });
  });

  after(async () => {
    for (const p of plugins) await p.stop();
    await cluster?.stop();
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function startPlugin(dir: string): Promise<DynamicProviderPlugin> {
    const p = await DynamicProviderPlugin.start(dir, 15000, path.join(dir, 'node_modules/@pulumi/pulumi/cmd/dynamic-provider'));
    plugins.push(p);
    await p.configure({ 'zeek-mgmt:controller': `${cluster!.host}:${cluster!.port}` });
    return p;
  }

  async function stopPlugin(p: DynamicProviderPlugin): Promise<void> {
    await p.stop();
    plugins.splice(plugins.indexOf(p), 1);
  }

  /** The program's ZeekCluster inputs (with `__provider`), as RegisterResource sends them, from a run in `dir`. */
  async function programInputs(dir: string, workers: number): Promise<Props> {
    const config = { 'zeek-mgmt:controller': `${cluster!.host}:${cluster!.port}`, 'zeek-sensors:workers': String(workers) };
    const { stdout } = await run(process.execPath, ['mock-run.js', JSON.stringify(config)], { cwd: dir, timeout: 30000, maxBuffer: 16 << 20 });
    const registered = JSON.parse(stdout) as Array<{ type: string; name: string; inputs: Props }>;
    const mine = registered.filter((r) => r.type === 'pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster');
    assert.equal(mine.length, 1, stdout);
    assert.equal(typeof mine[0].inputs.__provider, 'string', 'RegisterResource carries the serialized provider');
    return mine[0].inputs;
  }

  it('the tarball holds the compiled runtime, its types, the schema, README and LICENSE, and nothing else', () => {
    const files = packed.map((f) => f.path);
    // README's Pulumi section sends the reader to provider/README.md: it ships too.
    for (const f of ['package.json', 'README.md', 'provider/README.md', 'LICENSE', 'schema/cluster-configuration.schema.json', 'dist/sdk/index.js', 'dist/sdk/index.d.ts',
      'dist/provider/index.js', 'dist/provider/index.d.ts', 'dist/provider/dynamic-provider.js', 'dist/cli/main.js', 'dist/framework/run.js',
      'dist/framework/node/emulated/snapshot-entry.js', 'dist/framework/supervisor/parent-watch.js']) {
      assert.ok(files.includes(f), `${f} is missing from the tarball`);
    }
    const unwanted = files.filter((f) => !/^(package\.json|README\.md|provider\/README\.md|LICENSE|schema\/[^/]+\.json|dist\/.+\.(js|d\.ts))$/.test(f)
      || f.startsWith('dist/bench/') || f.includes('.test.') || f.startsWith('dist/test/'));
    assert.deepEqual(unwanted, []);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { private?: boolean; bin: Record<string, string> };
    assert.equal(pkg.private, undefined, 'publishable');
    for (const bin of Object.values(pkg.bin)) assert.ok(files.includes(bin.replace(/^\.\//, '')), `the CLI ${bin} is in the tarball`);
  });

  it('type-checks the program under Pulumi\'s template tsconfig (strict), and the SDK too, with node10 and node16 module resolution', function () {
    this.timeout(60000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('typescript') as typeof import('typescript');
    const problems = (files: string[], options: import('typescript').CompilerOptions, emit: boolean): string[] => {
      const parsed = ts.parseJsonConfigFileContent({ ...TSCONFIG, files }, ts.sys, project, options);
      const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: !emit });
      const out = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      if (emit && out.length === 0) program.emit();
      return out;
    };
    // The program with Pulumi's template as it is (moduleResolution node: typesVersions; no
    // esModuleInterop, no skipLibCheck), compiled to bin/ for the next test.
    assert.deepEqual(problems(['index.ts'], {}, true), []);
    assert.ok(fs.existsSync(path.join(project, 'bin/index.js')));
    // The SDK's declarations include zod's, which need esModuleInterop (or skipLibCheck).
    assert.deepEqual(problems(['sdk-use.ts'], { esModuleInterop: true }, true), []);
    // Node 16+ resolution (package.json exports with types conditions; esModuleInterop is
    // implied). The declarations themselves were checked above: skipLibCheck saves the time.
    assert.deepEqual(problems(['index.ts', 'sdk-use.ts'], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, skipLibCheck: true }, false), []);
  });

  it('runs the program\'s ZeekCluster through the project\'s dynamic-provider plugin: create, diff, update, refresh, delete, also after the project directory moved', async function () {
    assert.ok(fs.existsSync(path.join(project, 'bin/index.js')), 'the program was compiled by the previous test');
    const id = `${cluster!.host}:${cluster!.port}`;
    const installed = path.join(project, 'node_modules/zeek-mgmt');
    assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'installed from the tarball, not linked');
    // The SDK entry point loads from the installed copy too.
    const sdk = await run(process.execPath, ['-e', "const m = require('zeek-mgmt'); const p = require('zeek-mgmt/pulumi'); process.stdout.write([typeof m.ControllerClient, typeof p.ZeekCluster, require.resolve('zeek-mgmt/pulumi')].join(' '))"], { cwd: project });
    assert.equal(sdk.stdout, `function function ${path.join(fs.realpathSync(installed), 'dist/provider/index.js')}`);
    // The installed CLI talks to the controller.
    const cli = await run(path.join(project, 'node_modules/.bin/zeek-mgmt'), ['--controller', id, 'get-instances'], { cwd: project, timeout: 20000 });
    assert.match(cli.stdout, new RegExp(`"${cluster!.agentName}"`));

    // pulumi up, first run: the program registers the cluster, the engine calls check, then create.
    let plugin = await startPlugin(project);
    const two = await programInputs(project, 2);
    assert.ok(!String(two.__provider).includes(tmp), 'the serialized provider holds no absolute path of the project');
    const first = await plugin.check(URN, {}, two);
    assert.deepEqual(first.failures, []);
    assert.deepEqual(first.inputs.controller, { host: cluster!.host, port: cluster!.port });
    const created = await plugin.create(URN, first.inputs);
    assert.equal(created.id, id);
    assert.deepEqual(Object.keys(created.properties.deployed.nodes), ['logger', 'manager', 'worker-1', 'worker-2']);
    assert.equal(created.properties.results['worker-2'].success, true);
    assert.equal(created.properties.__provider, two.__provider);
    // The SDK, compiled from the project's script, sees the same deployment.
    const names = await run(process.execPath, ['-e', `require('./bin/sdk-use.js').deployedNodeNames(${JSON.stringify(cluster!.host)}, ${cluster!.port}).then((n) => process.stdout.write(n.join(' ')))`], { cwd: project, timeout: 20000 });
    assert.equal(names.stdout, 'logger manager worker-1 worker-2');

    // pulumi preview, nothing changed: no diff.
    const same = await plugin.check(URN, first.inputs, await programInputs(project, 2));
    assert.equal((await plugin.diff(URN, id, created.properties, same.inputs)).changes, DIFF.DIFF_NONE);

    // pulumi up with a third worker: diff, update.
    const grown = await plugin.check(URN, same.inputs, await programInputs(project, 3));
    assert.deepEqual(await plugin.diff(URN, id, created.properties, grown.inputs), { changes: DIFF.DIFF_SOME, replaces: [], deleteBeforeReplace: false });
    const updated = await plugin.update(URN, id, created.properties, grown.inputs);
    assert.deepEqual(Object.keys(updated.deployed.nodes), ['logger', 'manager', 'worker-1', 'worker-2', 'worker-3']);

    // pulumi refresh.
    const refreshed = await plugin.read(URN, id, updated, grown.inputs);
    assert.equal(refreshed.id, id);
    assert.deepEqual(Object.keys(refreshed.properties.nodeStatus).filter((n) => n.startsWith('worker-')), ['worker-1', 'worker-2', 'worker-3']);
    await stopPlugin(plugin);
    // The state as the engine keeps it (JSON in the backend).
    const state = JSON.parse(JSON.stringify({ outputs: refreshed.properties, inputs: refreshed.inputs })) as { outputs: Props; inputs: Props };

    // The next CI workspace: the project directory (with its node_modules) somewhere else.
    const moved = path.join(tmp, 'workspace-2', 'checkout', 'zeek');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(project, moved);
    assert.ok(!fs.existsSync(project));
    plugin = await startPlugin(moved);

    // pulumi refresh with the old state: read loads the provider the state holds.
    const reread = await plugin.read(URN, id, state.outputs, state.inputs);
    assert.equal(reread.id, id);
    assert.deepEqual(Object.keys(reread.properties.deployed.nodes), ['logger', 'manager', 'worker-1', 'worker-2', 'worker-3']);
    // pulumi preview: the old state's inputs against themselves, and against the program run from here.
    assert.equal((await plugin.diff(URN, id, state.outputs, state.inputs)).changes, DIFF.DIFF_NONE);
    const here = await programInputs(moved, 3);
    assert.equal(here.__provider, two.__provider, 'the serialized provider is the same text wherever the project is');
    const rechecked = await plugin.check(URN, state.inputs, here);
    assert.deepEqual(rechecked.failures, []);
    assert.equal((await plugin.diff(URN, id, state.outputs, rechecked.inputs)).changes, DIFF.DIFF_NONE, 'moving the project changes nothing');
    // pulumi up with one worker fewer, from the old state.
    const shrunk = await plugin.check(URN, state.inputs, await programInputs(moved, 2));
    assert.equal((await plugin.diff(URN, id, state.outputs, shrunk.inputs)).changes, DIFF.DIFF_SOME);
    const afterMove = await plugin.update(URN, id, state.outputs, shrunk.inputs);
    assert.deepEqual(Object.keys(afterMove.deployed.nodes), ['logger', 'manager', 'worker-1', 'worker-2']);
    // pulumi destroy with the state the old workspace wrote: the empty configuration is deployed.
    await plugin.delete(URN, id, state.outputs);
    const gone = await plugin.read(URN, id, afterMove, shrunk.inputs);
    assert.equal(gone.id, '');
    assert.equal(plugin.stderr().includes('Error'), false, plugin.stderr());
    project = moved;
  });
});
