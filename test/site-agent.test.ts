// The agent's site store against what a controller (or a forged peer on the agent's
// topic) may send: chunks out of order, of a wrong hash, with a path leaving the site or
// of hostile content are refused with a reason, and the site in use stays as it was; a
// good site is stored and re-sent ones are answered at once; the check says honestly that
// emulated nodes did not check; status tells ok, modified, missing and stale apart.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentSites } from '../framework/agent/site';
import { Settings } from '../framework/settings/settings';
import { applySite } from '../sdk/site/apply';
import { chunkPacked, packSite, siteFromRecord, siteHash } from '../sdk/site/site';
import { miniConfig } from './helpers/controller-configs';

/** A hash that is not `h` (its last digit changed). */
const otherHash = (h: string): string => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

function rawStream(entries: Array<[string, string]>): Buffer {
  return Buffer.concat(entries.flatMap(([p, c]) => [Buffer.from(`${p}\0${Buffer.byteLength(c)}\0`), Buffer.from(c)]));
}

describe('agent site store', () => {
  let root: string;
  let sites: AgentSites;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-agent-site-'));
    sites = new AgentSites(path.join(root, 'sites'), 2, 'emulated', Settings.resolve({ env: {}, baseDir: root }), () => undefined);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const send = (packed: Buffer, chunkBytes = 1024, inUse: string | null = null): Array<ReturnType<AgentSites['chunk']>> =>
    chunkPacked(packed, chunkBytes).map((c) => sites.chunk(c.hash, c.index, c.total, c.data, inUse));

  it('stores a good site; the same site again is complete at the first chunk', () => {
    const f = siteFromRecord({ 'local.zeek': 'x'.repeat(3000), 'a/b.zeek': 'b' });
    const answers = send(packSite(f));
    assert.deepEqual(answers.map((a) => a.data), [...answers.slice(0, -1).map(() => 'more'), 'complete']);
    assert.equal(sites.store.verify(siteHash(f)).state, 'ok');
    const c0 = chunkPacked(packSite(f), 1024)[0];
    assert.deepEqual(sites.chunk(c0.hash, 0, c0.total, c0.data, null), { success: true, data: 'complete' });
  });

  it('refuses hostile chunks and leaves the site in use alone', () => {
    const good = siteFromRecord({ 'local.zeek': 'const a = 1 &redef;' });
    send(packSite(good));
    const inUse = siteHash(good);
    const before = fs.readFileSync(path.join(sites.store.dir(inUse), 'local.zeek'), 'utf8');
    const evil = rawStream([['../../../etc/evil', 'x']]);
    const abs = rawStream([['/tmp/evil', 'x']]);
    const big = packSite(siteFromRecord({ 'x.zeek': 'y'.repeat(5000) }));
    const bc = chunkPacked(big, 1024);
    const refused = [
      sites.chunk(chunkPacked(evil)[0].hash, 0, 1, evil.toString('base64'), inUse),
      sites.chunk(chunkPacked(abs)[0].hash, 0, 1, abs.toString('base64'), inUse),
      sites.chunk(otherHash(inUse), 0, 1, packSite(good).toString('base64'), inUse),
      sites.chunk(bc[0].hash, 1, bc.length, bc[1].data, inUse),
      sites.chunk('sha256:nothex', 0, 1, '', inUse),
      sites.chunk(bc[0].hash, 0, bc.length, '***', inUse),
    ];
    assert.deepEqual(refused.map((r) => r.success), [false, false, false, false, false, false]);
    assert.match(refused[0].error ?? '', /leaves the site directory/);
    assert.match(refused[1].error ?? '', /absolute/);
    assert.match(refused[2].error ?? '', /does not match its hash/);
    assert.match(refused[3].error ?? '', /no transfer of it is in progress/);
    assert.match(refused[4].error ?? '', /not a site hash/);
    assert.match(refused[5].error ?? '', /not valid base64/);
    assert.equal(fs.existsSync(path.join(root, 'etc')), false);
    assert.deepEqual(sites.store.list(), [inUse]);
    assert.equal(fs.readFileSync(path.join(sites.store.dir(inUse), 'local.zeek'), 'utf8'), before);
  });

  it('check says emulated nodes did not check; status tells ok, modified, stale and missing apart', async () => {
    const f = siteFromRecord({ 'local.zeek': 'redef x = 1;' });
    const h = siteHash(f);
    send(packSite(f));
    const config = applySite(miniConfig('agent-testbox'), h, f);
    const checked = await sites.check(h, config, 'agent-testbox');
    assert.deepEqual(checked, [{ success: true, data: `site ${h} not checked on instance 'agent-testbox': its nodes run in the emulated runtime, which does not parse Zeek scripts` }]);
    const state = (running: typeof config | null, expected = h): string => (JSON.parse(sites.status(expected, running).data!) as { state: string }).state;
    assert.equal(state(config), 'ok');
    assert.equal(state(null), 'stale');
    fs.appendFileSync(path.join(sites.store.dir(h), 'local.zeek'), '\n');
    assert.equal(state(config), 'modified');
    fs.rmSync(sites.store.dir(h), { recursive: true });
    assert.equal(state(config), 'missing');
    assert.equal(state(null, ''), 'none');
    const missing = await sites.check(h, config, 'agent-testbox');
    assert.equal(missing[0].success, false);
    assert.match(missing[0].error ?? '', /is not stored on instance 'agent-testbox'/);
  });
});
