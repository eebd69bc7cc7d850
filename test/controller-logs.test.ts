// The controller's logs: the management log of JSON lines with Zeek's columns in its
// working directory, and the stdout/stderr files when it writes them itself; a bad
// start-up is reported on stderr with exit status 1.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { B } from '../sdk/broker/data';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { ControllerClient } from '../sdk/client/controller-client';
import { CONTROLLER_MAIN, ControllerProcess, eventually, startControllerProcess, tempDir } from './helpers/controller-process';

describe('controller logs', function () {
  this.timeout(20_000);
  let ctl: ControllerProcess | undefined;

  afterEach(async () => {
    await ctl?.stop();
    ctl = undefined;
  });

  it('writes management.log as JSON lines {ts, node, level, role, message} with Zeek\'s rx/tx lines', async () => {
    ctl = await startControllerProcess({ settings: { name: 'controller-logtest' } });
    const c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, requestTimeoutSecs: 5 });
    const r = await c.getInstances();
    await c.close();
    await eventually(() => ctl!.logEntries().some((e) => e.message === `tx Management::Controller::API::get_instances_response ${r.reqid}`), 'the tx line');
    const entries = ctl.logEntries();
    for (const e of entries) {
      assert.deepEqual(Object.keys(e), ['ts', 'node', 'level', 'role', 'message']);
      assert.equal(e.node, 'controller-logtest');
      assert.equal(e.role, 'CONTROLLER');
      assert.ok(['DEBUG', 'INFO', 'WARNING', 'ERROR'].includes(e.level));
      assert.ok(Math.abs(e.ts - Date.now() / 1000) < 60);
    }
    assert.match(entries[0].message, /^controller is live, Broker ID controller-logtest, Broker port 127\.0\.0\.1:\d+, websocket port 127\.0\.0\.1:\d+$/);
    assert.ok(entries.some((e) => e.message === `rx Management::Controller::API::get_instances_request ${r.reqid}`));
    // DEBUG lines only at level DEBUG.
    assert.ok(!entries.some((e) => e.level === 'DEBUG'));
  });

  it('writes the stdout and stderr files in its directory when asked to', async () => {
    const dir = tempDir();
    ctl = await startControllerProcess({ dir, settings: { writeOutputFiles: true, 'Management::Log::level': 'DEBUG' } }).catch((e: Error) => { throw e; });
    // The start-up line goes to the stdout file, not the process's stdout.
    assert.equal(ctl.stdout(), '');
    const rogue = await EndpointClient.connect({ host: '127.0.0.1', port: ctl.wsPort, topics: ['zeek/management/controller'], attempts: 2, retryDelayMs: 100 });
    rogue.publishEvent('zeek/management/controller', { name: 'No::such_event', args: [B.str('x')] });
    await eventually(() => fs.existsSync(path.join(dir, 'stderr')) && /unknown event No::such_event/.test(fs.readFileSync(path.join(dir, 'stderr'), 'utf8')), 'the warning in the stderr file');
    await rogue.close();
    assert.match(fs.readFileSync(path.join(dir, 'stdout'), 'utf8'), /controller is live, name controller-test/);
    assert.ok(ctl.logEntries().some((e) => e.level === 'DEBUG'));
  }).timeout(20_000);

  it('exits 1 with the reason on stderr when it cannot start', () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, [CONTROLLER_MAIN, '{"listenPort": "not-a-port"}'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ZEEK_MANAGEMENT_STATE_DIR: dir } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: controller could not start: listenPort: "not-a-port" is not a TCP port/);
  });
});
