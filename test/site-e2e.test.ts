// Site policy end to end (issue 23): `zeek-mgmt run` with emulated nodes (always) and
// with real zeek nodes (skipped without a zeek binary, and under CI unless ZEEK is set).
// A site whose local.zeek loads a site script and redefs its identifier is deployed with
// `deploy-config --site`, read back with get-id-value, changed (plan shows the file,
// apply deploys it), refused when it has a syntax error (real zeek: file and line, the old
// nodes keep their pids; emulated: reported as not checked), edited out of band on the
// agent's disk (drift sees it), and rolled back.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, CliResult, LiveCluster, startCluster, tempDir } from './cli-harness';
import { findZeek } from './helpers/real-zeek';

const zeek = findZeek();

type NodeRow = { state: string; pid?: number; cluster_role?: string | null };

function writeSite(dir: string, answer: number, extra: Record<string, string> = {}): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'site-scripts'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'site-scripts', 'answer.zeek'), 'const site_answer = 42 &redef;\nconst site_name = "sensors" &redef;\n');
  fs.writeFileSync(path.join(dir, 'local.zeek'), `# The site's policy, as ZeekControl's local.zeek.\n@load ./site-scripts/answer\n\nredef site_answer = ${answer};\n`);
  for (const [p, c] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), c);
  }
}

