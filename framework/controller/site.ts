// The controller's part of the site policy (ours; ARCHITECTURE.md, "Site policy"): sites
// clients stage (SiteApi.stage_site_request, chunk by chunk, stored under
// <state_dir>/controller/sites/<hash>/), which agents announced that they take sites
// (notify_agent_capabilities after their hello; Zeek's agents never do), and the steps a
// deployment of a configuration with a site takes before any agent gets its
// deploy_request: every instance must be one of ours, gets the site (chunks, each
// answered) and checks it as its nodes will load it. Only when every instance has
// stored and checked the site does the deployment go on; otherwise the deployment fails
// with the reasons and no node was touched.

import * as path from 'node:path';
import { B, BrokerData } from '../../sdk/broker/data';
import { SITE_CAPABILITY, SiteApi } from '../../sdk/model/events';
import { configurationToData, makeResult, Result } from '../../sdk/model/records';
import { Configuration } from '../../sdk/model/schemas';
import { chunkPacked, packSite, SiteAssembler, SiteError, SiteFiles } from '../../sdk/site/site';
import { SiteStore } from '../site/store';
import { AgentCalls } from './agent-calls';
import { AgentLink } from './agents';
import { ManagementLog } from './log';
import { short } from './strings';

export interface SitePrepareOutcome {
  ok: boolean;
  /** Results for the deploy response: errors (success=F, node unset) and per-instance notes. */
  results: Result[];
}

export class ControllerSites {
  readonly store: SiteStore;
  private readonly assembling = new Map<string, SiteAssembler>();
  private readonly calls: AgentCalls<BrokerData[]>;

  constructor(
    stateDir: string,
    keep: number,
    private readonly log: ManagementLog,
    private readonly timeoutMs: number,
    private readonly linkFor: (instance: string) => AgentLink | undefined,
  ) {
    this.store = new SiteStore(path.join(stateDir, 'controller', 'sites'), keep);
    this.calls = new AgentCalls<BrokerData[]>(SITE_CAPABILITY, 'site', 'site', log, timeoutMs, linkFor);
  }

  // ---- agents ------------------------------------------------------------------------

  capabilities(instance: string, caps: string[], link: AgentLink): void {
    this.calls.capabilities(instance, caps, link);
  }

  isCapable(instance: string): boolean {
    return this.calls.isCapable(instance);
  }

  linkLost(link: AgentLink): void {
    this.calls.linkLost(link);
  }

  /** A response from an agent: counts only for a call that went to that instance over that link. */
  agentResponse(reqid: string, args: BrokerData[], link: AgentLink): void {
    this.calls.response(reqid, args, link);
  }

  private async call(instance: string, event: string, args: BrokerData[]): Promise<BrokerData[]> {
    const link = this.linkFor(instance);
    if (!link) throw new Error(`instance '${instance}' is not connected`);
    const end = await this.calls.send(instance, link, event, args);
    if ('answer' in end) return end.answer;
    if (end.kind === 'lost') throw new Error(`lost the connection to instance '${instance}'`);
    throw new Error(`instance '${instance}' did not answer ${event} within ${end.seconds} s`);
  }

  // ---- clients -----------------------------------------------------------------------

  /** One chunk from a client; returns the Result to answer with. */
  stageChunk(reqid: string, hash: string, index: number, total: number, data: string): Result {
    try {
      let asm = this.assembling.get(hash);
      if (index === 0 || !asm) {
        if (index !== 0) throw new SiteError(`chunk ${index} of site ${hash} arrived, but no transfer of it is in progress (start at chunk 0)`);
        // One transfer per hash; a restart replaces it. Bound the number in progress.
        if (this.assembling.size >= 4 && !this.assembling.has(hash)) throw new SiteError('too many site transfers in progress (4); finish or restart one');
        asm = new SiteAssembler(hash, this.store.limits);
        this.assembling.set(hash, asm);
      }
      let files: SiteFiles | null;
      try {
        files = asm.add({ hash, index, total, data });
      } catch (err) {
        this.assembling.delete(hash);
        throw err;
      }
      if (files === null) return makeResult(reqid, { data: B.str('more') });
      this.assembling.delete(hash);
      this.store.write(hash, files);
      this.log.info(`stored site ${hash} (${files.size} files)`);
      return makeResult(reqid, { data: B.str('complete') });
    } catch (err) {
      const msg = err instanceof SiteError ? err.message : `site ${short(hash)} refused: ${(err as Error).message}`;
      this.log.warning(`stage_site_request ${short(reqid)}: ${msg}`);
      return makeResult(reqid, { success: false, error: msg });
    }
  }

