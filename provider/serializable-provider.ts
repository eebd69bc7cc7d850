// The provider object handed to Pulumi. Pulumi serializes a dynamic provider's code into
// the resource's state (`__provider`) and later runs that text in its dynamic-provider
// plugin, a plain `node` process whose working directory is the Pulumi project's. So these
// methods capture nothing but one path string, and require the real implementation
// (dynamic-provider.ts) inside each call:
//   - under ts-node (a TypeScript program, mocha) the source module, when it is there;
//   - otherwise the compiled module under dist/.
// The path captured is this package's directory relative to the working directory at the
// time the program ran (the project directory): "node_modules/zeek-mgmt" for an installed
// package, "" for this checkout. No absolute path goes into the state, so the serialized
// text is the same wherever the project directory is (one CI workspace, then the next),
// and a state written in one place loads in another. Where that relative path does not
// lead to the package (a linked package, a project whose layout changed), the zeek-mgmt
// package is looked up by name from the working directory.
// `npm run build` must have run in a checkout for the plugin to find dist/provider/dynamic-provider.js.
// require caches the module; each call only checks which file exists.

import * as path from 'node:path';
import type { ResourceProvider } from '@pulumi/pulumi/dynamic';

/** The package's root: provider/ (source) and dist/provider/ (compiled) sit at different depths. */
const PACKAGE_ROOT = path.resolve(__dirname, path.extname(__filename) === '.ts' ? '..' : path.join('..', '..'));

/** PACKAGE_ROOT relative to the working directory, with "/" separators ("" when they are the same). */
const PACKAGE_FROM_CWD = path.relative(process.cwd(), PACKAGE_ROOT).split(path.sep).join('/');

/** Where the serialized provider loads its implementation from, as seen from here (for diagnostics and tests). */
export const PROVIDER_MODULES = {
  source: path.join(PACKAGE_ROOT, 'provider', 'dynamic-provider.ts'),
  compiled: path.join(PACKAGE_ROOT, 'dist', 'provider', 'dynamic-provider.js'),
  /** The relative path the serialized text carries. */
  packageFromCwd: PACKAGE_FROM_CWD,
} as const;

// Only string constants may be captured below: no imports, no live objects.
function implementation(): Required<ResourceProvider> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('fs') as typeof import('fs');
  const p = require('path') as typeof import('path');
  const root = p.resolve(process.cwd(), PACKAGE_FROM_CWD);
  const candidates = require.extensions['.ts'] !== undefined ? [p.join(root, 'provider', 'dynamic-provider.ts')] : [];
  candidates.push(p.join(root, 'dist', 'provider', 'dynamic-provider.js'));
  try {
    const pkg = require.resolve('zeek-mgmt/package.json', { paths: [process.cwd()] });
    candidates.push(p.join(p.dirname(pkg), 'dist', 'provider', 'dynamic-provider.js'));
  } catch {
    // not installed as a package here
  }
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file).zeekClusterProvider;
  }
  throw new Error(`cannot find the ZeekCluster provider from ${process.cwd()} (tried ${candidates.join(', ')}): install the zeek-mgmt package in the Pulumi project (npm install), or run "npm run build" in a zeek-mgmt checkout`);
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
