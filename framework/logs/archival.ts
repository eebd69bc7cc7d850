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
// under way is skipped (the built-in archiver also holds the queue's lock file against
// other processes). Names the
// archiver does not understand, failures, and a failing command are logged each run and
// sent to the controller as Management::Agent::API::notify_log once each.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { archiveQueue, ArchiveLogLevel, ArchiveReport } from './archiver';
import type { ArchivalSettings } from './log-settings';

export type ArchivalOutcome =
  | { kind: 'disabled'; reason: string }
  | { kind: 'no-queue' }
  | { kind: 'busy' }
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
      return Promise.resolve({ kind: 'busy' });
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

  private runCommand(): Promise<ArchivalOutcome> {
    const s = this.settings;
    const command = archiveCommandLine(s.cmd, s.queueDir, s.archiveDir);
    this.log('info', `triggering log archival via '${command}'`);
    return new Promise((resolve, reject) => {
      // Its own process group, so stop() reaches whatever the shell started.
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.child = child;
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
      child.once('error', (err) => {
        this.child = null;
        reject(err);
      });
      child.once('close', (code, signal) => {
        this.child = null;
        if (code !== 0) {
          const msg = `log archival command '${command}' ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`;
          this.log('error', msg);
          this.notifyOnce(`cmd\0${command}\0${code}\0${signal}`, msg);
        }
        resolve({ kind: 'command', command, code, signal });
      });
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
