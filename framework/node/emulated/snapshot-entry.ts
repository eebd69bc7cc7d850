// The script a V8 start-up snapshot of an emulated node is built from (Node.js's
// `node --snapshot-blob FILE --build-snapshot snapshot-entry.js`; see
// framework/supervisor/node-snapshot.ts, which builds, checks and uses it). It loads
// main.js and everything main.js loads (node:net, node:crypto and our own modules), so that
// a node started from the snapshot (`node --snapshot-blob FILE`) finds them compiled and
// initialised instead of reading, compiling and running ~20 modules and Node's built-ins:
// with --jitless, which also turns off V8's code cache for Node's built-ins, that is most of
// what a node process spends before it checks in.
//
// Only built-in modules can be required while a snapshot is built, so our modules are
// loaded by a small CommonJS loader below (relative paths to files, built-ins, and
// packages through Module.createRequire when first asked for at run time).
// Nothing here may start a timer, open a handle or draw random numbers at build time:
// that happens in the deserialized main function, at run time.
//
// Written as a script (no import/export), since the snapshot builder provides `require`,
// `__filename` and `__dirname` but no `module` or `exports`.
//
// Build output, on stdout: one JSON line {"files": {"<path relative to dist>": "<sha256>"}}
// naming the sources baked in. A process started from the snapshot with
// ZEEK_MGMT_NODE_SNAPSHOT_CHECK=1 prints {"ok":true,"files":N} and exits (the self-test
// the Supervisor runs before it uses a new snapshot).

{
  const builtinRequire = require;
  const fs = builtinRequire('node:fs') as typeof import('node:fs');
  const path = builtinRequire('node:path') as typeof import('node:path');
  const vm = builtinRequire('node:vm') as typeof import('node:vm');
  const v8 = builtinRequire('node:v8') as typeof import('node:v8');
  const { createHash } = builtinRequire('node:crypto') as typeof import('node:crypto');
  const { isBuiltin } = builtinRequire('node:module') as typeof import('node:module');

  const distRoot = path.resolve(__dirname, '..', '..', '..');
  const CHECK_ENV = 'ZEEK_MGMT_NODE_SNAPSHOT_CHECK';

  interface LoadedModule {
    exports: unknown;
    id: string;
    filename: string;
    loaded: boolean;
  }

  const cache = new Map<string, LoadedModule>();
  /** Sources compiled into the snapshot: path relative to distRoot -> sha256. */
  const baked: Record<string, string> = {};
  let building = true;

  const resolveFile = (from: string, id: string): string => {
    const base = path.resolve(path.dirname(from), id);
    for (const candidate of [base, `${base}.js`, path.join(base, 'index.js')]) {
      try {
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next candidate
      }
    }
    throw Object.assign(new Error(`Cannot find module '${id}' (required from ${from})`), { code: 'MODULE_NOT_FOUND' });
  };

  const makeRequire = (from: string): NodeJS.Require => {
    let packages: NodeJS.Require | null = null;
    const req = (id: string): unknown => {
      if (id.startsWith('node:') || isBuiltin(id)) return builtinRequire(id);
      if (id.startsWith('./') || id.startsWith('../') || path.isAbsolute(id)) return load(resolveFile(from, id));
      // Packages (node_modules): Node's own resolution, at run time only.
      if (building) throw new Error(`${from}: package '${id}' cannot be loaded into the snapshot; require it lazily`);
      packages ??= (builtinRequire('node:module') as typeof import('node:module')).createRequire(from);
      return packages(id);
    };
    return req as NodeJS.Require;
  };

  const load = (file: string): unknown => {
    const hit = cache.get(file);
    if (hit) return hit.exports;
    const source = fs.readFileSync(file, 'utf8');
    const mod: LoadedModule = { exports: {}, id: file, filename: file, loaded: false };
    cache.set(file, mod);
    if (building) baked[path.relative(distRoot, file)] = createHash('sha256').update(source).digest('hex');
    const fn = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    fn.call(mod.exports, mod.exports, makeRequire(file), mod, file, path.dirname(file));
    mod.loaded = true;
    return mod.exports;
  };

  const nodeMain = load(path.join(distRoot, 'framework/node/emulated/main.js')) as typeof import('./main');
  building = false;
  process.stdout.write(`${JSON.stringify({ files: baked })}\n`);

  v8.startupSnapshot.setDeserializeMainFunction(() => {
    if (process.env[CHECK_ENV]) {
      process.stdout.write(`${JSON.stringify({ ok: typeof nodeMain.main === 'function', files: Object.keys(baked).length })}\n`);
      return;
    }
    // What `node -r parent-watch.js main.js` does: the watch starts now, in this process.
    load(path.join(distRoot, 'framework/supervisor/parent-watch.js'));
    void nodeMain.main();
  });
}
