// The agent's part of the site policy (ours; ARCHITECTURE.md, "Site policy"): sites the
// controller sends in chunks (verified, then stored atomically under
// <agent dir>/sites/<hash>/, the older ones pruned), the check before a deployment (the
// real zeek parses the site as each role's nodes load it; emulated nodes cannot, and the
// answer says so), and what the disk holds now, for drift.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Configuration, Node } from '../../sdk/model/schemas';
import { configurationSite } from '../../sdk/site/apply';
import { SITE_DIR_ENV, SiteAssembler, SiteError } from '../../sdk/site/site';
import { SiteStore } from '../site/store';
import { findExecutable } from './runtime-choice';
import type { NodeLaunchSpec } from '../node/launch-spec';
import { defaultZeekPath, writeZeekFiles, zeekCommand } from '../node/zeek/launch';
import type { ClusterEndpoint } from '../supervisor/records';
import type { Settings } from '../settings/settings';

export interface SiteAnswer {
  success: boolean;
  error?: string;
  data?: string;
}

export class AgentSites {
  readonly store: SiteStore;
  private assembling: SiteAssembler | null = null;
  private zeekPath: string | null = null;

  constructor(
    dir: string,
    keep: number,
    private readonly runtime: 'emulated' | 'zeek',
    private readonly settings: Settings,
    private readonly log: (level: 'debug' | 'info' | 'warning' | 'error', msg: string) => void,
  ) {
    this.store = new SiteStore(dir, keep);
  }

  /** One chunk; `inUse` is the site the running nodes load (never pruned). */
  chunk(hash: string, index: number, total: number, data: string, inUse: string | null): SiteAnswer {
    try {
      if (index === 0) {
        // Already here and intact: nothing to send.
        if (this.store.has(hash) && this.store.verify(hash).state === 'ok') {
          this.assembling = null;
          return { success: true, data: 'complete' };
        }
        this.assembling = new SiteAssembler(hash, this.store.limits);
      }
      const asm = this.assembling;
      if (!asm || asm.hash !== hash) throw new SiteError(`chunk ${index} of site ${hash.slice(0, 80)} arrived, but no transfer of it is in progress`);
      let files;
      try {
        files = asm.add({ hash, index, total, data });
      } catch (err) {
        this.assembling = null;
        throw err;
      }
      if (files === null) return { success: true, data: 'more' };
      this.assembling = null;
      // A damaged copy of the same hash (edited out of band) is replaced.
      if (this.store.has(hash)) fs.rmSync(this.store.dir(hash), { recursive: true, force: true });
      this.store.write(hash, files, inUse ? [inUse] : []);
      this.log('info', `stored site ${hash} (${files.size} files) in ${this.store.dir(hash)}`);
      return { success: true, data: 'complete' };
    } catch (err) {
      const msg = (err as Error).message;
      this.log('warning', `refused site chunk: ${msg}`);
      return { success: false, error: msg };
    }
  }

  /**
   * Parses the site as this instance's nodes will load it. The zeek runtime runs
   * `zeek -a` (parse only) once per role and script list, with the node's cluster layout,
   * settings and ZEEKPATH; errors come back with the site's relative file names. Emulated
   * nodes cannot parse Zeek scripts: the answer says the site was not checked.
   */
  async check(hash: string, config: Configuration, instance: string, inUse: string | null = null): Promise<SiteAnswer[]> {
    const answers = await this.checkStored(hash, config, instance);
    // A site zeek refused is not kept (it would only take the place of an older good one).
    if (answers.some((a) => !a.success) && this.store.has(hash) && this.store.verify(hash).state === 'ok') this.store.discard(hash, inUse);
    return answers;
  }

