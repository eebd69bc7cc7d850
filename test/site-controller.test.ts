// The controller's side of the site policy against hostile and foreign peers: a site
// sent in chunks that are malformed, out of order, of a content that does not match the
// hash, or of paths that leave the site directory, is refused chunk by chunk with a
// reason, and what is stored stays (the malformed-input matrix for sites); a configuration
// naming a site the controller does not hold is not staged; and a deployment with a site
// to an instance served by an agent that does not announce site support (as Zeek's own
// agents never do) fails before any deploy_request goes out, naming the instance.

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { ControllerClient } from '../sdk/client/controller-client';
import { AgentApi, SiteApi } from '../sdk/model/events';
import { resultFromData } from '../sdk/model/records';
import { applySite } from '../sdk/site/apply';
import { chunkPacked, packSite, siteFromRecord, siteHash } from '../sdk/site/site';
import { SiteStore } from '../framework/site/store';
import { miniConfig } from './helpers/controller-configs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

/** A hash that is not `h` (its last digit changed). */
const otherHash = (h: string): string => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

function rawStream(entries: Array<[string, string]>): Buffer {
  return Buffer.concat(entries.flatMap(([p, c]) => [Buffer.from(`${p}\0${Buffer.byteLength(c)}\0`), Buffer.from(c)]));
}

describe('controller and sites', function () {
  this.timeout(30_000);
  let ctl: ControllerProcess;
  let client: ControllerClient;
  const good = siteFromRecord({ 'local.zeek': 'const site_answer = 42 &redef;\n' });
  const goodHash = siteHash(good);

  before(async () => {
    ctl = await startControllerProcess({ settings: { requestTimeoutMs: 4000 } });
    client = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 5 });
    const r = await client.stageSite(packSite(good));
    assert.equal(r.success, true, r.error ?? '');
  });

  after(async () => {
    await client?.close();
    await ctl?.stop();
  });

  const chunk = async (hash: string, index: number, total: number, data: string): Promise<{ success: boolean; error: string | null }> => {
    const ev = await client.transact(SiteApi.stage_site_request, SiteApi.stage_site_response, [B.str(hash), B.count(BigInt(index)), B.count(BigInt(total)), B.str(data)]);
    return resultFromData(ev.args[1], '$');
  };

  it('refuses hostile site chunks with a reason, keeping what is stored', async () => {
    const evilDotDot = rawStream([['../../evil.zeek', 'x']]);
    const evilAbs = rawStream([['/etc/cron.d/evil', 'x']]);
    const big = packSite(siteFromRecord({ 'a.zeek': 'x'.repeat(600 * 1024) }));
    const bigChunks = chunkPacked(big);
    const cases: Array<[string, () => Promise<{ success: boolean; error: string | null }>, RegExp]> = [
      ['not a hash', () => chunk('md5:abc', 0, 1, ''), /not a site hash/],
      ['bad base64', () => chunk(otherHash(goodHash), 0, 1, '@@@@'), /not valid base64/],
      ['wrong hash', () => chunk(otherHash(goodHash), 0, 1, packSite(good).toString('base64')), /does not match its hash/],
      ['../ path', () => chunk(chunkPacked(evilDotDot)[0].hash, 0, 1, evilDotDot.toString('base64')), /leaves the site directory/],
      ['absolute path', () => chunk(chunkPacked(evilAbs)[0].hash, 0, 1, evilAbs.toString('base64')), /absolute/],
      ['chunk without a start', () => chunk(bigChunks[1].hash, 1, bigChunks.length, bigChunks[1].data), /no transfer of it is in progress/],
      ['too many chunks for the size limit', () => chunk(goodHash, 0, 10 ** 9, ''), /more than its size limit allows/],
      ['chunk out of order', async () => {
        const first = await chunk(bigChunks[0].hash, 0, bigChunks.length, bigChunks[0].data);
        assert.equal(first.success, true);
        return chunk(bigChunks[2].hash, 2, bigChunks.length, bigChunks[2].data);
      }, /chunk 2 of 3 arrived, expected chunk 1/],
      ['garbage stream with a right hash', () => {
        const junk = Buffer.from('no nul here at all');
        return chunk(chunkPacked(junk)[0].hash, 0, 1, junk.toString('base64'));
      }, /malformed site stream/],
    ];
    for (const [what, run, re] of cases) {
      const r = await run();
      assert.equal(r.success, false, what);
      assert.match(r.error ?? '', re, `${what}: ${r.error}`);
    }
    // Wrong argument types are a Broker error, not a crash.
    client.send(SiteApi.stage_site_request, [B.str('x'), B.str('not a count')]);
    // Nothing stored changed, nothing hostile was written.
    const store = new SiteStore(path.join(ctl.dir, 'controller', 'sites'));
    assert.deepEqual(store.list(), [goodHash]);
    assert.equal(store.verify(goodHash).state, 'ok');
    assert.deepEqual(Object.keys((await client.getSiteManifest(goodHash)) ?? {}), ['local.zeek']);
    assert.equal(await client.getSiteManifest(otherHash(goodHash)), null);
    // And the controller still serves.
    const again = await client.stageSite(packSite(good));
    assert.equal(again.success, true);
  });

  it('does not stage a configuration naming a site it does not hold', async () => {
    const other = siteFromRecord({ 'local.zeek': 'x' });
    const cfg = applySite(miniConfig('agent-testbox'), siteHash(other), other);
    const rs = await client.stageConfiguration(cfg);
    assert.equal(rs[0].success, false);
    assert.match(rs[0].error ?? '', /site sha256:[0-9a-f]{64} is not staged on this controller/);
  });

  it('fails a deployment with a site to an agent without site support, before any deploy_request', async () => {
    const agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox' });
    try {
      const cfg = applySite(miniConfig('agent-testbox'), goodHash, good);
      const staged = await client.stageConfiguration(cfg);
      assert.equal(staged[0].success, true, staged[0].error ?? '');
      const rs = await client.deploy();
      const errors = rs.filter((r) => !r.success).map((r) => r.error);
      assert.equal(errors.length, 1, JSON.stringify(rs));
      assert.match(errors[0] ?? '', /instance 'agent-testbox' cannot take the site sha256:[0-9a-f]{64}: its agent does not announce site support/);
      assert.equal(agent.count(AgentApi.deploy_request), 0);
      assert.equal(agent.count(SiteApi.site_chunk_request), 0);
      // Without a site the same agent deploys as before.
      const plain = await client.stageConfiguration(miniConfig('agent-testbox'));
      assert.equal(plain[0].success, true);
      const ok = await client.deploy();
      assert.equal(ok.every((r) => r.success), true, JSON.stringify(ok));
      assert.equal(agent.count(AgentApi.deploy_request), 1);
    } finally {
      await agent.close();
    }
  });
});
