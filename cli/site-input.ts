// `--site DIR` of plan, apply and deploy-config (ours): the site read from DIR, its nodes'
// marks on the configuration, the site part of the plan, and sending the site to the
// controller before the configuration that names it is staged.

import { planSite, SitePlan, sitePlanSummary } from '../sdk/plan/site';
import type { Configuration } from '../sdk/model/schemas';
import type { Result } from '../sdk/model/records';
import { applySite, configurationSite, withoutSiteEnv } from '../sdk/site/apply';
import { packSite, readSiteDir, siteHash, siteManifest, SiteFiles } from '../sdk/site/site';
import type { CommandContext } from './command';
import type { Palette } from './color';
import { CommandFailed, Session } from './session';

export interface LoadedSite {
  dir: string;
  files: SiteFiles;
  hash: string;
}

/** The site of `--site DIR`, null when not given, 'error' (logged) when DIR cannot be a site. */
export function loadSiteOption(ctx: CommandContext): LoadedSite | null | 'error' {
  const dir = ctx.args.site as string | undefined | null;
  if (!dir) return null;
  try {
    const files = readSiteDir(dir);
    return { dir, files, hash: siteHash(files) };
  } catch (err) {
    ctx.log.error(`site is invalid, not sending: ${(err as Error).message}`);
    return 'error';
  }
}

/** The configuration as the controller gets it: with the site's marks and scripts when there is one. */
export function withSite(config: Configuration, site: LoadedSite | null): Configuration {
  return site ? applySite(config, site.hash, site.files) : config;
}

/** The site part of the plan of `desired` (already withSite) against `deployed`. */
export async function sitePlanFor(s: Session, desired: Configuration, site: LoadedSite | null, deployed: Configuration | null): Promise<SitePlan> {
  const before = deployed ? configurationSite(deployed).hash : null;
  const beforeManifest = before ? await s.request((c) => c.getSiteManifest(before)) : null;
  const after = configurationSite(desired).hash;
  return planSite({ hash: before, manifest: beforeManifest }, { hash: after, manifest: site ? siteManifest(site.files) : null });
}

/** Configurations compared node by node without the site mark, which the site plan covers. */
export const nodesOnly = (c: Configuration | null): Configuration | null => (c ? withoutSiteEnv(c) : null);

/** Sends the site to the controller; logs and throws CommandFailed(1) when it is refused. */
export async function stageSiteOn(ctx: CommandContext, s: Session, site: LoadedSite | null): Promise<void> {
  if (!site) return;
  const res = await s.request((c) => c.stageSite(packSite(site.files)));
  if (!res.success) {
    ctx.log.error(`the controller refused the site ${site.hash}: ${res.error ?? 'no reason given'}`);
    throw new CommandFailed(1, 'site refused');
  }
}

export function renderSitePlanText(p: SitePlan, c: Palette): string {
  if (!p.hasChanges) return '';
  const lines: string[] = [c.yellow(`  ~ site ${p.before ?? '(none)'} -> ${p.after ?? '(none)'}`)];
  for (const f of p.files.added) lines.push(c.green(`      + ${f}`));
  for (const f of p.files.changed) lines.push(c.yellow(`      ~ ${f}`));
  for (const f of p.files.removed) lines.push(c.red(`      - ${f}`));
  lines.push(c.bold(`Site: ${sitePlanSummary(p)}.`));
  return `${lines.join('\n')}\n`;
}

export function sitePlanJson(p: SitePlan): Record<string, unknown> {
  return { before: p.before, after: p.after, has_changes: p.hasChanges, added: p.files.added, changed: p.files.changed, removed: p.files.removed };
}

export interface SiteDrift {
  hash: string;
  in_sync: boolean;
  /** Per instance: ok, modified (edited out of band), missing, stale (the nodes run another site), or error. */
  instances: Record<string, { state: string; detail?: string }>;
}

/** The agents' reports (get_site_status) as the drift report's site part. */
export function siteDriftFrom(hash: string, results: Result[]): SiteDrift {
  const instances: SiteDrift['instances'] = {};
  for (const r of results) {
    const name = r.instance ?? '(unknown)';
    if (!r.success || r.data?.type !== 'string') {
      instances[name] = { state: 'error', detail: r.error ?? 'no report' };
      continue;
    }
    try {
      const d = JSON.parse(r.data.value) as { state?: string; detail?: string };
      instances[name] = { state: String(d.state ?? 'error'), ...(d.detail ? { detail: d.detail } : {}) };
    } catch {
      instances[name] = { state: 'error', detail: 'unreadable report' };
    }
  }
  return { hash, in_sync: Object.values(instances).every((i) => i.state === 'ok'), instances };
}

export function renderSiteDrift(d: SiteDrift): string {
  const lines = ['', `## Site ${d.hash}`, '', '| instance | site on disk | detail |', '| --- | --- | --- |'];
  for (const name of Object.keys(d.instances).sort()) {
    const i = d.instances[name];
    lines.push(`| ${name} | ${i.state} | ${(i.detail ?? '').replace(/\|/g, '\\|')} |`);
  }
  lines.push('', d.in_sync ? 'Every instance holds the deployed site.' : 'Site drift: an instance does not hold the deployed site as deployed.', '');
  return lines.join('\n');
}
