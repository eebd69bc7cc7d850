// The queue's archival lock held across processes: archive_cmd runs of agents in separate
// processes sharing one queue never overlap, a lock left by a killed agent is broken once
// nothing of its run is left (and not before), the lock goes away however the command ends,
// and breaking one stale lock from several processes at once lets exactly one through.
//
// "Agents" here are node processes running the agent's LogArchival (dist/framework/logs/
// archival.js) on a queue; archive_cmd is a shell program that records when it starts and
// ends, sleeps, and moves the queue's files into the archive.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArchiveLock, breakMarker, LOCK_FILE, LockInfo, processStartTime } from '../framework/logs/archive-lock';
import { ArchivalOutcome, gatedShellArgs, LogArchival } from '../framework/logs/archival';
import { archiveQueue } from '../framework/logs/archiver';
import { alive, REPO, waitFor as waitUntil } from './run-support';

const DIST = path.join(REPO, 'dist/framework/logs');

const dirs: string[] = [];
const procs: ChildProcess[] = [];
/** Process groups of archive_cmd runs, killed after each test in case one outlived its agent. */
const groups = new Set<number>();
const archivals: LogArchival[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-archive-lock-'));
  dirs.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = (what: string, fn: () => boolean, timeoutMs = 8000): Promise<boolean> => waitUntil(what, fn, timeoutMs, 10);

const LOG = 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log';

/** A pid that ran a moment ago and is gone now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/**
 * The archive_cmd stand-in, called as `<prog> -1 <queue> <archive>`: appends
 * "start <agent> <time>" to $RECORD, sleeps $SLEEP seconds (or, with $HOLD set, until the
 * file $HOLD exists), moves the queue's (visible)
 * files to <archive>/moved, appends "end <agent> <time>" and exits with $EXIT. Killed with
 * SIGTERM it appends "term <agent> <time>" first.
 */
function writeProgram(dir: string): string {
  const file = path.join(dir, 'test-archiver.sh');
  fs.writeFileSync(file, [
    '#!/bin/sh',
    'stamp() { date +%s.%N; }',
    'trap \'echo "term $AGENT $(stamp)" >> "$RECORD"; exit 143\' TERM',
    'echo "start $AGENT $(stamp)" >> "$RECORD"',
    'if [ -n "$HOLD" ]; then while [ ! -e "$HOLD" ]; do sleep 0.02; done; else sleep "${SLEEP:-0.5}"; fi',
    'mkdir -p "$3/moved"',
    'for f in "$2"/*; do if [ -f "$f" ]; then mv "$f" "$3/moved/"; fi; done',
    'echo "end $AGENT $(stamp)" >> "$RECORD"',
    'exit "${EXIT:-0}"',
    '',
  ].join('\n'), { mode: 0o755 });
  return file;
}

interface Env {
  root: string;
  queue: string;
  archive: string;
  record: string;
  prog: string;
}

function setup(): Env {
  const root = tempDir();
  const queue = path.join(root, 'spool/log-queue');
  fs.mkdirSync(queue, { recursive: true });
  fs.writeFileSync(path.join(queue, LOG), 'line\n');
  return { root, queue, archive: path.join(root, 'logs'), record: path.join(root, 'record'), prog: writeProgram(root) };
}

interface RecordLine {
  what: 'start' | 'end' | 'term';
  agent: string;
  at: number;
}

function readRecord(file: string): RecordLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [what, agent, at] = l.split(' ');
    return { what: what as RecordLine['what'], agent, at: Number(at) };
  });
}

/** Checks that runs in the record never overlap: every start is followed by its own end (or term) before any other start. */
function assertNoOverlap(rec: RecordLine[]): number {
  let runs = 0;
  for (let i = 0; i < rec.length; i += 2) {
    const start = rec[i];
    const end = rec[i + 1];
    assert.equal(start.what, 'start', `line ${i} of the record: ${JSON.stringify(rec)}`);
    assert.ok(end !== undefined && (end.what === 'end' || end.what === 'term') && end.agent === start.agent, `run of ${start.agent} at line ${i} overlapped another one: ${JSON.stringify(rec)}`);
    assert.ok(end.at >= start.at);
    if (i > 0) assert.ok(start.at >= rec[i - 1].at, `run of ${start.agent} started before the previous run ended: ${JSON.stringify(rec)}`);
    runs++;
  }
  return runs;
}