function siteSuite(title: string, real: boolean, settings: string[]): void {
  describe(title, function () {
    this.timeout(real ? 240_000 : 90_000);
    let c: LiveCluster;
    let dir: string;
    let ini: string;
    let site: string;
    const z = (...args: string[]): Promise<CliResult> => cli(['--controller', c.controller, ...args], { timeoutMs: 90_000 });
    const nodes = async (): Promise<Record<string, NodeRow>> => {
      const r = await z('get-nodes');
      const all = (JSON.parse(r.stdout) as { results: Record<string, Record<string, NodeRow>> }).results[c.agentName] ?? {};
      return Object.fromEntries(Object.entries(all).filter(([, v]) => v.cluster_role));
    };
    const values = async (id: string): Promise<Record<string, unknown>> => {
      const r = await z('get-id-value', id);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return (JSON.parse(r.stdout) as { results: Record<string, unknown> }).results;
    };
    const agentSites = (): string => path.join(c.dir, 'nodes', c.agentName, 'sites');

    before(async () => {
      dir = tempDir('zeek-mgmt-site-e2e-');
      ini = path.join(dir, 'cluster.ini');
      site = path.join(dir, 'zeek-site');
      // The documentation's mini configuration, both workers on lo.
      fs.writeFileSync(ini, '[manager]\nrole = manager\n\n[logger]\nrole = logger\n\n[worker-01]\nrole = worker\ninterface = lo\n\n[worker-02]\nrole = worker\ninterface = lo\n');
      writeSite(site, 43);
      c = await startCluster({ settings: [...settings, 'ZeekMgmt::site_keep=1', 'Management::Request::timeout_interval=60 secs'] });
    });

    after(async () => {
      if (c) {
        await cli(['--controller', c.controller, 'deploy-config', '/dev/null'], { timeoutMs: 30000 }).catch(() => undefined);
        await c.stop();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('deploy-config --site deploys the site to the nodes, which answer get-id-value with its values', async () => {
      const r = await z('deploy-config', '--site', site, ini);
      assert.equal(r.code, 0, r.stdout + r.stderr + c.output().slice(-4000));
      const res = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean }>; site: string[] } };
      assert.deepEqual(res.errors, []);
      for (const n of Object.values(res.results.nodes)) assert.equal(n.success, true);
      assert.equal(res.results.site.length, 1, JSON.stringify(res.results));
      if (real) assert.match(res.results.site[0], /checked on instance '[^']+' with zeek: /);
      else assert.match(res.results.site[0], /not checked on instance '[^']+': its nodes run in the emulated runtime/);
      const v = await values('site_answer');
      assert.deepEqual(Object.keys(v).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
      for (const x of Object.values(v)) assert.equal(x, 43);
      for (const x of Object.values(await values('site_name'))) assert.equal(x, 'sensors');
      // The configuration carries the site's hash, and get-config shows it.
      const g = await z('get-config', '--deployed');
      assert.match(g.stdout, /env = ZEEK_MGMT_SITE=sha256:[0-9a-f]{64}/);
      assert.match(g.stdout, /scripts = local/);
      assert.equal(fs.readdirSync(agentSites()).filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 1);
    });

    it('plan --site lists the changed file (text and JSON); apply deploys it and the nodes have the new value', async () => {
      writeSite(site, 44, { 'site-scripts/extra.zeek': '# new\n' });
      const t = await z('plan', '--no-color', '--site', site, ini);
      assert.equal(t.code, 2, t.stdout + t.stderr);
      assert.match(t.stdout, /no node changes/);
      assert.match(t.stdout, /~ site sha256:[0-9a-f]{64} -> sha256:[0-9a-f]{64}/);
      assert.match(t.stdout, / {6}~ local\.zeek\n/);
      assert.match(t.stdout, / {6}\+ site-scripts\/extra\.zeek\n/);
      assert.match(t.stdout, /Site: 1 site file to add, 1 to change, 0 to remove\./);
      const j = await z('plan', '--json', '--site', site, ini);
      assert.equal(j.code, 2);
      const doc = JSON.parse(j.stdout) as { has_changes: boolean; changes: unknown[]; site: { added: string[]; changed: string[]; removed: string[] } };
      assert.equal(doc.has_changes, true);
      assert.deepEqual(doc.changes, []);
      assert.deepEqual([doc.site.added, doc.site.changed, doc.site.removed], [['site-scripts/extra.zeek'], ['local.zeek'], []]);
      const a = await z('apply', '--site', site, ini);
      assert.equal(a.code, 0, a.stdout + a.stderr + c.output().slice(-4000));
      for (const x of Object.values(await values('site_answer'))) assert.equal(x, 44);
      // Unchanged now.
      const again = await z('plan', '--site', site, ini);
      assert.equal(again.code, 0, again.stdout);
    });

    if (real) {
      it('a site with a syntax error is refused with file and line; the running nodes keep their pids', async () => {
        const before = await nodes();
        const bad = path.join(dir, 'bad-site');
        writeSite(bad, 45, {});
        fs.appendFileSync(path.join(bad, 'site-scripts', 'answer.zeek'), 'redef site_answer = 45 46;\n');
        const r = await z('apply', '--site', bad, ini);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const errs = (JSON.parse(r.stdout) as { errors: string[] }).errors.join('\n');
        assert.match(errs, /site check failed: \w+ [\w-]+: error in site-scripts\/answer\.zeek, line 3: syntax error, at or near "46"/, errs);
        assert.doesNotMatch(errs, /zeek-mgmt-site-check-|\/sites\/[0-9a-f]{64}\//, 'site paths are relative');
        const after = await nodes();
        for (const [name, n] of Object.entries(before)) assert.equal(after[name]?.pid, n.pid, name);
        for (const x of Object.values(await values('site_answer'))) assert.equal(x, 44);
      });
    }

    it("drift reports a site edited out of band on the agent's disk", async () => {
      const clean = await z('drift', '--format', 'json', ini);
      const siteDoc = (JSON.parse(clean.stdout) as { site: { instances: Record<string, { state: string }> } }).site;
      assert.equal(siteDoc.instances[c.agentName].state, 'ok', clean.stdout);
      const [hex] = fs.readdirSync(agentSites()).filter((n) => /^[0-9a-f]{64}$/.test(n) && fs.existsSync(path.join(agentSites(), n, 'site-scripts', 'extra.zeek')));
      fs.appendFileSync(path.join(agentSites(), hex, 'local.zeek'), 'redef site_answer = 99;\n');
      const d = await z('drift', '--format', 'json');
      assert.equal(d.code, 2, d.stdout + d.stderr);
      const doc = JSON.parse(d.stdout) as { in_sync: boolean; site: { hash: string; instances: Record<string, { state: string; detail?: string }> } };
      assert.equal(doc.in_sync, false);
      assert.equal(doc.site.hash, `sha256:${hex}`);
      assert.equal(doc.site.instances[c.agentName].state, 'modified');
      const md = await z('drift');
      assert.match(md.stdout, new RegExp(`\\| ${c.agentName} \\| modified \\|`));
    });

    it('apply of the previous site rolls back its files and values; old sites beyond the setting are removed', async () => {
      writeSite(site, 43);
      const a = await z('apply', '--site', site, ini);
      assert.equal(a.code, 0, a.stdout + a.stderr);
      for (const x of Object.values(await values('site_answer'))) assert.equal(x, 43);
      const d = await z('drift', '--format', 'json');
      assert.equal(d.code, 0, d.stdout);
      // site_keep=1: the one in use and at most one older one.
      assert.ok(fs.readdirSync(agentSites()).filter((n) => /^[0-9a-f]{64}$/.test(n)).length <= 2);
    });

    it('deploy-config without --site removes the site; get-config is then without its mark', async () => {
      const r = await z('deploy-config', ini);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const g = await z('get-config', '--deployed');
      assert.doesNotMatch(g.stdout, /ZEEK_MGMT_SITE/);
      const v = await z('get-id-value', 'site_answer');
      assert.equal(v.code, 1);
    });
  });
}

siteSuite('site policy with emulated nodes', false, []);
(zeek ? describe : describe.skip)(`site policy with real zeek nodes${zeek ? '' : ' (skipped: no zeek binary; set ZEEK or put zeek on PATH)'}`, () => {
  if (zeek) siteSuite('deployed by our agent', true, ['Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`]);
});
