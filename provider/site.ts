// The provider's `site` input (ours; README, "Site policy"): a directory or inline files,
// and the scripts every node or a role loads from it. check() reads it once and keeps its
// hash and per-file digests (not the contents of a directory, which stay on disk); diff
// lists the site's files next to the node changes; create/update send the files (re-read
// and checked against the hash of the preview) before the configuration that names them.

import * as path from 'node:path';
import type { Configuration } from '../sdk/model/schemas';
import { applySite, configurationSite } from '../sdk/site/apply';
import { planSite } from '../sdk/plan/site';
import { readSiteDir, siteFromRecord, siteHash, siteManifest, SiteFiles } from '../sdk/site/site';

export interface SiteInput {
  dir?: string;
  files?: Record<string, string>;
  scripts?: string[];
  roles?: Record<string, string[]>;
}

/** The site as check() leaves it in the inputs. */
export interface CheckedSite extends SiteInput {
  hash: string;
  manifest: Record<string, string>;
}

export function checkSite(site: SiteInput): CheckedSite {
  if ((site.dir === undefined) === (site.files === undefined)) throw new Error('site: give exactly one of dir (a directory) and files (path -> content)');
  const files = readSite(site);
  const out: CheckedSite = { hash: siteHash(files), manifest: siteManifest(files) };
  if (site.dir !== undefined) out.dir = site.dir;
  if (site.files !== undefined) out.files = site.files;
  if (site.scripts !== undefined) out.scripts = site.scripts;
  if (site.roles !== undefined) out.roles = site.roles;
  return out;
}

function readSite(site: SiteInput): SiteFiles {
  return site.dir !== undefined ? readSiteDir(path.resolve(site.dir)) : siteFromRecord(site.files ?? {});
}

/** The files to send, refusing a directory that changed since check() hashed it. */
export function siteFilesFor(site: CheckedSite): SiteFiles {
  const files = readSite(site);
  const now = siteHash(files);
  if (now !== site.hash) throw new Error(`site directory ${site.dir ?? '(inline)'} changed since the preview (was ${site.hash}, now ${now}); run the update again`);
  return files;
}

/** The configuration with the site's marks; the manifest is enough to know which files exist. */
export function withCheckedSite(config: Configuration, site: CheckedSite | undefined): Configuration {
  if (!site) return config;
  const names: SiteFiles = new Map(Object.keys(site.manifest).map((p) => [p, Buffer.alloc(0)]));
  const roles = site.roles ? Object.fromEntries(Object.entries(site.roles).map(([r, s]) => [r.toUpperCase(), s])) : undefined;
  return applySite(config, site.hash, names, { scripts: site.scripts, roles });
}

/** Preview lines of the site: `~ site A -> B` and one line per file added, changed or removed. */
export function siteChangeLines(deployed: Configuration | null, previousManifest: Record<string, string> | null, site: CheckedSite | undefined): string[] {
  const before = deployed ? configurationSite(deployed).hash : null;
  const p = planSite({ hash: before, manifest: before ? previousManifest : null }, { hash: site?.hash ?? null, manifest: site?.manifest ?? null });
  if (!p.hasChanges) return [];
  return [
    `~ site ${p.before ?? '(none)'} -> ${p.after ?? '(none)'}`,
    ...p.files.added.map((f) => `+ site file ${f}`),
    ...p.files.changed.map((f) => `~ site file ${f}`),
    ...p.files.removed.map((f) => `- site file ${f}`),
  ];
}