/** An agent's archival in a process of its own; its log lines and outcome come as JSON lines on stdout. */
const AGENT_JS = `
const { LogArchival } = require(${JSON.stringify(path.join(DIST, 'archival.js'))});
const o = JSON.parse(process.env.TEST_ARCHIVAL);
const out = (x) => process.stdout.write(JSON.stringify(x) + '\\n');
const a = new LogArchival({ settings: { enabled: true, intervalSec: o.intervalSec, cmd: o.cmd, queueDir: o.queue, archiveDir: o.archive }, log: (level, msg) => out({ level, msg }) });
process.on('SIGTERM', () => a.stop().then(() => process.exit(0)));
if (o.once) a.runNow().then((outcome) => { out({ outcome }); process.exit(0); });
else { out({ started: true }); a.start(); setInterval(() => {}, 1 << 30); }
`;

interface AgentProc {
  proc: ChildProcess;
  lines: () => { level?: string; msg?: string; outcome?: ArchivalOutcome; started?: boolean }[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startAgent(e: Env, name: string, o: { once: boolean; intervalSec?: number; sleep?: number; hold?: string; exit?: number }): AgentProc {
  const env = {
    ...process.env, AGENT: name, RECORD: e.record, SLEEP: String(o.sleep ?? 0.5), HOLD: o.hold ?? '', EXIT: String(o.exit ?? 0),
    TEST_ARCHIVAL: JSON.stringify({ once: o.once, intervalSec: o.intervalSec ?? 3600, cmd: e.prog, queue: e.queue, archive: e.archive }),
  };
  const proc = spawn(process.execPath, ['-e', AGENT_JS], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('close', (code, signal) => r({ code, signal })));
  return { proc, lines: () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)), exit };
}

/** The lock's info once it names an archive_cmd process group (remembered for clean-up). */
async function lockWithChild(queue: string): Promise<LockInfo & { child: NonNullable<LockInfo['child']> }> {
  let info: LockInfo | null = null;
  await waitFor('the lock to name the command', () => (info = ArchiveLock.inspect(queue))?.child !== undefined);
  groups.add(info!.child!.pid);
  return info as unknown as LockInfo & { child: NonNullable<LockInfo['child']> };
}

function inProcessArchival(e: Env, logs: string[], cmd = e.prog): LogArchival {
  const a = new LogArchival({ settings: { enabled: true, intervalSec: 3600, cmd, queueDir: e.queue, archiveDir: e.archive }, log: (l, m) => logs.push(`${l} ${m}`) });
  archivals.push(a);
  return a;
}

/** Sets the environment the archive_cmd stand-in reads, for runs started by this process. */
function programEnv(agent: string, e: Env, sleepSec: number, exit = 0, hold = ''): void {
  Object.assign(process.env, { AGENT: agent, RECORD: e.record, SLEEP: String(sleepSec), HOLD: hold, EXIT: String(exit) });
}

