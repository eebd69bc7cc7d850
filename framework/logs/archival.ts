// The agent's periodic log archival (Zeek's Management::Agent::Runtime::trigger_log_archival):
// with Management::Agent::archive_logs=T, once per Management::Agent::archive_interval (the
// rotation interval when that is 0; nothing when both are 0) the rotated logs in the queue
// go to Management::Agent::archive_dir. The first run comes one interval after start-up.
// Archival only runs when the queue directory exists, as Zeek's agent checks.
//
// With Management::Agent::archive_cmd empty the built-in archiver (archiver.ts) runs in
// this process; otherwise the command runs through /bin/sh like Zeek's system() call, as
// `<cmd> -1 <queue dir> <archive dir>`, and its output becomes agent log lines.
//
// Runs never overlap: as Zeek schedules the next run after system() returns, the next
// run comes one interval after the previous one ended, and a run asked for while one is
// under way is skipped. Against other processes (another agent on the same queue, or a
// command left running by an agent that was killed) every run holds the queue's lock
// (archive-lock.ts): the built-in archiver takes it itself; for archive_cmd the agent
// takes it before starting the command and releases it when the command has exited,
// however it ended. The command waits on a pipe until the lock names its process group,
// so it never runs unrecorded; should the agent die, the lock stays live as long as a
// process of that group runs (Zeek's agent, likewise, leaves its system() child running
// when it dies), and is stale — broken by the next run — once the group is gone. Zeek's
// agent has no such lock (it relies on system() blocking it); a run that finds the queue
// locked is skipped and the next comes an interval later. Names the archiver does not
// understand, failures, and a failing command are logged each run and sent to the
// controller as Management::Agent::API::notify_log once each.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import { ArchiveLock, LOCK_TOKEN_ENV, LockInfo } from './archive-lock';
import { archiveQueue, ArchiveLogLevel, ArchiveReport } from './archiver';
import type { ArchivalSettings } from './log-settings';

export type ArchivalOutcome =
  | { kind: 'disabled'; reason: string }
  | { kind: 'no-queue' }
  /** Not run: this agent's previous run is under way (holder null), or another process holds the queue's lock. */
  | { kind: 'busy'; reason: string; holder: LockInfo | null }
  | { kind: 'builtin'; report: ArchiveReport }
  | { kind: 'command'; command: string; code: number | null; signal: NodeJS.Signals | null };

export interface LogArchivalOptions {
  settings: ArchivalSettings;
  log: (level: ArchiveLogLevel, msg: string) => void;
  /** Sends Management::Agent::API::notify_log to the controller. */
  notify?: (msg: string) => void;
}

/** Quotes a path for /bin/sh. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** The command line Zeek's agent runs: <cmd> -1 <queue> <archive>. */
export function archiveCommandLine(cmd: string, queueDir: string, archiveDir: string): string {
  return `${cmd} -1 ${shellQuote(queueDir)} ${shellQuote(archiveDir)}`;
}

/** The file descriptor on which the command's shell waits for the go-ahead (a line) once the lock names it. */
const GATE_FD = 3;

/**
 * /bin/sh arguments that run `command` as `sh -c <command>` would, once a line arrives on
 * the gate descriptor: the waiting shell then becomes (exec) `sh -c <command>`, keeping its
 * pid, so the process group and exit status are the command's as without the gate. If no
 * line comes (the agent died before the lock named the child) it exits 125, running nothing.
 */
export function gatedShellArgs(command: string): string[] {
  return ['-c', `IFS= read -r zeek_mgmt_go <&${GATE_FD} || exit 125; exec ${GATE_FD}<&-; exec /bin/sh -c "$0"`, command];
}

export class LogArchival {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ArchivalOutcome> | null = null;
  private child: ChildProcess | null = null;
  private abort: AbortController | null = null;
  private stopped = false;
  private readonly notified = new Set<string>();
  readonly settings: ArchivalSettings;

  constructor(readonly options: LogArchivalOptions) {
    this.settings = options.settings;
  }

  /** Why archival never runs, or null when it is scheduled. */
  get disabledReason(): string | null {
    if (!this.settings.enabled) return 'Management::Agent::archive_logs is F';
    if (!(this.settings.intervalSec > 0)) return 'neither Management::Agent::archive_interval nor Log::default_rotation_interval is set';
    return null;
  }

  private log(level: ArchiveLogLevel, msg: string): void {
    this.options.log(level, msg);
  }

  private notifyOnce(key: string, msg: string): void {
    if (this.notified.has(key)) return;
    this.notified.add(key);
    this.options.notify?.(msg);
  }

