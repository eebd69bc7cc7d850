// The controller the CLI benches talk to: a real `zeek-mgmt run` (Supervisor, controller
// and agent) on free loopback ports in a temporary state directory, ready once a
// get-instances through the bin names the agent; stopped by its pid.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../provider/free-ports';

export interface Cluster { proc: ChildProcess; dir: string; controller: string; agent: string }

/** Starts `zeek-mgmt run` through `cli` (the bin) with the environment `env(extra)` gives. */
export async function startCluster(cli: string, env: (extra?: Record<string, string>) => NodeJS.ProcessEnv): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-bench-cli-'));
  const [ws, ctl, agent, sup] = [await freePorts(), await freePorts(), await freePorts(), await freePorts()];
  const proc = spawn(process.execPath, [cli, 'run', `Broker::default_port=${sup}/tcp`], {
    cwd: dir,
    env: env({
      ZEEK_MANAGEMENT_STATE_DIR: dir,
      ZEEK_CONTROLLER_WEBSOCKET_PORT: String(ws),
      ZEEK_CONTROLLER_PORT: String(ctl),
      ZEEK_AGENT_PORT: String(agent),
      ZEEK_CONTROLLER_ADDR: '127.0.0.1',
      ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const controller = `127.0.0.1:${ws}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`zeek-mgmt run exited with ${proc.exitCode}: ${err}`);
    const r = spawnSync(process.execPath, [cli, '--controller', controller, '--set', 'client.peering_attempts=1', '-q', 'get-instances'], { env: env(), encoding: 'utf8' });
    if (r.status === 0) {
      const names = Object.keys(JSON.parse(r.stdout) as object);
      if (names.length > 0) return { proc, dir, controller, agent: names[0] };
    }
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`zeek-mgmt run did not get ready within 20 s: ${err}`);
    }
    await new Promise((r2) => setTimeout(r2, 200));
  }
}

export async function stopCluster(c: Cluster): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
    process.kill(c.proc.pid as number, 'SIGTERM');
    await exited;
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}
