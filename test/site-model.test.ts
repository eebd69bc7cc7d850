// The site model (sdk/site) and its disk store (framework/site/store.ts): hashing,
// path checks, the canonical stream, chunk reassembly, and what hostile input does
// (refused with a reason; nothing already stored changes).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chunkPacked, diffSiteManifests, hashPacked, packSite, readSiteDir, SiteAssembler, SiteError, siteFromRecord, siteHash,
  siteManifest, sitePathProblem, unpackSite,
} from '../sdk/site/site';
import { applySite, configurationSite, withoutSiteEnv } from '../sdk/site/apply';
import { SiteStore } from '../framework/site/store';
import type { Configuration } from '../sdk/model/schemas';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-site-model-'));
const files = (r: Record<string, string>): Map<string, Buffer> => new Map(Object.entries(r).map(([k, v]) => [k, Buffer.from(v)]));

/** A stream as packSite writes it, but of any paths (for hostile cases). */
function rawStream(entries: Array<[string, string]>): Buffer {
  return Buffer.concat(entries.flatMap(([p, c]) => [Buffer.from(`${p}\0${Buffer.byteLength(c)}\0`), Buffer.from(c)]));
}

describe('site model', () => {
  it('hashes the files, not the order they were read in', () => {
    const a = siteHash(files({ 'local.zeek': 'redef x = 1;\n', 'scripts/a.zeek': 'A' }));
    const b = siteHash(new Map([['scripts/a.zeek', Buffer.from('A')], ['local.zeek', Buffer.from('redef x = 1;\n')]]));
    assert.equal(a, b);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(a, siteHash(files({ 'local.zeek': 'redef x = 2;\n', 'scripts/a.zeek': 'A' })));
    // Moving content between files changes the hash (path and size are in the stream).
    assert.notEqual(siteHash(files({ a: 'xy', b: '' })), siteHash(files({ a: 'x', b: 'y' })));
  });

  it('refuses paths that leave the site or are not plain relative paths', () => {
    for (const bad of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'a//b', './a', 'a\\b', 'a\0b', 'a\nb', '']) {
      assert.notEqual(sitePathProblem(bad), null, JSON.stringify(bad));
      assert.throws(() => siteFromRecord({ [bad]: 'x' }), SiteError, JSON.stringify(bad));
    }
    assert.equal(sitePathProblem('local.zeek'), null);
    assert.equal(sitePathProblem('site-scripts/x.zeek'), null);
    assert.throws(() => siteFromRecord({ a: 'x', 'a/b': 'y' }), /both a file and the directory/);
  });

  it('round-trips through the canonical stream and refuses streams packSite would not write', () => {
    const f = files({ 'local.zeek': 'L', 'x/y.zeek': 'Y' });
    assert.deepEqual(unpackSite(packSite(f)), f);
    assert.throws(() => unpackSite(rawStream([['../x', 'a']])), /leaves the site directory/);
    assert.throws(() => unpackSite(rawStream([['/abs', 'a']])), /absolute/);
    assert.throws(() => unpackSite(rawStream([['b', '1'], ['a', '2']])), /out of order/);
    assert.throws(() => unpackSite(rawStream([['a', '1'], ['a', '2']])), /out of order or repeated/);
    assert.throws(() => unpackSite(Buffer.from('a\u00005\u0000ab')), /cut short/);
    assert.throws(() => unpackSite(Buffer.from('a\u0000x5\u0000ab')), /size of/);
  });

  it('reads a directory, refusing symbolic links and counting the size limit', () => {
    const d = tmp();
    try {
      fs.mkdirSync(path.join(d, 'site-scripts'));
      fs.writeFileSync(path.join(d, 'local.zeek'), '@load ./site-scripts/a\n');
      fs.writeFileSync(path.join(d, 'site-scripts', 'a.zeek'), 'const a = 1 &redef;\n');
      const f = readSiteDir(d);
      assert.deepEqual([...f.keys()], ['local.zeek', 'site-scripts/a.zeek']);
      assert.throws(() => readSiteDir(d, { maxBytes: 10, maxFiles: 100 }), /more than the limit of 10 bytes/);
      assert.throws(() => readSiteDir(d, { maxBytes: 1000, maxFiles: 1 }), /more than the limit of 1 files/);
      fs.symlinkSync('/etc/passwd', path.join(d, 'site-scripts', 'passwd'));
      assert.throws(() => readSiteDir(d), /passwd is a symbolic link/);
      assert.throws(() => readSiteDir(path.join(d, 'nope')), /no such directory/);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('reassembles chunks in order and refuses bad chunks, wrong hashes and oversized sites', () => {
    const f = files({ 'local.zeek': 'x'.repeat(5000), 'b.zeek': 'y'.repeat(3000) });
    const packed = packSite(f);
    const chunks = chunkPacked(packed, 1024);
    assert.equal(chunks.length, Math.ceil(packed.length / 1024));
    const asm = new SiteAssembler(chunks[0].hash);
    let out = null;
    for (const c of chunks) out = asm.add(c);
    assert.deepEqual(out, f);

    const fresh = (): SiteAssembler => new SiteAssembler(chunks[0].hash);
    assert.throws(() => fresh().add(chunks[1]), /chunk 1 of \d+ arrived, expected chunk 0/);
    assert.throws(() => fresh().add({ ...chunks[0], data: '!!!!' }), /not valid base64/);
    assert.throws(() => fresh().add({ ...chunks[0], total: 0 }), /bad chunk count/);
    assert.throws(() => fresh().add({ ...chunks[0], total: 10 ** 9 }), /more than its size limit allows/);
    const a2 = fresh();
    a2.add(chunks[0]);
    assert.throws(() => a2.add({ ...chunks[1], total: chunks[1].total + 1 }), /earlier ones said/);
    // Content that does not hash to the announced hash.
    const other = chunkPacked(packSite(files({ a: 'z' })), 1024);
    assert.throws(() => new SiteAssembler(chunks[0].hash).add({ ...other[0], hash: chunks[0].hash }), /does not match its hash/);
    // A correct hash over a stream with a hostile path.
    const evil = rawStream([['../../evil.zeek', 'x']]);
    const ec = chunkPacked(evil, 1024);
    assert.throws(() => new SiteAssembler(ec[0].hash).add(ec[0]), /leaves the site directory/);
    // Over the size limit while arriving.
    const big = chunkPacked(packed, 4096);
    const small = new SiteAssembler(big[0].hash, { maxBytes: 4096, maxFiles: 0 });
    assert.throws(() => { for (const c of big) small.add(c); }, /more than the limit of 4096 bytes/);
    assert.throws(() => new SiteAssembler('sha256:xyz'), /not a site hash/);
  });

  it('diffs manifests per file', () => {
    const before = siteManifest(files({ 'local.zeek': 'a', 'old.zeek': 'o', 'same.zeek': 's' }));
    const after = siteManifest(files({ 'local.zeek': 'b', 'new.zeek': 'n', 'same.zeek': 's' }));
    assert.deepEqual(diffSiteManifests(before, after), { added: ['new.zeek'], changed: ['local.zeek'], removed: ['old.zeek'] });
    assert.deepEqual(diffSiteManifests(null, after), { added: ['local.zeek', 'new.zeek', 'same.zeek'], changed: [], removed: [] });
  });

  it('marks a configuration with its site in Zeek\'s Node env and scripts', () => {
    const config: Configuration = {
      id: 'c', instances: [{ name: 'i', host: '127.0.0.1', listen_port: null }],
      nodes: [
        { name: 'm', instance: 'i', role: 'MANAGER', state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null },
        { name: 'w', instance: 'i', role: 'WORKER', state: 'RUNNING', port: null, scripts: ['policy/misc/stats'], options: null, interface: 'lo', cpu_affinity: null, env: { A: 'b' }, metrics_port: null },
      ],
    };
    const f = files({ 'local.zeek': 'x', 'worker.zeek': 'w' });
    const h = siteHash(f);
    const marked = applySite(config, h, f, { roles: { WORKER: ['worker'] } });
    assert.deepEqual(marked.nodes.map((n) => n.scripts), [['local'], ['policy/misc/stats', 'local', 'worker']]);
    assert.deepEqual(marked.nodes.map((n) => n.env), [{ ZEEK_MGMT_SITE: h }, { A: 'b', ZEEK_MGMT_SITE: h }]);
    assert.deepEqual(configurationSite(marked), { hash: h });
    assert.deepEqual(configurationSite(config), { hash: null });
    assert.deepEqual(withoutSiteEnv(marked).nodes.map((n) => n.env), [{}, { A: 'b' }]);
    const mixed = { ...marked, nodes: [marked.nodes[0], config.nodes[1]] };
    assert.match(configurationSite(mixed).error ?? '', /carry no ZEEK_MGMT_SITE/);
    const bogus = { ...config, nodes: config.nodes.map((n) => ({ ...n, env: { ZEEK_MGMT_SITE: 'x' } })) };
    assert.match(configurationSite(bogus).error ?? '', /not a site hash/);
  });
});

describe('site store', () => {
  let root: string;
  beforeEach(() => { root = tmp(); });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes one directory per hash, atomically, keeps N and never the one in use', () => {
    const store = new SiteStore(path.join(root, 'sites'), 1);
    const sites = [1, 2, 3, 4].map((i) => files({ 'local.zeek': `redef x = ${i};` }));
    const hashes = sites.map(siteHash);
    store.write(hashes[0], sites[0]);
    assert.equal(store.verify(hashes[0]).state, 'ok');
    assert.equal(fs.readFileSync(path.join(store.dir(hashes[0]), 'local.zeek'), 'utf8'), 'redef x = 1;');
    store.write(hashes[1], sites[1], [hashes[0]]);
    store.write(hashes[2], sites[2], [hashes[0]]);
    // keep 1 old one besides the one in use (0) and the one just stored (2).
    assert.deepEqual(new Set(store.list()), new Set([hashes[0], hashes[1], hashes[2]]));
    store.write(hashes[3], sites[3], [hashes[0]]);
    assert.deepEqual(new Set(store.list()), new Set([hashes[0], hashes[2], hashes[3]]));
    assert.equal(fs.readdirSync(store.root).filter((n) => n.startsWith('.tmp-')).length, 0);
  });

  it('refuses content that does not match the hash, leaving what is stored', () => {
    const store = new SiteStore(path.join(root, 'sites'), 3);
    const f = files({ 'local.zeek': 'a' });
    const h = siteHash(f);
    store.write(h, f);
    assert.throws(() => store.write(h, files({ 'local.zeek': 'b' })), /does not match its hash/);
    assert.equal(store.verify(h).state, 'ok');
    assert.equal(hashPacked(packSite(store.read(h))), h);
  });

  it('sees an out-of-band edit, a removal and a planted symlink', () => {
    const store = new SiteStore(path.join(root, 'sites'), 3);
    const f = files({ 'local.zeek': 'a', 'x/y.zeek': 'y' });
    const h = siteHash(f);
    store.write(h, f);
    fs.appendFileSync(path.join(store.dir(h), 'local.zeek'), '\nredef evil = T;');
    assert.equal(store.verify(h).state, 'modified');
    fs.writeFileSync(path.join(store.dir(h), 'local.zeek'), 'a');
    assert.equal(store.verify(h).state, 'ok');
    fs.symlinkSync('/etc/passwd', path.join(store.dir(h), 'x', 'p'));
    assert.equal(store.verify(h).state, 'modified');
    fs.rmSync(store.dir(h), { recursive: true });
    assert.equal(store.verify(h).state, 'missing');
  });
});
