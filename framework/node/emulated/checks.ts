// Start-up checks an emulated node makes the way Zeek would fail them: a sniffing
// interface must exist (Zeek: pcap_activate fails), a pcap file must be readable, and
// every script must be found on ZEEKPATH or relative to the working directory.

import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Zeek's stderr line for an interface pcap cannot open. A supervised node gets its
 * interface from the Supervisor's node parameters, so Zeek 8.0 places the error there.
 */
export function interfaceProblem(iface: string, sysClassNet = '/sys/class/net'): string | null {
  if (iface.includes('/') || !fs.existsSync(path.join(sysClassNet, iface))) {
    return `fatal error in <params>, line 1: problem with interface ${iface} (pcap_error: No such device exists (pcap_activate))`;
  }
  return null;
}

export function pcapProblem(file: string, cwd: string): string | null {
  const p = path.resolve(cwd, file);
  try {
    fs.accessSync(p, fs.constants.R_OK);
    return null;
  } catch {
    return `fatal error: problem with trace file ${file} (No such file or directory)`;
  }
}

/**
 * Scripts of the Zeek distribution (found under its share/zeek tree: base/..., policy/...,
 * and the policy subtrees Zeek's default ZEEKPATH exposes). An emulated node has no such
 * tree, so it accepts these names; anything else must exist as a file.
 */
const DISTRIBUTION_PREFIXES = ['base/', 'policy/', 'protocols/', 'frameworks/', 'tuning/', 'misc/', 'integration/', 'files/', 'site/', 'builtin-plugins/', 'zeekygen/'];
const DISTRIBUTION_SCRIPTS = new Set(['local', 'local.zeek', 'site/local', 'site/local.zeek']);

export function isDistributionScript(script: string): boolean {
  return DISTRIBUTION_SCRIPTS.has(script) || DISTRIBUTION_PREFIXES.some((p) => script.startsWith(p));
}

/** Resolves a script as Zeek does: as given, with .zeek appended, or as a directory with __load__.zeek, relative to cwd or each ZEEKPATH entry. */
export function findScript(script: string, cwd: string, zeekpath: string | undefined): string | null {
  const bases = script.startsWith('/') ? [''] : [cwd, ...(zeekpath ?? '').split(':').filter(Boolean).map((d) => path.resolve(cwd, d))];
  for (const base of bases) {
    const p = base ? path.resolve(base, script) : script;
    for (const candidate of [p, `${p}.zeek`, path.join(p, '__load__.zeek')]) {
      try {
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next one
      }
    }
  }
  return null;
}

/** Zeek's fatal error for a script it cannot find. */
export function scriptProblem(script: string): string {
  return `fatal error: can't find ${script}`;
}
