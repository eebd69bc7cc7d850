// A deployment that waits on an agent, tried as a new user would: `zeek-mgmt run` with
// Management::Agent::name=agent-testbox, and an .ini without an [instances] section, which
// zeek-client's instance-local simplification puts on agent-<hostname>. stage-config, plan
// and apply warn on stderr (stdout stays zeek-client's JSON); the deployment's timeout
// names the instance that never connected and the one that did.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, CliResult, HOST_AGENT, LiveCluster, startCluster, tempDir } from './cli-harness';

const AGENT = HOST_AGENT === 'agent-testbox' ? 'agent-othertestbox' : 'agent-testbox';
const INI = '[manager]\nrole = manager\n\n[logger]\nrole = logger\n\n[worker-01]\nrole = worker\ninterface = lo\n';

describe('deployments waiting on an agent that never connects', function () {
  this.timeout(60000);
  let cluster: LiveCluster;
  let dir: string;
  let implied: string;
  let named: string;
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', cluster.controller, ...args]);
  const warning = `warning: instance '${HOST_AGENT}' is not connected to the controller (connected: ${AGENT}); a deployment waits for its agent and times out; name the instance '${AGENT}' in the configuration, or start its agent with Management::Agent::name=${HOST_AGENT}\n`;
  const timedOut = `request timed out: instance '${HOST_AGENT}' is not connected (connected: ${AGENT})`;
  // Its nodes, not deployed (zeek-client lists node results without their error).
  const notDeployed = { nodes: Object.fromEntries(['logger', 'manager', 'worker-01'].map((n) => [n, { instance: HOST_AGENT, success: false }])) };

  before(async () => {
    cluster = await startCluster({ agentName: AGENT, settings: ['Management::Request::timeout_interval=2sec'] });
    dir = tempDir();
    implied = path.join(dir, 'implied.ini');
    fs.writeFileSync(implied, INI);
    named = path.join(dir, 'named.ini');
    fs.writeFileSync(named, INI.replace(/role = (\w+)\n/g, `instance = ${AGENT}\nrole = $1\n`).replace(/^/, `[instances]\n${AGENT}\n\n`));
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stage-config stages it, prints zeek-client\'s JSON, and warns on stderr', async () => {
    const r = await z('stage-config', implied);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout)), ['errors', 'results']);
    assert.deepEqual(JSON.parse(r.stdout).errors, []);
    assert.equal(r.stderr, warning);
    // -q silences it.
    const quiet = await z('-q', 'stage-config', implied);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '');
  });

  it('plan warns before the plan; apply warns, then fails with the timeout naming both instances', async () => {
    const plan = await z('plan', '--json', implied);
    assert.equal(plan.code, 2, plan.stderr);
    assert.equal(plan.stderr, warning);
    JSON.parse(plan.stdout);

    const apply = await z('apply', implied);
    assert.equal(apply.code, 1);
    assert.ok(apply.stderr.startsWith('Plan for '), apply.stderr);
    assert.ok(apply.stderr.includes(`\nPlan: 4 to add, 0 to change, 0 to remove.\n${warning}`), apply.stderr);
    assert.deepEqual(JSON.parse(apply.stdout), { errors: [timedOut], results: notDeployed });
  });

  it('deploy-config answers with the same error (zeek-client\'s JSON shape, Zeek\'s text first)', async () => {
    const r = await z('deploy-config', implied);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { errors: [timedOut], results: notDeployed });
  });

  it('a configuration naming the connected agent gives no warning and deploys', async () => {
    const r = await z('apply', named);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    assert.ok(r.stderr.startsWith('Plan for ') && r.stderr.endsWith('\ninfo: deployed ' + named + '\n'), r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout).results.nodes).sort(), ['logger', 'manager', 'worker-01']);
    const staged = await z('stage-config', named);
    assert.equal(staged.stderr, '');
  });
});
