// How a configuration carries its site, in Zeek's own record layouts: every node's env has
// ZEEK_MGMT_SITE=<hash>, and the scripts the site's nodes load are in the nodes' `scripts`
// lists. A configuration without a site has neither, so zeek-client sees exactly what it
// staged (ARCHITECTURE.md, "Site policy").

import type { Configuration, Node } from '../model/schemas';
import { isSiteHash, SITE_ENV, SiteFiles } from './site';

export interface SiteLoad {
  /** Scripts (relative to the site, as Zeek names them: `local`, `site-scripts/foo`) every node loads. */
  scripts?: string[];
  /** Scripts nodes of one role load (role: MANAGER, LOGGER, PROXY, WORKER). */
  roles?: Record<string, string[]>;
}

/** What every node loads when nothing is said: `local` when the site has a local.zeek, as ZeekControl loads local.zeek on every node. */
export function defaultSiteScripts(files: SiteFiles): string[] {
  return files.has('local.zeek') ? ['local'] : [];
}

/** The configuration with its nodes marked with the site's hash and loading its scripts (after their own). */
export function applySite(config: Configuration, hash: string, files: SiteFiles, load: SiteLoad = {}): Configuration {
  const common = load.scripts ?? defaultSiteScripts(files);
  const nodes: Node[] = config.nodes.map((n) => {
    const scripts = [...(n.scripts ?? [])];
    for (const s of [...common, ...(load.roles?.[n.role] ?? [])]) if (!scripts.includes(s)) scripts.push(s);
    return { ...n, scripts: scripts.length > 0 ? scripts : n.scripts, env: { ...(n.env ?? {}), [SITE_ENV]: hash } };
  });
  return { ...config, nodes };
}

/**
 * The site hash a configuration carries: null when no node has one. Nodes that disagree,
 * or a value that is not a hash, make it a string error.
 */
export function configurationSite(config: Configuration): { hash: string | null; error?: string } {
  const hashes = new Set<string>();
  let without = 0;
  for (const n of config.nodes) {
    const h = n.env?.[SITE_ENV];
    if (h === undefined) without++;
    else hashes.add(h);
  }
  if (hashes.size === 0) return { hash: null };
  const [h] = [...hashes];
  if (hashes.size > 1) return { hash: null, error: `nodes carry different sites in env ${SITE_ENV} (${[...hashes].sort().join(', ')}); a configuration has one site` };
  if (without > 0) return { hash: null, error: `${without} node(s) carry no ${SITE_ENV} while others carry ${h}; a configuration has one site` };
  if (!isSiteHash(h)) return { hash: null, error: `env ${SITE_ENV} is ${JSON.stringify(h.slice(0, 80))}, not a site hash (sha256:<64 hex digits>)` };
  return { hash: h };
}

/** The configuration without its site marks (env key only; scripts stay, as they are the nodes' own). */
export function withoutSiteEnv(config: Configuration): Configuration {
  return {
    ...config,
    nodes: config.nodes.map((n) => {
      if (n.env?.[SITE_ENV] === undefined) return n;
      const env = { ...n.env };
      delete env[SITE_ENV];
      return { ...n, env };
    }),
  };
}