  private async checkStored(hash: string, config: Configuration, instance: string): Promise<SiteAnswer[]> {
    if (!this.store.has(hash)) return [{ success: false, error: `site ${hash} is not stored on instance '${instance}'` }];
    const verified = this.store.verify(hash);
    if (verified.state !== 'ok') return [{ success: false, error: `site ${hash} on instance '${instance}' is damaged: ${verified.detail}` }];
    const mine = config.nodes.filter((n) => n.instance === instance);
    if (mine.length === 0) return [{ success: true, data: `site ${hash}: instance '${instance}' runs no node of this configuration; nothing to check` }];
    if (this.runtime !== 'zeek') {
      return [{ success: true, data: `site ${hash} not checked on instance '${instance}': its nodes run in the emulated runtime, which does not parse Zeek scripts` }];
    }
    const siteDir = this.store.dir(hash);
    const groups = new Map<string, Node>();
    for (const n of mine) {
      const key = JSON.stringify([n.role, n.scripts ?? []]);
      if (!groups.has(key)) groups.set(key, n);
    }
    const cluster: Record<string, ClusterEndpoint> = {};
    const hosts = new Map(config.instances.map((i) => [i.name, i.host]));
    for (const n of config.nodes) {
      // No metrics port: zeek binds its Prometheus endpoint even when it only parses, and the running node holds it.
      cluster[n.name] = { role: n.role, host: hosts.get(n.instance) ?? '127.0.0.1', p: n.port ?? 0, interface: n.interface, pcap_file: null, metrics_port: null };
    }
    const answers: SiteAnswer[] = [];
    const checked: string[] = [];
    for (const node of groups.values()) {
      const problems = await this.parseAs(node, cluster, siteDir);
      if (problems === null) checked.push(`${node.role.toLowerCase()} (as ${node.name})`);
      else for (const p of problems) answers.push({ success: false, error: p });
    }
    if (answers.length > 0) return answers;
    return [{ success: true, data: `site ${hash} checked on instance '${instance}' with zeek: ${checked.join(', ')}` }];
  }

  /** null when zeek parses the node's scripts; otherwise its error lines, with site paths relative. */
  private async parseAs(node: Node, cluster: Record<string, ClusterEndpoint>, siteDir: string): Promise<string[] | null> {
    const zeek = findExecutable(this.settings.str('Management::Agent::zeek_binary'));
    if (!zeek) return [`cannot find the zeek binary "${this.settings.str('Management::Agent::zeek_binary')}" to check the site`];
    this.zeekPath ??= defaultZeekPath(zeek);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-site-check-'));
    try {
      const agent = this.settings.agentListen();
      const spec: NodeLaunchSpec = {
        name: node.name, directory: dir, interface: null, pcap_file: null,
        scripts: node.scripts ?? [], cluster,
        globals: this.settings.nodeGlobals(), explicitGlobals: this.settings.explicitNodeGlobals(),
        agent: { host: agent.address, port: agent.port },
      };
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
      Object.assign(env, node.env ?? {}, { [SITE_DIR_ENV]: siteDir });
      const cmd = zeekCommand(spec, zeek, this.zeekPath, env);
      writeZeekFiles(dir, cmd.files);
      const out = await new Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }>((resolve) => {
        execFile(cmd.file, ['-a', ...cmd.args], { cwd: dir, env: cmd.env, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
          const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
          resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout: String(stdout), stderr: String(stderr) });
        });
      });
      if (out.code === 0) return null;
      if (out.signal) {
        // Zeek 8.0.9 crashes on some malformed statements (`redef x = ;` is a SIGSEGV) instead of reporting them.
        const tail = out.stderr.trim().split('\n').slice(-3).join(' | ');
        return [`${node.role.toLowerCase()} ${node.name}: zeek crashed (${out.signal}) while parsing the site; it has an error zeek could not report${tail ? `: ${tail}` : ''}`];
      }
      const rel = (s: string): string => s.split(`${siteDir}/`).join('').split(`${dir}/`).join('');
      const lines = `${out.stderr}\n${out.stdout}`.split('\n').map((l) => l.trim()).filter((l) => /error|fatal/i.test(l));
      const msgs = (lines.length > 0 ? lines : [`zeek exited with ${out.code ?? 'an error'}: ${out.stderr.trim().slice(0, 500) || '(no output)'}`]).slice(0, 20);
      return msgs.map((l) => `${node.role.toLowerCase()} ${node.name}: ${rel(l)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * What this agent's disk holds: `expected` is the site the controller deployed ("" for
   * none), `running` the one this agent's nodes were started with.
   */
  status(expected: string, running: Configuration | null): SiteAnswer {
    const runningHash = running ? configurationSite(running).hash : null;
    const want = expected || null;
    const report = (state: string, detail: string | undefined, extra: Record<string, unknown> = {}): SiteAnswer =>
      ({ success: true, data: JSON.stringify({ hash: want, running: runningHash, state, ...(detail ? { detail } : {}), ...extra }) });
    if (want === null && runningHash === null) return report('none', undefined);
    if (want !== runningHash) return report('stale', `the nodes run site ${runningHash ?? 'none'}, the controller deployed ${want ?? 'none'}`);
    const v = this.store.verify(want!);
    return report(v.state, v.detail, { dir: this.store.dir(want!) });
  }
}
