// The built-in archiver on real directories: what goes where, what stays in the queue and
// why, interrupted runs finished by the next one (including an archiver process killed
// with SIGKILL while compressing a large log, every line accounted for), and the lock
// that keeps runs from overlapping.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ArchiveLock, LOCK_FILE, processStartTime } from '../framework/logs/archive-lock';
import { archiveQueue } from '../framework/logs/archiver';
import { fileTree } from './helpers/file-tree';

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist/framework/logs/archiver-main.js');

const dirs: string[] = [];
const procs: ChildProcess[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-archiver-'));
  dirs.push(d);
  return d;
}

/** A log file of `lines` lines of random text (slow to compress, easy to count). */
function writeLog(file: string, lines: number, width = 100): void {
  const fd = fs.openSync(file, 'w');
  const perChunk = 20000;
  for (let done = 0; done < lines; done += perChunk) {
    const n = Math.min(perChunk, lines - done);
    const hex = randomBytes((n * width) / 2).toString('hex');
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(`${done + i}\t${hex.slice(i * width, (i + 1) * width - 12)}`);
    fs.writeSync(fd, out.join('\n') + '\n');
  }
  fs.closeSync(fd);
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

function linesOfFile(file: string): number {
  const raw = fs.readFileSync(file);
  return countLines(file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw);
}

const CONN = 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log';
const DNS_W1 = 'dns__2022-06-20-19-00-00__2022-06-20-20-00-00__log_suffix=worker-1__.log';

/** A pid that ran a moment ago and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function waitFor(what: string, fn: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (fn()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

function runCli(args: string[]): { proc: ChildProcess; out: () => string; err: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('close', (code, signal) => r({ code, signal })));
  return { proc, out: () => out, err: () => err, exit };
}

describe('logs: built-in archiver', function () {
  this.timeout(60000);

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: build first (npm run build)`);
  });

  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });

  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('compresses every rotated log into <date>/<stream>.<HH:MM:SS>-<HH:MM:SS>.log.gz and empties the queue of them', async () => {
    const root = tempDir();
    const q = path.join(root, 'log-queue');
    const out = path.join(root, 'logs');
    fs.mkdirSync(q);
    writeLog(path.join(q, CONN), 500);
    writeLog(path.join(q, DNS_W1), 20);
    writeLog(path.join(q, 'conn__2022-06-20-23-00-00__2022-06-21-00-00-00__.log'), 3);
    const report = await archiveQueue({ queueDir: q, archiveDir: out });
    assert.deepEqual(report.archived.map((a) => a.archive).sort(), [
      '2022-06-20/conn.10:00:00-11:00:00.log.gz', '2022-06-20/conn.23:00:00-00:00:00.log.gz', '2022-06-20/dns.19:00:00-20:00:00-worker-1.log.gz',
    ]);
    assert.deepEqual(fileTree(q), []);
    assert.deepEqual(fileTree(out), ['2022-06-20/conn.10:00:00-11:00:00.log.gz', '2022-06-20/conn.23:00:00-00:00:00.log.gz', '2022-06-20/dns.19:00:00-20:00:00-worker-1.log.gz']);
    assert.equal(linesOfFile(path.join(out, '2022-06-20/conn.10:00:00-11:00:00.log.gz')), 500);
    assert.equal(linesOfFile(path.join(out, '2022-06-20/dns.19:00:00-20:00:00-worker-1.log.gz')), 20);
    assert.deepEqual(report.notUnderstood, []);
    assert.deepEqual(report.failed, []);
  });

  it('keeps names it does not understand (and directories) in the queue and reports them; hidden files are left alone', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    fs.mkdirSync(q);
    fs.writeFileSync(path.join(q, 'conn.log'), 'x\n');
    fs.writeFileSync(path.join(q, 'conn__2022-06-20-10-00-00__2022-06-20-25-00-00__.log'), 'x\n');
    fs.writeFileSync(path.join(q, '.conn.log.tmp-123'), 'x\n');
    fs.mkdirSync(path.join(q, 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log'));
    const logs: string[] = [];
    const report = await archiveQueue({ queueDir: q, archiveDir: path.join(root, 'a'), log: (lvl, m) => logs.push(`${lvl} ${m}`) });
    assert.deepEqual(report.archived, []);
    assert.deepEqual(report.notUnderstood, [
      { name: 'conn.log', reason: "expected 4 or 5 parts separated by '__', found 1" },
      { name: 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log', reason: 'a directory, not a log file' },
      { name: 'conn__2022-06-20-10-00-00__2022-06-20-25-00-00__.log', reason: "close time '2022-06-20-25-00-00' is not a %Y-%m-%d-%H-%M-%S stamp" },
    ]);
    assert.deepEqual(fileTree(q), ['.conn.log.tmp-123', 'conn.log', 'conn__2022-06-20-10-00-00__2022-06-20-25-00-00__.log']);
    assert.ok(logs.some((l) => l === `warning not archiving 'conn.log' in ${q}: expected 4 or 5 parts separated by '__', found 1`), logs.join('\n'));
  });

  it('stores already compressed logs as they are', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    fs.mkdirSync(q);
    const gz = zlib.gzipSync('a\nb\n');
    fs.writeFileSync(path.join(q, 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log.gz'), gz);
    await archiveQueue({ queueDir: q, archiveDir: path.join(root, 'a') });
    assert.deepEqual(fs.readFileSync(path.join(root, 'a/2022-06-20/conn.10:00:00-11:00:00.log.gz')), gz);
    assert.deepEqual(fileTree(q), []);
  });

  it('finishes the job of a run that crashed after the rename: the complete archive stays, the source goes', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const a = path.join(root, 'a');
    fs.mkdirSync(q);
    fs.mkdirSync(path.join(a, '2022-06-20'), { recursive: true });
    writeLog(path.join(q, CONN), 100);
    const archive = path.join(a, '2022-06-20/conn.10:00:00-11:00:00.log.gz');
    fs.writeFileSync(archive, zlib.gzipSync(fs.readFileSync(path.join(q, CONN)), { level: 1 }));
    const before = fs.readFileSync(archive);
    const report = await archiveQueue({ queueDir: q, archiveDir: a });
    assert.deepEqual(report.completed, [{ source: CONN, archive: '2022-06-20/conn.10:00:00-11:00:00.log.gz' }]);
    assert.deepEqual(report.archived, []);
    assert.deepEqual(fs.readFileSync(archive), before, 'the existing archive is not rewritten');
    assert.deepEqual(fileTree(q), []);
  });

  it('never overwrites a valid archive of different content: the source stays and the conflict is reported', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const a = path.join(root, 'a');
    fs.mkdirSync(q);
    fs.mkdirSync(path.join(a, '2022-06-20'), { recursive: true });
    writeLog(path.join(q, CONN), 10);
    const archive = path.join(a, '2022-06-20/conn.10:00:00-11:00:00.log.gz');
    fs.writeFileSync(archive, zlib.gzipSync('someone else\'s log\n'));
    const report = await archiveQueue({ queueDir: q, archiveDir: a });
    assert.equal(report.failed.length, 1);
    assert.match(report.failed[0].error, /archive 2022-06-20\/conn\.10:00:00-11:00:00\.log\.gz already exists with different content; left in the queue/);
    assert.equal(zlib.gunzipSync(fs.readFileSync(archive)).toString(), 'someone else\'s log\n');
    assert.deepEqual(fileTree(q), [CONN]);
  });

  it('replaces an unreadable archive of the same name and overwrites a leftover temporary file', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const a = path.join(root, 'a');
    fs.mkdirSync(q);
    fs.mkdirSync(path.join(a, '2022-06-20'), { recursive: true });
    writeLog(path.join(q, CONN), 1000);
    const full = zlib.gzipSync(fs.readFileSync(path.join(q, CONN)));
    fs.writeFileSync(path.join(a, '2022-06-20/conn.10:00:00-11:00:00.log.gz'), full.subarray(0, full.length >> 1));
    fs.writeFileSync(path.join(a, '2022-06-20/.tmp.conn.10:00:00-11:00:00.log.gz'), 'half-written');
    const report = await archiveQueue({ queueDir: q, archiveDir: a });
    assert.equal(report.archived.length, 1);
    assert.equal(linesOfFile(path.join(a, '2022-06-20/conn.10:00:00-11:00:00.log.gz')), 1000);
    assert.deepEqual(fileTree(a), ['2022-06-20/conn.10:00:00-11:00:00.log.gz']);
    assert.deepEqual(fileTree(q), []);
  });

  it('resumes after the archiver process is killed with SIGKILL while compressing a large log; every line is accounted for', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const a = path.join(root, 'a');
    fs.mkdirSync(q);
    const sources: Record<string, number> = {
      'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log': 2000,
      'dns__2022-06-20-10-00-00__2022-06-20-11-00-00__.log': 300,
      'http__2022-06-20-10-00-00__2022-06-20-11-00-00__.log': 400000, // ~40 MB: about a second of gzip
      'weird__2022-06-20-10-00-00__2022-06-20-11-00-00__.log': 50,
    };
    for (const [name, lines] of Object.entries(sources)) writeLog(path.join(q, name), lines);
    const total = Object.values(sources).reduce((x, y) => x + y, 0);
    const linesNow = (): number => [...fileTree(q).filter((f) => !f.startsWith('.')).map((f) => linesOfFile(path.join(q, f))), ...fileTree(a).filter((f) => !path.basename(f).startsWith('.')).map((f) => linesOfFile(path.join(a, f)))].reduce((x, y) => x + y, 0);
    assert.equal(linesNow(), total);

    const run = runCli(['-1', q, a]);
    const tmp = path.join(a, '2022-06-20/.tmp.http.10:00:00-11:00:00.log.gz');
    await waitFor('compression of the large log to be under way', () => fs.existsSync(tmp) && fs.statSync(tmp).size > 64 * 1024, 20000);
    run.proc.kill('SIGKILL');
    const { signal } = await run.exit;
    assert.equal(signal, 'SIGKILL');

    // Killed midway: what was done is done, the large log is still whole in the queue.
    assert.deepEqual(fileTree(q), ['.zeek-mgmt-archiver.lock', 'http__2022-06-20-10-00-00__2022-06-20-11-00-00__.log', 'weird__2022-06-20-10-00-00__2022-06-20-11-00-00__.log']);
    assert.deepEqual(fileTree(a), ['2022-06-20/.tmp.http.10:00:00-11:00:00.log.gz', '2022-06-20/conn.10:00:00-11:00:00.log.gz', '2022-06-20/dns.10:00:00-11:00:00.log.gz']);
    assert.equal(linesOfFile(path.join(q, 'http__2022-06-20-10-00-00__2022-06-20-11-00-00__.log')), 400000);
    assert.equal(ArchiveLock.inspect(q)?.pid, run.proc.pid, 'the dead run\'s lock is left behind');
    assert.equal(linesNow(), total);

    // The next run breaks the stale lock and finishes.
    const logs: string[] = [];
    const report = await archiveQueue({ queueDir: q, archiveDir: a, log: (lvl, m) => logs.push(`${lvl} ${m}`) });
    assert.equal(report.busy, null, logs.join('\n'));
    assert.deepEqual(report.archived.map((x) => x.source), ['http__2022-06-20-10-00-00__2022-06-20-11-00-00__.log', 'weird__2022-06-20-10-00-00__2022-06-20-11-00-00__.log']);
    assert.deepEqual(fileTree(q), []);
    assert.deepEqual(fileTree(a), ['2022-06-20/conn.10:00:00-11:00:00.log.gz', '2022-06-20/dns.10:00:00-11:00:00.log.gz', '2022-06-20/http.10:00:00-11:00:00.log.gz', '2022-06-20/weird.10:00:00-11:00:00.log.gz']);
    for (const [name, lines] of Object.entries(sources)) {
      const stream = name.split('__')[0];
      assert.equal(linesOfFile(path.join(a, `2022-06-20/${stream}.10:00:00-11:00:00.log.gz`)), lines, stream);
    }
    assert.equal(linesNow(), total);
  });

  it('does not start while another live process holds the lock, and says which', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    fs.mkdirSync(q);
    writeLog(path.join(q, CONN), 5);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    procs.push(holder);
    await waitFor('the holder process', () => processStartTime(holder.pid!) !== null);
    fs.writeFileSync(path.join(q, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: os.hostname(), procStart: processStartTime(holder.pid!), since: Date.now(), token: 'x' }));
    const report = await archiveQueue({ queueDir: q, archiveDir: path.join(root, 'a') });
    assert.equal(report.busy?.reason, `archival already running (pid ${holder.pid} on ${os.hostname()})`);
    assert.deepEqual(fileTree(q), [LOCK_FILE, CONN]);
    const cli = runCli(['-1', q, path.join(root, 'a')]);
    assert.equal((await cli.exit).code, 0);
    assert.match(cli.out(), new RegExp(`\\[INFO\\] not archiving ${q}: archival already running \\(pid ${holder.pid} `));
    assert.deepEqual(fileTree(q), [LOCK_FILE, CONN]);
  });

  it('breaks stale locks: a pid that is gone, and a pid now used by another process', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    fs.mkdirSync(q);
    writeLog(path.join(q, CONN), 5);
    fs.writeFileSync(path.join(q, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), procStart: '1', since: 0, token: 'dead' }));
    let report = await archiveQueue({ queueDir: q, archiveDir: path.join(root, 'a') });
    assert.equal(report.archived.length, 1);
    assert.deepEqual(fileTree(q), [], 'the stale lock is gone too');

    writeLog(path.join(q, DNS_W1), 5);
    // Our own pid, but recorded with another start time: the pid was reused.
    fs.writeFileSync(path.join(q, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), procStart: 'not-this-process', since: 0, token: 'reused' }));
    report = await archiveQueue({ queueDir: q, archiveDir: path.join(root, 'a') });
    assert.equal(report.archived.length, 1);
    assert.deepEqual(fileTree(q), []);
  });

  it('never runs twice at once: concurrent runs in one process and in two processes', async () => {
    const root = tempDir();
    const q = path.join(root, 'q');
    const a = path.join(root, 'a');
    fs.mkdirSync(q);
    writeLog(path.join(q, CONN), 200000);
    writeLog(path.join(q, DNS_W1), 10);
    const [r1, r2] = await Promise.all([archiveQueue({ queueDir: q, archiveDir: a }), archiveQueue({ queueDir: q, archiveDir: a })]);
    assert.equal([r1, r2].filter((r) => r.busy !== null).length, 1, 'one of them finds the other\'s lock');
    assert.equal(r1.archived.length + r2.archived.length, 2);
    assert.deepEqual(fileTree(q), []);

    writeLog(path.join(q, CONN.replace('10-00-00__', '12-00-00__')), 200000);
    const first = runCli(['-1', q, a]);
    await waitFor('the first run to be compressing', () => fs.existsSync(path.join(a, '2022-06-20/.tmp.conn.12:00:00-11:00:00.log.gz')), 20000);
    const second = runCli(['-1', q, a]);
    const [e1, e2] = await Promise.all([first.exit, second.exit]);
    assert.equal(e1.code, 0);
    assert.equal(e2.code, 0);
    assert.match(second.out(), new RegExp(`not archiving ${q}: archival already running \\(pid ${first.proc.pid} `));
    assert.match(first.out(), /\[INFO\] Archived 1 logs in/);
    assert.deepEqual(fileTree(q), []);
    assert.equal(linesOfFile(path.join(a, '2022-06-20/conn.12:00:00-11:00:00.log.gz')), 200000);
  });

  it('takes zeek-archiver\'s command line and rejects what it does not know', async () => {
    const bad = runCli(['-1', '--compress=gz,gzip', '/tmp/x', '/tmp/y']);
    assert.equal((await bad.exit).code, 1);
    assert.match(bad.err(), /ERROR: invalid argument: '--compress=gz,gzip'\n$/);
    const missing = runCli(['-1', '/tmp/x']);
    assert.equal((await missing.exit).code, 1);
    assert.match(missing.err(), /ERROR: no <dst_dir> provided\n$/);
    const order = runCli(['/tmp/x', '-1', '/tmp/y']);
    assert.equal((await order.exit).code, 1);
    assert.match(order.err(), /ERROR: optional flags must precede non-optional arguments: '-1'\n$/);
    const root = tempDir();
    const ok = runCli(['-1', path.join(root, 'no-queue-yet'), path.join(root, 'a')]);
    assert.equal((await ok.exit).code, 0);
    assert.ok(fs.statSync(path.join(root, 'a')).isDirectory(), 'the archive directory is created, as zeek-archiver does');
  });
});
