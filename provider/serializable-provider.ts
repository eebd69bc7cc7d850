// The provider object handed to Pulumi. Pulumi serializes a dynamic provider's code into
// the resource's state (`__provider`) and later runs that text in its dynamic-provider
// plugin, a plain `node` process. So these methods capture nothing but two path strings,
// and require the real implementation (dynamic-provider.ts) inside each call:
//   - under ts-node (a TypeScript program, mocha) the source module next to this file;
//   - in plain node (the plugin, compiled programs) the compiled module under dist/.
// `npm run build` must have run for the plugin to find dist/provider/dynamic-provider.js.
// require caches the module; each call only checks which file exists.

import * as path from 'node:path';
import type { ResourceProvider } from '@pulumi/pulumi/dynamic';

/** The implementation as this file's own module system sees it (a .ts source or a .js file in dist/). */
const SOURCE_MODULE = path.join(__dirname, 'dynamic-provider');

/** The compiled implementation, which a plain node process can load. */
const COMPILED_MODULE = path.extname(__filename) === '.ts'
  ? path.join(__dirname, '..', 'dist', 'provider', 'dynamic-provider.js')
  : path.join(__dirname, 'dynamic-provider.js');

/** Where the serialized provider loads its implementation from (for diagnostics and tests). */
export const PROVIDER_MODULES = { source: SOURCE_MODULE, compiled: COMPILED_MODULE } as const;

// Only string constants may be captured below: no imports, no live objects. The state
// keeps this code with its absolute paths, so when the checkout has moved since (another
// CI workspace), the compiled provider is looked up from the working directory of the
// plugin (the Pulumi project's directory) and as the installed zeek-mgmt package too.
function implementation(): Required<ResourceProvider> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('fs') as typeof import('fs');
  const p = require('path') as typeof import('path');
  const candidates = require.extensions['.ts'] !== undefined ? [`${SOURCE_MODULE}.ts`, COMPILED_MODULE] : [COMPILED_MODULE];
  candidates.push(p.join(process.cwd(), 'dist', 'provider', 'dynamic-provider.js'));
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file).zeekClusterProvider;
  }
  let installed: string | undefined;
  try {
    installed = require.resolve('zeek-mgmt/dist/provider/dynamic-provider.js', { paths: [process.cwd()] });
  } catch {
    // not installed as a package either
  }
  if (installed !== undefined) return require(installed).zeekClusterProvider;
  throw new Error(`cannot find the ZeekCluster provider (tried ${candidates.join(', ')} and the zeek-mgmt package from ${process.cwd()}): run "npm run build"`);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

export const serializableProvider: Required<Pick<ResourceProvider, 'configure' | 'check' | 'diff' | 'create' | 'read' | 'update' | 'delete'>> = {
  configure: (req) => implementation().configure(req),
  check: (olds, news) => implementation().check(olds, news),
  diff: (id, olds, news) => implementation().diff(id, olds, news),
  create: (inputs) => implementation().create(inputs),
  read: (id, props) => implementation().read(id, props),
  update: (id, olds, news) => implementation().update(id, olds, news),
  delete: (id, props) => implementation().delete(id, props),
};