describe('logs: the archival lock across processes (archive_cmd runs, stale locks)', function () {
  this.timeout(20000);

  before(() => {
    if (!fs.existsSync(path.join(DIST, 'archival.js'))) throw new Error(`${DIST}/archival.js missing: build first (npm run build)`);
  });

  afterEach(async () => {
    for (const a of archivals.splice(0)) await a.stop();
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // gone
      }
    }
    groups.clear();
    for (const k of ['AGENT', 'RECORD', 'SLEEP', 'HOLD', 'EXIT']) delete process.env[k];
  });

  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('two agents in separate processes: while one runs archive_cmd the other skips; runs never overlap when both archive every 0.1 s', async () => {
    const e = setup();
    const release = path.join(e.root, 'release-A');
    const a = startAgent(e, 'A', { once: true, hold: release });
    const held = await lockWithChild(e.queue);
    assert.equal(held.pid, a.proc.pid);
    assert.ok(alive(held.child.pid));
    await waitFor('A\'s command to start', () => readRecord(e.record).length === 1);
    const b = startAgent(e, 'B', { once: true });
    await b.exit;
    const bOutcome = b.lines().find((l) => l.outcome)!.outcome!;
    assert.equal(bOutcome.kind, 'busy');
    assert.equal(bOutcome.kind === 'busy' && bOutcome.reason, `archival already running (pid ${a.proc.pid} on ${os.hostname()}, archive_cmd process group ${held.child.pid})`);
    assert.ok(b.lines().some((l) => l.msg === `log archival skipped: ${bOutcome.kind === 'busy' ? bOutcome.reason : ''}`));
    fs.writeFileSync(release, '');
    assert.equal((await a.exit).code, 0);
    assert.deepEqual(a.lines().find((l) => l.outcome)!.outcome, { kind: 'command', command: `${e.prog} -1 ${e.queue} ${e.archive}`, code: 0, signal: null });
    assert.equal(ArchiveLock.inspect(e.queue), null, 'released when the command exited');
    assert.deepEqual(fs.readdirSync(path.join(e.archive, 'moved')), [LOG]);
    assert.deepEqual(readRecord(e.record).map((r) => `${r.what} ${r.agent}`), ['start A', 'end A']);

    // Both archiving on a short interval for a while.
    const p = startAgent(e, 'P', { once: false, intervalSec: 0.1, sleep: 0.25 });
    const q = startAgent(e, 'Q', { once: false, intervalSec: 0.1, sleep: 0.25 });
    await waitFor('both agents to run', () => p.lines().length > 0 && q.lines().length > 0);
    await sleep(2500);
    // One after the other, so the last one's stop is the only run cut short.
    q.proc.kill('SIGTERM');
    assert.equal((await q.exit).code, 0);
    p.proc.kill('SIGTERM');
    assert.equal((await p.exit).code, 0);
    const runs = assertNoOverlap(readRecord(e.record).slice(2));
    assert.ok(runs >= 3, `only ${runs} runs`);
    const skipped = [...p.lines(), ...q.lines()].filter((l) => /^log archival skipped: archival already running \(pid \d+ on .*, archive_cmd process group \d+\)$/.test(l.msg ?? ''));
    assert.ok(skipped.length > 0, 'the agents met each other\'s lock');
    assert.equal(ArchiveLock.inspect(e.queue), null);
  });

  it('an agent killed with SIGKILL while its archive_cmd runs: the queue stays locked until the command ends, then the next run breaks the lock and archives', async () => {
    const e = setup();
    const release = path.join(e.root, 'release-A');
    const a = startAgent(e, 'A', { once: true, hold: release });
    const held = await lockWithChild(e.queue);
    await waitFor('A\'s command to start', () => readRecord(e.record).length === 1);
    a.proc.kill('SIGKILL');
    assert.equal((await a.exit).signal, 'SIGKILL');
    assert.ok(alive(held.child.pid), 'the command outlives its agent');

    const logs: string[] = [];
    programEnv('B', e, 0.1);
    const b = inProcessArchival(e, logs);
    const busy = await b.runNow();
    assert.equal(busy.kind, 'busy', logs.join('\n'));
    assert.equal(busy.kind === 'busy' && busy.holder?.pid, a.proc.pid);
    const builtin = await archiveQueue({ queueDir: e.queue, archiveDir: e.archive });
    assert.match(builtin.busy?.reason ?? '', new RegExp(`archive_cmd process group ${held.child.pid}\\)$`), 'the built-in archiver waits too');
    assert.deepEqual(readRecord(e.record).map((r) => `${r.what} ${r.agent}`), ['start A']);

    fs.writeFileSync(release, '');
    await waitFor('the orphaned command to finish', () => readRecord(e.record).length === 2 && !alive(held.child.pid));
    fs.writeFileSync(path.join(e.queue, LOG.replace('10-00-00__', '11-00-00__')), 'line\n');
    const outcome = await b.runNow();
    assert.deepEqual(outcome, { kind: 'command', command: `${e.prog} -1 ${e.queue} ${e.archive}`, code: 0, signal: null }, logs.join('\n'));
    assert.deepEqual(readRecord(e.record).map((r) => `${r.what} ${r.agent}`), ['start A', 'end A', 'start B', 'end B']);
    assert.deepEqual(fs.readdirSync(path.join(e.archive, 'moved')).sort(), [LOG, LOG.replace('10-00-00__', '11-00-00__')]);
    assert.deepEqual(fs.readdirSync(e.queue), [], 'no lock, no break markers left');
  });

  it('an agent and its archive_cmd both killed with SIGKILL: the next run breaks the lock at once', async () => {
    const e = setup();
    const a = startAgent(e, 'A', { once: true, sleep: 30 });
    const held = await lockWithChild(e.queue);
    await waitFor('A\'s command to start', () => readRecord(e.record).length === 1);
    a.proc.kill('SIGKILL');
    process.kill(-held.child.pid, 'SIGKILL');
    await a.exit;
    await waitFor('the command to be gone', () => !alive(held.child.pid));
    assert.equal(ArchiveLock.inspect(e.queue)?.token, held.token, 'the dead run\'s lock is left behind');

    const logs: string[] = [];
    programEnv('B', e, 0.1);
    const outcome = await inProcessArchival(e, logs).runNow();
    assert.equal(outcome.kind === 'command' && outcome.code, 0, logs.join('\n'));
    assert.deepEqual(fs.readdirSync(path.join(e.archive, 'moved')), [LOG]);
    assert.deepEqual(fs.readdirSync(e.queue), []);
  });

  it('holds the lock while the command runs and releases it after a non-zero exit, a kill from outside, and the agent stopping', async () => {
    const e = setup();
    const logs: string[] = [];
    const a = inProcessArchival(e, logs);

    const release = path.join(e.root, 'release');
    programEnv('A', e, 0, 3, release);
    let run = a.runNow();
    const held = await lockWithChild(e.queue);
    assert.equal(held.pid, process.pid);
    assert.equal(held.child.procStart, processStartTime(held.child.pid));
    assert.equal((await archiveQueue({ queueDir: e.queue, archiveDir: e.archive })).busy?.holder?.token, held.token);
    fs.writeFileSync(release, '');
    let outcome = await run;
    assert.equal(outcome.kind === 'command' && outcome.code, 3);
    assert.equal(ArchiveLock.inspect(e.queue), null, 'released after exit status 3');

    programEnv('A', e, 30);
    run = a.runNow();
    const second = await lockWithChild(e.queue);
    await waitFor('the command to start', () => readRecord(e.record).length === 3);
    process.kill(-second.child.pid, 'SIGKILL');
    outcome = await run;
    assert.equal(outcome.kind === 'command' && outcome.signal, 'SIGKILL');
    assert.equal(ArchiveLock.inspect(e.queue), null, 'released after SIGKILL');

    run = a.runNow();
    await lockWithChild(e.queue);
    await waitFor('the command to start', () => readRecord(e.record).length === 4);
    await a.stop();
    outcome = await run;
    assert.equal(outcome.kind === 'command' && outcome.signal, 'SIGTERM');
    assert.equal(ArchiveLock.inspect(e.queue), null, 'released after the agent stopped the command');
    assert.deepEqual(readRecord(e.record).map((r) => `${r.what} ${r.agent}`), ['start A', 'end A', 'start A', 'start A', 'term A']);
    assert.deepEqual(fs.readdirSync(e.queue), [], 'the first run moved the log; no lock or other file is left');
  });

  it('the command waits for the lock to name it: without the go-ahead line it exits 125 and runs nothing', () => {
    const root = tempDir();
    const marker = path.join(root, 'ran');
    const args = gatedShellArgs(`touch '${marker}'; exit 7`);
    const gate = (text: string): number => {
      fs.writeFileSync(path.join(root, 'gate'), text);
      return fs.openSync(path.join(root, 'gate'), 'r');
    };
    const eof = gate('');
    const no = spawnSync('/bin/sh', args, { stdio: ['ignore', 'ignore', 'ignore', eof] });
    fs.closeSync(eof);
    assert.equal(no.status, 125);
    assert.equal(fs.existsSync(marker), false);
    const go = gate('go\n');
    const yes = spawnSync('/bin/sh', args, { stdio: ['ignore', 'ignore', 'ignore', go] });
    fs.closeSync(go);
    assert.equal(yes.status, 7, 'the command\'s own exit status');
    assert.equal(fs.existsSync(marker), true);
  });

  it('zeek-mgmt\'s own archiver as archive_cmd works under the lock the agent holds for it', async () => {
    const e = setup();
    const logs: string[] = [];
    const cli = path.join(DIST, 'archiver-main.js');
    const outcome = await inProcessArchival(e, logs, `${process.execPath} ${cli}`).runNow();
    assert.equal(outcome.kind === 'command' && outcome.code, 0, logs.join('\n'));
    assert.ok(logs.some((l) => /^info archive_cmd: \[ *[\d.]+\] \[INFO\] Archived 1 logs in /.test(l)), logs.join('\n'));
    assert.ok(fs.existsSync(path.join(e.archive, '2022-06-20/conn.10:00:00-11:00:00.log.gz')));
    assert.deepEqual(fs.readdirSync(e.queue), []);
  });

  it('a stale lock some live process is breaking is left to it; a breaker that died is succeeded by the next', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    fs.mkdirSync(q);
    const stale = JSON.stringify({ pid: deadPid(), host: os.hostname(), procStart: '1', since: 0, token: 'stale' }) + '\n';
    fs.writeFileSync(path.join(q, LOCK_FILE), stale);
    const breaker = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    procs.push(breaker);
    await waitFor('the breaker process', () => processStartTime(breaker.pid!) !== null);
    const live = { pid: breaker.pid, host: os.hostname(), procStart: processStartTime(breaker.pid!), since: Date.now(), token: 'breaker' };
    fs.writeFileSync(breakMarker(q, stale, 0), JSON.stringify(live));
    const r = ArchiveLock.acquire(q);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, `archival about to start: another process (pid ${breaker.pid} on ${os.hostname()}) is breaking the stale lock of pid ${JSON.parse(stale).pid}`);
    assert.equal(fs.readFileSync(path.join(q, LOCK_FILE), 'utf8'), stale, 'the stale lock is left to its breaker');

    // The breaker dies without finishing: the next process takes the next generation.
    breaker.kill('SIGKILL');
    await waitFor('the breaker to be gone', () => !alive(breaker.pid!));
    const taken = ArchiveLock.acquire(q);
    assert.ok(taken.ok, !taken.ok ? taken.reason : '');
    assert.deepEqual(fs.readdirSync(q), [LOCK_FILE], 'the dead breaker\'s marker is cleaned up');
    if (taken.ok) taken.lock.release();
    assert.deepEqual(fs.readdirSync(q), []);
  });

  it('four processes breaking the same stale lock at the same moment: exactly one takes it, round after round', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const sync = path.join(root, 'sync');
    fs.mkdirSync(q);
    fs.mkdirSync(sync);
    const rounds = 6;
    const contenders = 4;
    const stale = { pid: deadPid(), host: os.hostname(), procStart: '1', since: 0, token: 'stale-0' };
    fs.writeFileSync(path.join(q, LOCK_FILE), JSON.stringify(stale) + '\n');
    // Round i starts at the instant written to sync/go-<i>; every contender tries then. The winner waits
    // until all have tried, then "crashes": it leaves a stale lock for the next round and sets its start.
    const contender = `
const fs = require('node:fs');
const path = require('node:path');
const { ArchiveLock, LOCK_FILE } = require(${JSON.stringify(path.join(DIST, 'archive-lock.js'))});
const [q, sync, rounds, contenders, id] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const stale = JSON.parse(process.argv[6]);
const pause = () => new Promise((r) => setTimeout(r, 2));
const writeAtomic = (file, text) => { fs.writeFileSync(file + '.tmp' + id, text); fs.renameSync(file + '.tmp' + id, file); };
(async () => {
  for (let i = 0; i < rounds; i++) {
    const go = path.join(sync, 'go-' + i);
    while (!fs.existsSync(go)) await pause();
    const at = Number(fs.readFileSync(go, 'utf8'));
    while (Date.now() < at - 10) await pause();
    while (Date.now() < at) {}
    const r = ArchiveLock.acquire(q);
    process.stdout.write(JSON.stringify({ round: i, ok: r.ok, reason: r.ok ? null : r.reason }) + '\\n');
    fs.writeFileSync(path.join(sync, 'tried-' + i + '-' + id), '');
    if (r.ok) {
      while (fs.readdirSync(sync).filter((n) => n.startsWith('tried-' + i + '-')).length < contenders) await pause();
      writeAtomic(path.join(q, LOCK_FILE), JSON.stringify({ ...stale, token: 'stale-' + (i + 1) }) + '\\n');
      writeAtomic(path.join(sync, 'go-' + (i + 1)), String(Date.now() + 50));
    }
  }
})();
`;
    const outs: string[] = [];
    const exits = Array.from({ length: contenders }, (_, i) => {
      const p = spawn(process.execPath, ['-e', contender, q, sync, String(rounds), String(contenders), String(i), JSON.stringify(stale)], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(p);
      outs[i] = '';
      p.stdout!.on('data', (d) => (outs[i] += d));
      return new Promise<number | null>((r) => p.once('close', (code) => r(code)));
    });
    fs.writeFileSync(path.join(sync, 'go-0'), String(Date.now() + 800));
    assert.deepEqual(await Promise.all(exits), Array(contenders).fill(0));
    const results = outs.flatMap((o) => o.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { round: number; ok: boolean; reason: string | null }));
    assert.equal(results.length, contenders * rounds);
    for (let i = 0; i < rounds; i++) {
      const round = results.filter((r) => r.round === i);
      assert.equal(round.filter((r) => r.ok).length, 1, `round ${i}: ${JSON.stringify(round)}`);
      for (const r of round.filter((x) => !x.ok)) assert.match(r.reason!, /^archival (already running|about to start)/);
    }
    assert.deepEqual(fs.readdirSync(q), [LOCK_FILE], 'only the last round\'s stale lock is left, no break markers');
  });
});