  /** Schedules the periodic runs (the first one interval from now). */
  start(): void {
    if (this.stopped || this.disabledReason !== null) return;
    const s = this.settings;
    this.log('info', `log archival every ${s.intervalSec} s from ${s.queueDir} to ${s.archiveDir} via ${s.cmd === '' ? 'the built-in archiver' : `'${s.cmd}'`}`);
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow().finally(() => this.scheduleNext());
    }, this.settings.intervalSec * 1000);
    this.timer.unref();
  }

  /** One archival run now, unless one is under way (then 'busy'). */
  runNow(): Promise<ArchivalOutcome> {
    if (!this.settings.enabled) return Promise.resolve({ kind: 'disabled', reason: this.disabledReason! });
    if (this.running) {
      this.log('info', 'log archival still running from the last interval; skipping this one');
      return Promise.resolve({ kind: 'busy', reason: 'log archival still running from the last interval', holder: null });
    }
    if (this.stopped) return Promise.resolve({ kind: 'disabled', reason: 'the agent is stopping' });
    if (!fs.existsSync(this.settings.queueDir)) return Promise.resolve({ kind: 'no-queue' });
    const run = (this.settings.cmd === '' ? this.runBuiltin() : this.runCommand()).catch((err): ArchivalOutcome => {
      const msg = `log archival failed: ${(err as Error).message}`;
      this.log('error', msg);
      this.options.notify?.(msg);
      return { kind: 'builtin', report: { archived: [], completed: [], notUnderstood: [], failed: [{ source: '', error: (err as Error).message }], busy: null, aborted: false, seconds: 0 } };
    }).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async runBuiltin(): Promise<ArchivalOutcome> {
    const s = this.settings;
    this.log('info', `triggering log archival via 'built-in archiver -1 ${s.queueDir} ${s.archiveDir}'`);
    this.abort = new AbortController();
    const report = await archiveQueue({
      queueDir: s.queueDir, archiveDir: s.archiveDir, signal: this.abort.signal,
      log: (level, msg) => this.log(level, `archiver: ${msg}`),
    });
    this.abort = null;
    for (const n of report.notUnderstood) {
      this.notifyOnce(`name\0${n.name}\0${n.reason}`, `log archival: '${n.name}' in ${s.queueDir} is not a rotated log (${n.reason}); left in the queue`);
    }
    for (const f of report.failed) {
      this.notifyOnce(`failed\0${f.source}\0${f.error}`, `log archival: ${f.source}: ${f.error}`);
    }
    if (report.busy) this.log('info', `log archival skipped: ${report.busy.reason}`);
    return { kind: 'builtin', report };
  }

  private async runCommand(): Promise<ArchivalOutcome> {
    const s = this.settings;
    const command = archiveCommandLine(s.cmd, s.queueDir, s.archiveDir);
    const taken = ArchiveLock.acquire(s.queueDir);
    if (!taken.ok) {
      this.log('info', `log archival skipped: ${taken.reason}`);
      return { kind: 'busy', reason: taken.reason, holder: taken.holder };
    }
    const lock = taken.lock;
    this.log('info', `triggering log archival via '${command}'`);
    return await new Promise<ArchivalOutcome>((resolve, reject) => {
      // Its own process group, so stop() reaches whatever the shell started, and the lock can name the group.
      let child: ChildProcess;
      try {
        child = spawn('/bin/sh', gatedShellArgs(command), {
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true,
          env: { ...process.env, [LOCK_TOKEN_ENV]: lock.info.token },
        });
      } catch (err) {
        lock.release();
        reject(err);
        return;
      }
      this.child = child;
      let settled = false;
      const done = (): void => {
        this.child = null;
        lock.release();
      };
      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        done();
        reject(err);
      });
      child.once('close', (code, signal) => {
        if (settled) return;
        settled = true;
        done();
        if (code !== 0) {
          const msg = `log archival command '${command}' ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`;
          this.log('error', msg);
          this.notifyOnce(`cmd\0${command}\0${code}\0${signal}`, msg);
        }
        resolve({ kind: 'command', command, code, signal });
      });
      const lines = (level: ArchiveLogLevel) => {
        let rest = '';
        return (chunk: Buffer): void => {
          rest += chunk.toString('utf8');
          const parts = rest.split('\n');
          rest = parts.pop()!;
          for (const line of parts) if (line.trim() !== '') this.log(level, `archive_cmd: ${line}`);
        };
      };
      child.stdout!.on('data', lines('info'));
      child.stderr!.on('data', lines('warning'));
      const gate = child.stdio[GATE_FD] as Socket | null;
      if (child.pid === undefined || gate === null) return; // spawning failed: 'error' follows
      gate.on('error', () => undefined); // the shell was killed before reading: 'close' reports it
      gate.resume(); // nothing comes this way; reading sees the shell's end close, so 'close' can follow
      try {
        lock.holdFor(child.pid);
      } catch (err) {
        // The lock cannot name the command: it must not run. Closing the gate without a line makes the shell exit.
        this.log('error', `log archival: ${(err as Error).message}; not running '${command}'`);
        gate.end();
        return;
      }
      gate.end('go\n');
    });
  }

  /** Stops scheduling; a built-in run stops between files, a command gets SIGTERM (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const signalGroup = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      const kill = setTimeout(() => signalGroup('SIGKILL'), 5000);
      signalGroup('SIGTERM');
      await this.running?.catch(() => undefined);
      clearTimeout(kill);
    }
    await this.running?.catch(() => undefined);
  }
}
