// The real-Zeek suites' common ground: zeek-mgmt's CLI and the real zeek-client run the
// same command against one controller (ours or Zeek's), and must print the same, with what
// differs from run to run (pids, deployment ids) masked; the documentation's mini
// configuration on lo; waiting for an agent to check in; and the restart check every suite
// makes. Each suite starts its own processes; this only talks to them.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, CliResult, REFERENCE_DIR } from '../cli-harness';

/** Masks pids ("pid": N) in JSON output. */
export const maskPids = (t: string): string => t.replace(/"pid": \d+/g, '"pid": <pid>');

/** Masks pids and UUIDs (deployment and request ids). */
export const maskPidsAndIds = (t: string): string =>
  maskPids(t).replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>');

/** A node's row in get-nodes' output. */
export interface NodeRow { state: string; pid: number; cluster_role?: string | null; mgmt_role?: string | null }

export interface SideBySide {
  /** zeek-mgmt's CLI (the package's bin) against the controller. */
  ours(...args: string[]): Promise<CliResult>;
  /** The real zeek-client against the controller. */
  zeekClient(...args: string[]): CliResult;
  /** Both clients, zeek-client first: the same exit code, stdout (masked) and stderr. Resolves with ours. */
  same(...args: string[]): Promise<CliResult>;
  /** get-nodes through our CLI: the nodes of one agent (none when it is not listed). */
  nodesOf(agent: string): Promise<Record<string, NodeRow>>;
}

export interface SideBySideOptions {
  /** Per command (default 60 s). */
  timeoutMs?: number;
  /** What is masked before stdout is compared (default maskPids). */
  mask?: (text: string) => string;
}

/**
 * Both clients against the controller whose WebSocket port `wsPort()` gives (read at each
 * command, so that it can be made before the controller starts).
 */
export function sideBySide(zeekClientArgv: readonly string[], wsPort: () => number, o: SideBySideOptions = {}): SideBySide {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const mask = o.mask ?? maskPids;
  const controllerArgs = (): string[] => ['--controller', `127.0.0.1:${wsPort()}`];
  const ours = (...args: string[]): Promise<CliResult> => cli([...controllerArgs(), ...args], { timeoutMs });
  const zeekClient = (...args: string[]): CliResult => {
    const [cmd, ...pre] = zeekClientArgv;
    const r = spawnSync(cmd, [...pre, ...controllerArgs(), ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    ours,
    zeekClient,
    async same(...args: string[]): Promise<CliResult> {
      const theirs = zeekClient(...args);
      const mine = await ours(...args);
      assert.equal(mine.code, theirs.code, `${args.join(' ')}: exit ${mine.code} vs zeek-client's ${theirs.code}\n${mine.stdout}${mine.stderr}\n${theirs.stdout}${theirs.stderr}`);
      assert.equal(mask(mine.stdout), mask(theirs.stdout), `${args.join(' ')}: stdout differs`);
      assert.equal(mine.stderr, theirs.stderr, `${args.join(' ')}: stderr differs`);
      return mine;
    },
    async nodesOf(agent: string): Promise<Record<string, NodeRow>> {
      const r = await ours('get-nodes');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return (JSON.parse(r.stdout) as { results: Record<string, Record<string, NodeRow>> }).results[agent] ?? {};
    },
  };
}

/** Skips the suite (from its before hook), with the one-line reason, unless both zeek and zeek-client were found. */
export function skipUnlessZeek(ctx: Mocha.Context, zeek: string | null, zeekClient: readonly string[] | null): void {
  if (zeek !== null && zeekClient !== null) return;
  console.log(`      (skipped: ${zeek === null ? 'no zeek binary; set ZEEK or run ../shared/tools/build-zeek.sh' : 'no zeek-client; set ZEEK_CLIENT'})`);
  ctx.skip();
}

/**
 * The documentation's mini configuration (mini-config.ini) with its workers on lo, and,
 * given an instance, every node placed on it and the instance listed first (`instanceLine`:
 * its [instances] entry, "name" or "name = host:port").
 */
export function miniConfigOnLo(instance?: { name: string; instanceLine?: string }): string {
  const mini = fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace(/eth0/g, 'lo');
  if (instance === undefined) return mini;
  const placed = mini.replace(/^(\[[^\]]+\])$/gm, `$1\ninstance = ${instance.name}`);
  return `[instances]\n${instance.instanceLine ?? instance.name}\n\n${placed}`;
}

/** Polls get-instances until `agent` is listed; `why()` says what to show when it never is. */
export async function waitForInstance(s: SideBySide, agent: string, why: () => string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.ours('get-instances');
    if (r.code === 0 && agent in (JSON.parse(r.stdout) as object)) return;
    if (Date.now() > until) throw new Error(`${agent} never checked in: ${r.stdout}${r.stderr}\n${why()}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * restart manager through our CLI: the controller's answer, then a new pid for the manager,
 * RUNNING, within 30 s; then both clients restart it once more and print the same.
 */
export async function restartGivesManagerNewPid(s: SideBySide, agent: string): Promise<void> {
  const before = (await s.nodesOf(agent)).manager?.pid;
  assert.ok(before !== undefined, `no manager under ${agent}`);
  const r = await s.ours('restart', 'manager');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { errors: [], results: { manager: true } });
  const until = Date.now() + 30_000;
  for (;;) {
    const m = (await s.nodesOf(agent)).manager;
    if (m && m.pid !== before && m.state === 'RUNNING') break;
    assert.ok(Date.now() < until, `the manager kept its pid ${before} or is not RUNNING again: ${JSON.stringify(m)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  await s.same('restart', 'manager');
}
