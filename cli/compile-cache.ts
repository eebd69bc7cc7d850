// Node's own compile cache (module.enableCompileCache, added in Node 22.1), looked up
// without loading node:module where it cannot exist: on Node 20 that module (and the ESM
// loader parts it pulls in) would be loaded at every CLI start for nothing.

/** module.enableCompileCache where this node has it, else undefined. */
export function nodeEnableCompileCache(version: string = process.versions.node): (() => unknown) | undefined {
  const [major, minor] = version.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 1)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:module') as { enableCompileCache?: () => unknown }).enableCompileCache;
}
