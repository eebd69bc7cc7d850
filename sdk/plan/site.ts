// The site part of a plan: which site the deployed configuration carries, which the
// desired one would, and the files added, changed and removed between them. Shared by
// `zeek-mgmt plan/apply` and the provider's diff and preview.

import { diffSiteManifests, SiteDiff, siteDiffEmpty } from '../site/site';

export interface SitePlan {
  /** The deployed site's hash, null for none. */
  before: string | null;
  /** The desired site's hash, null for none. */
  after: string | null;
  hasChanges: boolean;
  files: SiteDiff;
}

export function planSite(
  deployed: { hash: string | null; manifest: Record<string, string> | null },
  desired: { hash: string | null; manifest: Record<string, string> | null },
): SitePlan {
  const files = diffSiteManifests(deployed.manifest, desired.manifest);
  const hasChanges = deployed.hash !== desired.hash || !siteDiffEmpty(files);
  return { before: deployed.hash, after: desired.hash, hasChanges, files };
}

/** "2 site files to add, 1 to change, 0 to remove". */
export function sitePlanSummary(p: SitePlan): string {
  return `${p.files.added.length} site file${p.files.added.length === 1 ? '' : 's'} to add, ${p.files.changed.length} to change, ${p.files.removed.length} to remove`;
}
