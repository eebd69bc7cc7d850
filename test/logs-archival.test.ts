// The agent's archival schedule (framework/logs/archival.ts) on real directories:
// Management::Agent::archive_interval (falling back to the rotation interval),
// archive_logs=F, archive_cmd replaced by a test program called as
// `<cmd> -1 <queue> <archive>`, runs that never overlap, reports to the controller.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogArchival } from '../framework/logs/archival';
import { archivalSettings } from '../framework/logs/log-settings';
import { Settings } from '../framework/settings/settings';
import { alive, waitFor as waitUntil } from './run-support';

const dirs: string[] = [];
const archivals: LogArchival[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-archival-'));
  dirs.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = (what: string, fn: () => boolean, timeoutMs = 10000): Promise<boolean> => waitUntil(what, fn, timeoutMs, 20);

const LOG = 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log';

interface Setup {
  root: string;
  queue: string;
  archive: string;
  logs: string[];
  notes: string[];
  archival: LogArchival;
}

/** An archival as the agent sets it up from `zeek-mgmt run` settings, with a queue holding one log. */
function setup(args: string[]): Setup {
  const root = tempDir();
  const settings = Settings.resolve({ env: {}, baseDir: root, args: [`Management::spool_dir=${path.join(root, 'spool')}`, ...args] });
  const s = archivalSettings(settings);
  fs.mkdirSync(s.queueDir, { recursive: true });
  fs.writeFileSync(path.join(s.queueDir, LOG), 'line 1\nline 2\n');
  const logs: string[] = [];
  const notes: string[] = [];
  const archival = new LogArchival({ settings: s, log: (lvl, m) => logs.push(`${lvl} ${m}`), notify: (m) => notes.push(m) });
  archivals.push(archival);
  return { root, queue: s.queueDir, archive: s.archiveDir, logs, notes, archival };
}

/** A test program standing in for zeek-archiver: records its arguments, moves the queue's files, says something. */
function writeProgram(dir: string, body: string): string {
  const file = path.join(dir, 'my archiver.sh');
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('logs: agent archival', function () {
  this.timeout(30000);

  afterEach(async () => {
    for (const a of archivals.splice(0)) await a.stop();
  });

  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('archives once per interval (the rotation interval when archive_interval is 0), the first run one interval after start', async () => {
    const t = setup(['Log::default_rotation_interval=1 sec']);
    assert.equal(t.archival.settings.intervalSec, 1);
    assert.equal(t.archive, path.join(t.root, 'logs'), 'archive_dir defaults to Installation::log_dir');
    const started = Date.now();
    t.archival.start();
    await sleep(500);
    assert.deepEqual(fs.readdirSync(t.queue), [LOG], 'no run right at start');
    await waitFor('the first run', () => fs.readdirSync(t.queue).length === 0, 5000);
    assert.ok(Date.now() - started >= 950);
    assert.ok(fs.existsSync(path.join(t.archive, '2022-06-20/conn.10:00:00-11:00:00.log.gz')));
    assert.ok(t.logs.includes(`info triggering log archival via 'built-in archiver -1 ${t.queue} ${t.archive}'`), t.logs.join('\n'));
    // And again on the next interval.
    fs.writeFileSync(path.join(t.queue, LOG.replace('10-00-00__', '09-00-00__')), 'x\n');
    await waitFor('the second run', () => fs.readdirSync(t.queue).length === 0, 5000);
    assert.ok(fs.existsSync(path.join(t.archive, '2022-06-20/conn.09:00:00-11:00:00.log.gz')));
  });

  it('uses archive_interval when set', () => {
    const t = setup(['Log::default_rotation_interval=1 sec', 'Management::Agent::archive_interval=2 min']);
    assert.equal(t.archival.settings.intervalSec, 120);
  });

  it('does nothing with archive_logs=F', async () => {
    const t = setup(['Log::default_rotation_interval=1 sec', 'Management::Agent::archive_logs=F']);
    assert.equal(t.archival.disabledReason, 'Management::Agent::archive_logs is F');
    t.archival.start();
    await sleep(1500);
    assert.deepEqual(await t.archival.runNow(), { kind: 'disabled', reason: 'Management::Agent::archive_logs is F' });
    assert.deepEqual(fs.readdirSync(t.queue), [LOG]);
    assert.equal(fs.existsSync(t.archive), false);
  });

  it('runs archive_cmd as `<cmd> -1 <queue dir> <archive dir>` through the shell, its output in the agent log', async () => {
    const root = tempDir();
    const record = path.join(root, 'args');
    const prog = writeProgram(root, [
      `printf '%s\\n' "$@" > '${record}'`,
      'mkdir -p "$4/by-test"',
      'for f in "$3"/*; do mv "$f" "$4/by-test/"; done',
      'echo "moved the queue"',
      'echo "a warning" >&2',
    ].join('\n'));
    // A command line with an option, as one would configure zeek-archiver -v.
    const t = setup([`Management::Agent::archive_cmd='${prog}' --test-flag`]);
    // Point the archive somewhere of ours (a setting with a space in it).
    const archive = path.join(t.root, 'my archive');
    const a = new LogArchival({ settings: { ...t.archival.settings, archiveDir: archive }, log: (l, m) => t.logs.push(`${l} ${m}`), notify: (m) => t.notes.push(m) });
    archivals.push(a);
    const outcome = await a.runNow();
    assert.deepEqual(outcome, { kind: 'command', command: `'${prog}' --test-flag -1 ${t.queue} '${archive}'`, code: 0, signal: null });
    assert.deepEqual(fs.readFileSync(record, 'utf8').split('\n'), ['--test-flag', '-1', t.queue, archive, '']);
    assert.deepEqual(fs.readdirSync(path.join(archive, 'by-test')), [LOG]);
    assert.deepEqual(fs.readdirSync(t.queue), []);
    assert.ok(t.logs.includes(`info triggering log archival via '${outcome.kind === 'command' ? outcome.command : ''}'`), t.logs.join('\n'));
    assert.ok(t.logs.includes('info archive_cmd: moved the queue'), t.logs.join('\n'));
    assert.ok(t.logs.includes('warning archive_cmd: a warning'), t.logs.join('\n'));
    assert.deepEqual(t.notes, []);
  });

  it('reports a failing archive_cmd to the controller once', async () => {
    const root = tempDir();
    const prog = writeProgram(root, 'echo "cannot archive" >&2; exit 3');
    const t = setup([`Management::Agent::archive_cmd=${prog.replace(/ /g, '\\ ')}`]);
    const first = await t.archival.runNow();
    assert.equal(first.kind === 'command' && first.code, 3);
    await t.archival.runNow();
    assert.equal(t.notes.length, 1, t.notes.join('\n'));
    assert.match(t.notes[0], /^log archival command '.*my\\ archiver\.sh -1 .*' exited with status 3$/);
    assert.equal(t.logs.filter((l) => /exited with status 3/.test(l)).length, 2, 'logged every time');
    assert.deepEqual(fs.readdirSync(t.queue), [LOG], 'the queue is untouched');
  });

  it('never overlaps runs: the next comes an interval after the last one ended; one asked for meanwhile is skipped', async () => {
    const root = tempDir();
    const started = path.join(root, 'started');
    const prog = writeProgram(root, `echo x >> '${started}'; sleep 1.5`);
    const t = setup([`Management::Agent::archive_cmd='${prog}'`, 'Management::Agent::archive_interval=0.3 secs']);
    t.archival.start();
    await waitFor('the first run', () => fs.existsSync(started), 5000);
    await sleep(1000);
    assert.equal(fs.readFileSync(started, 'utf8'), 'x\n', 'the 0.3 s interval did not start another run during this one');
    assert.equal((await t.archival.runNow()).kind, 'busy');
    assert.ok(t.logs.some((l) => l === 'info log archival still running from the last interval; skipping this one'), t.logs.join('\n'));
    // The next run comes an interval after this one ended, as Zeek schedules it after system() returns.
    await waitFor('the next run', () => fs.readFileSync(started, 'utf8') === 'x\nx\n', 5000);
  });

  it('stops a running archive_cmd (and what it started) when the agent stops', async () => {
    const root = tempDir();
    const pidFile = path.join(root, 'pid');
    const prog = writeProgram(root, `sleep 30 & echo $! > '${pidFile}'; wait`);
    const t = setup([`Management::Agent::archive_cmd='${prog}'`]);
    const run = t.archival.runNow();
    await waitFor('the command to start', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '');
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(alive(sleeper));
    await t.archival.stop();
    const outcome = await run;
    assert.equal(outcome.kind === 'command' && outcome.signal, 'SIGTERM');
    await waitFor('the command\'s child to be gone', () => !alive(sleeper), 3000);
  });

  it('reports names the archiver does not understand: logged every run, sent to the controller once', async () => {
    const t = setup([]);
    fs.writeFileSync(path.join(t.queue, 'notes.txt'), 'x\n');
    await t.archival.runNow();
    await t.archival.runNow();
    assert.deepEqual(fs.readdirSync(t.queue), ['notes.txt']);
    assert.deepEqual(t.notes, [`log archival: 'notes.txt' in ${t.queue} is not a rotated log (expected 4 or 5 parts separated by '__', found 1); left in the queue`]);
    assert.equal(t.logs.filter((l) => l.includes("not archiving 'notes.txt'")).length, 2);
  });

  it('skips a run when the queue directory does not exist yet', async () => {
    const t = setup([]);
    fs.rmSync(t.queue, { recursive: true });
    assert.deepEqual(await t.archival.runNow(), { kind: 'no-queue' });
    assert.equal(fs.existsSync(t.archive), false);
  });
});
