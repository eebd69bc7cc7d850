// Starts the controller as a real child process (node dist/framework/controller/main.js)
// in a temporary working directory, on free ports, and stops it again by pid.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CONTROLLER_MAIN = path.resolve(__dirname, '../../dist/framework/controller/main.js');

export interface ControllerProcess {
  proc: ChildProcess;
  pid: number;
  dir: string;
  wsPort: number;
  agentPort: number;
  stdout: () => string;
  stderr: () => string;
  /** The management log's entries so far. */
  logEntries: () => Array<{ ts: number; node: string; level: string; role: string; message: string }>;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
  /** SIGKILL and wait for exit. */
  kill9: () => Promise<void>;
}

export function tempDir(prefix = 'zeek-mgmt-ctl-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartOptions {
  /** Working directory (a fresh temp dir by default); the state dir defaults to it. */
  dir?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Fixed ports instead of free ones (e.g. to restart on the same ports). */
  wsPort?: number;
  agentPort?: number;
}

export async function startControllerProcess(opts: StartOptions = {}): Promise<ControllerProcess> {
  if (!fs.existsSync(CONTROLLER_MAIN)) throw new Error(`${CONTROLLER_MAIN} is missing: run "npx tsc -p tsconfig.json" (npm test does) first`);
  const dir = opts.dir ?? tempDir();
  const settings = {
    listenAddress: '127.0.0.1',
    listenAddressWebsocket: '127.0.0.1',
    listenPort: opts.agentPort ?? 0,
    listenPortWebsocket: opts.wsPort ?? 0,
    name: 'controller-test',
    ...opts.settings,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ZEEK_MANAGEMENT_STATE_DIR: dir, ...opts.env };
  for (const k of ['ZEEK_CONTROLLER_PORT', 'ZEEK_CONTROLLER_WEBSOCKET_PORT', 'ZEEK_CONTROLLER_ADDR', 'ZEEK_CONTROLLER_WEBSOCKET_ADDR', 'ZEEK_CONTROLLER_NAME']) {
    if (!opts.env || !(k in opts.env)) delete env[k];
  }
  const proc = spawn(process.execPath, [CONTROLLER_MAIN, JSON.stringify(settings)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const ports = await new Promise<{ ws: number; agent: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      proc.kill('SIGKILL');
      reject(new Error(`controller did not start within 10 s; stdout: ${out} stderr: ${err}`));
    }, 10_000);
    // The line goes to stdout, or to the stdout file when the controller writes it itself.
    const stdoutFile = path.join(dir, 'stdout');
    const check = (): void => {
      const text = out + (fs.existsSync(stdoutFile) ? fs.readFileSync(stdoutFile, 'utf8') : '');
      const m = /controller is live.*Broker port [^,]*:(\d+), websocket port [^ ]*:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve({ agent: Number(m[1]), ws: Number(m[2]) });
      }
    };
    const poll = setInterval(check, 50);
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`controller exited with ${code} before it was live; stderr: ${err}`));
    });
  });

  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(proc.pid!, signal);
    await exited;
  };
  return {
    proc,
    pid: proc.pid!,
    dir,
    wsPort: ports.ws,
    agentPort: ports.agent,
    stdout: () => out,
    stderr: () => err,
    logEntries: () => {
      const file = path.join(dir, 'management.log');
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    },
    stop: () => waitExit('SIGTERM'),
    kill9: () => waitExit('SIGKILL'),
  };
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
