// The project's layers as a table (ARCHITECTURE.md, "Layers", draws the same picture) and
// a reader of the imports in a source tree that names every import crossing a layer the
// wrong way. test/layers.test.ts runs it over the repository.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Layer {
  /** Folder (or file) relative to the repository root, '/'-separated. */
  name: string;
  /** What a file of this layer may import besides itself, as folder or file names. */
  mayImport: readonly string[];
}

/**
 * Bottom to top. A file belongs to the layer whose name is the longest prefix of its path.
 * Imports of npm packages and of node's built-in modules are not layers and are not checked;
 * examples/ import the package by its names only (`zeek-mgmt`, `zeek-mgmt/pulumi`), as a
 * user's program does. bench/, test/ and scripts/ stand outside the layers and may use all.
 */
export const LAYERS: readonly Layer[] = [
  { name: 'sdk/broker', mayImport: [] },
  { name: 'sdk/model', mayImport: ['sdk/broker'] },
  { name: 'sdk/transport', mayImport: ['sdk/broker'] },
  { name: 'sdk/config', mayImport: ['sdk/broker', 'sdk/model'] },
  { name: 'sdk/validation', mayImport: ['sdk/broker', 'sdk/model'] },
  { name: 'sdk/ports', mayImport: ['sdk/broker', 'sdk/model'] },
  { name: 'sdk/site', mayImport: ['sdk/broker', 'sdk/model'] },
  { name: 'sdk/plan', mayImport: ['sdk/broker', 'sdk/model', 'sdk/ports', 'sdk/site'] },
  { name: 'sdk/client', mayImport: ['sdk/broker', 'sdk/model', 'sdk/transport', 'sdk/site'] },
  { name: 'sdk/index.ts', mayImport: ['sdk'] },
  { name: 'framework', mayImport: ['sdk'] },
  { name: 'provider', mayImport: ['sdk'] },
  // The CLI is a front end beside the provider; of the daemons it only starts `run`.
  { name: 'cli', mayImport: ['sdk', 'framework/run.ts'] },
];

export const PACKAGE_NAMES: readonly string[] = ['zeek-mgmt', 'zeek-mgmt/pulumi'];

export interface Violation {
  file: string;
  specifier: string;
  /** What the specifier reaches, relative to the root, or the package name. */
  target: string;
  reason: string;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)'([^']+)'|(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)"([^"]+)"/gm;

/** Every module specifier in a TypeScript source: static and dynamic imports, requires, re-exports. */
export function specifiersOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) out.push(m[1] ?? m[2]);
  return out;
}

function within(file: string, name: string): boolean {
  return file === name || file.startsWith(`${name}/`) || (!name.endsWith('.ts') && file === `${name}.ts`);
}

/** The layer a file is in: the longest name that is a prefix of its path; null outside every layer. */
export function layerOf(file: string): Layer | null {
  let best: Layer | null = null;
  for (const l of LAYERS) if (within(file, l.name) && (best === null || l.name.length > best.name.length)) best = l;
  return best;
}

/** The imports among `files` (path relative to the root → source text) that cross a layer the wrong way. */
export function layerViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    const isExample = within(file, 'examples');
    const layer = layerOf(file);
    if (layer === null && !isExample) continue;
    for (const specifier of specifiersOf(source)) {
      if (!specifier.startsWith('.')) {
        if (isExample && specifier.startsWith('zeek-mgmt') && !PACKAGE_NAMES.includes(specifier)) {
          violations.push({ file, specifier, target: specifier, reason: `examples use only the package's names (${PACKAGE_NAMES.join(', ')})` });
        }
        continue;
      }
      let target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      if (!target.endsWith('.ts') && !target.endsWith('.json')) target = `${target}.ts`;
      if (isExample) {
        if (!within(target, 'examples')) violations.push({ file, specifier, target, reason: 'examples reach the project by the package\'s names, not by path' });
        continue;
      }
      if (layer === null || within(target, layer.name)) continue;
      if (layer.mayImport.some((allowed) => within(target, allowed))) continue;
      const targetLayer = layerOf(target);
      violations.push({
        file,
        specifier,
        target,
        reason: `${layer.name} may import ${layer.mayImport.length > 0 ? layer.mayImport.join(', ') : 'nothing of ours'}, not ${targetLayer?.name ?? target}`,
      });
    }
  }
  return violations;
}

/** The repository's TypeScript files in the layers and in examples/, read from disk. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && !entry.name.startsWith('.')) walk(child);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.set(child, fs.readFileSync(path.join(root, child), 'utf8'));
      }
    }
  };
  for (const top of ['sdk', 'framework', 'cli', 'provider', 'examples']) {
    if (fs.existsSync(path.join(root, top))) walk(top);
  }
  return files;
}