  // ---- deployment --------------------------------------------------------------------

  /**
   * Before a deployment of `config` (which carries site `hash`) reaches any agent: each
   * instance must take sites, get it and check it. Never rejects.
   */
  async prepare(hash: string, config: Configuration, instances: string[]): Promise<SitePrepareOutcome> {
    const results: Result[] = [];
    const fail = (error: string): Result => makeResult('', { success: false, error });
    const foreign = instances.filter((n) => !this.isCapable(n));
    if (foreign.length > 0) {
      for (const n of foreign) results.push(fail(`instance '${n}' cannot take the site ${hash}: its agent does not announce site support (a Zeek agent?); nothing was deployed`));
      return { ok: false, results };
    }
    let files: SiteFiles;
    try {
      files = this.store.read(hash);
    } catch (err) {
      return { ok: false, results: [fail(`site ${hash} is not available on the controller: ${(err as Error).message}`)] };
    }
    const packed = packSite(files);
    const chunks = chunkPacked(packed);
    if (chunks[0].hash !== hash) return { ok: false, results: [fail(`site ${hash} on the controller's disk no longer matches its hash (now ${chunks[0].hash}); stage it again`)] };

    const distribute = async (name: string): Promise<void> => {
      for (const c of chunks) {
        const [, r] = await this.call(name, SiteApi.site_chunk_request, [B.str(c.hash), B.count(BigInt(c.index)), B.count(BigInt(c.total)), B.str(c.data)]);
        const res = readResult(r);
        if (!res.success) throw new Error(`instance '${name}' refused the site ${hash}: ${res.error ?? 'no reason given'}`);
        if (res.data === 'complete') return;
      }
      throw new Error(`instance '${name}' did not confirm the site ${hash} after its last chunk`);
    };
    const stored = await Promise.allSettled(instances.map(distribute));
    stored.forEach((s) => { if (s.status === 'rejected') results.push(fail((s.reason as Error).message)); });
    if (results.length > 0) return { ok: false, results };

    const configData = configurationToData(config);
    const checks = await Promise.allSettled(instances.map(async (name) => {
      const [, v] = await this.call(name, SiteApi.site_check_request, [B.str(hash), configData]);
      if (v?.type !== 'vector') throw new Error(`instance '${name}' answered the site check with ${v?.type ?? 'nothing'}`);
      return { name, rs: v.value.map(readResult) };
    }));
    let ok = true;
    checks.forEach((c, i) => {
      if (c.status === 'rejected') {
        ok = false;
        results.push(fail((c.reason as Error).message));
        return;
      }
      for (const r of c.value.rs) {
        if (!r.success) ok = false;
        results.push(r.success
          ? makeResult('', { instance: instances[i], data: B.str(r.data ?? '') })
          : fail(`instance '${instances[i]}': site check failed: ${r.error ?? 'no reason given'}`));
      }
    });
    return { ok, results };
  }

  /** Asks each instance what its disk holds of site `hash`: one Result per instance, data JSON {hash, state, detail}. */
  async status(hash: string | null, instances: string[]): Promise<Result[]> {
    return Promise.all(instances.map(async (name): Promise<Result> => {
      if (!this.isCapable(name)) return makeResult('', { success: false, instance: name, error: `instance '${name}' does not report sites (a Zeek agent?)` });
      try {
        const [, r] = await this.call(name, SiteApi.site_status_request, [B.str(hash ?? '')]);
        const res = readResult(r);
        return makeResult('', { success: res.success, instance: name, error: res.error, data: res.data !== null ? B.str(res.data) : null });
      } catch (err) {
        return makeResult('', { success: false, instance: name, error: (err as Error).message });
      }
    }));
  }

  close(): void {
    this.calls.close();
  }
}

/** A site response's Result, loosely: success, error, a string data. */
function readResult(d: BrokerData | undefined): { success: boolean; error: string | null; data: string | null } {
  if (d?.type !== 'vector') return { success: false, error: `malformed response (${d?.type ?? 'nothing'} instead of a Management::Result)`, data: null };
  const f = d.value;
  const success = f[1]?.type === 'boolean' ? f[1].value : false;
  const error = f[4]?.type === 'string' ? f[4].value : null;
  const data = f[3]?.type === 'string' ? f[3].value : null;
  return { success, error, data };
}
