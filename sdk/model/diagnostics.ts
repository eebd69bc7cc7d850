// Node diagnostics (ours; ARCHITECTURE.md, "Node diagnostics"): what the Supervisor knows
// of a node's process that Zeek's NodeStatus does not carry, for `zeek-mgmt diag`, in the
// spirit of ZeekControl's diag (its crash-diag script shows stderr.log, stdout.log and the
// node's exit). The Supervisor makes these, the agent adds its instance name, the
// controller gathers them per instance. They travel as JSON text inside Zeek's own
// Management::Result (data: string), so no Zeek record layout changes; this module reads
// that text back, checking every field, since it arrives from other processes.

import { STATES } from './enums';

/** How a node's process ended on its own, and what it wrote last. */
export interface NodeExit {
  /** When the process ended, in seconds since the epoch. */
  time: number;
  /** Its exit status; null when a signal ended it. */
  code: number | null;
  /** The signal that ended it (e.g. "SIGKILL"), or null. */
  signal: string | null;
  /** How long it had run, in seconds. */
  ran: number;
  /** Its last lines on stdout and stderr (at most Management::Supervisor::output_max_lines each). */
  stdout: string[];
  stderr: string[];
}

export interface NodeDiagnostics {
  node: string;
  /** The agent's instance name ('' as the Supervisor reports it; the agent fills it in). */
  instance: string;
  /** Supervisor::ClusterRole name of a cluster node, else 'NONE'. */
  cluster_role: string;
  /** Management::Role name of a management node (AGENT, CONTROLLER), else 'NONE'. */
  mgmt_role: string;
  /**
   * Management::State of the process: RUNNING while one runs, CRASHED after it ended on its
   * own and until the Supervisor starts it again (next_start).
   */
  state: 'RUNNING' | 'CRASHED';
  /** The running process's pid and start time (seconds since the epoch); null while CRASHED. */
  pid: number | null;
  started: number | null;
  /** When the Supervisor starts a CRASHED node again (seconds since the epoch), else null. */
  next_start: number | null;
  /** How often the Supervisor started the node again after it ended on its own, since it was created (deployed). */
  restarts: number;
  /** The node's working directory and its output files there (absolute paths), where known. */
  directory: string | null;
  stdout_file: string | null;
  stderr_file: string | null;
  /** The running process's last lines (empty while CRASHED: see last_exit). */
  stdout: string[];
  stderr: string[];
  /** The last time the node's process ended on its own, or null if it never did. */
  last_exit: NodeExit | null;
}

export class DiagnosticsFormatError extends Error {
  override readonly name = 'DiagnosticsFormatError';
}

type Json = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new DiagnosticsFormatError(`${where}: ${what}`);
}

function obj(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, `must be an object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Json;
}

function str(o: Json, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') fail(`${where}.${k}`, `must be a string, got ${v === undefined ? 'nothing' : typeof v}`);
  return v;
}

function strOrNull(o: Json, k: string, where: string): string | null {
  return o[k] === null ? null : str(o, k, where);
}

function num(o: Json, k: string, where: string, integer = false): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) fail(`${where}.${k}`, `must be a${integer ? 'n integer' : ' number'}, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function numOrNull(o: Json, k: string, where: string, integer = false): number | null {
  return o[k] === null ? null : num(o, k, where, integer);
}

function lines(o: Json, k: string, where: string): string[] {
  const v = o[k];
  if (!Array.isArray(v)) fail(`${where}.${k}`, `must be an array of strings, got ${v === undefined ? 'nothing' : typeof v}`);
  v.forEach((l, i) => { if (typeof l !== 'string') fail(`${where}.${k}[${i}]`, `must be a string, got ${typeof l}`); });
  return v as string[];
}

function exitFrom(v: unknown, where: string): NodeExit | null {
  if (v === null) return null;
  const o = obj(v, where);
  return {
    time: num(o, 'time', where), code: numOrNull(o, 'code', where, true), signal: strOrNull(o, 'signal', where),
    ran: num(o, 'ran', where), stdout: lines(o, 'stdout', where), stderr: lines(o, 'stderr', where),
  };
}

/** One NodeDiagnostics record from parsed JSON; throws DiagnosticsFormatError naming the field. */
export function nodeDiagnosticsFrom(v: unknown, where = '$'): NodeDiagnostics {
  const o = obj(v, where);
  const state = str(o, 'state', where);
  if (state !== 'RUNNING' && state !== 'CRASHED') fail(`${where}.state`, `must be RUNNING or CRASHED (of ${STATES.join(', ')}), got ${JSON.stringify(state)}`);
  return {
    node: str(o, 'node', where), instance: str(o, 'instance', where),
    cluster_role: str(o, 'cluster_role', where), mgmt_role: str(o, 'mgmt_role', where), state,
    pid: numOrNull(o, 'pid', where, true), started: numOrNull(o, 'started', where), next_start: numOrNull(o, 'next_start', where),
    restarts: num(o, 'restarts', where, true),
    directory: strOrNull(o, 'directory', where), stdout_file: strOrNull(o, 'stdout_file', where), stderr_file: strOrNull(o, 'stderr_file', where),
    stdout: lines(o, 'stdout', where), stderr: lines(o, 'stderr', where),
    last_exit: exitFrom(o.last_exit ?? null, `${where}.last_exit`),
  };
}

/** A list of NodeDiagnostics from its JSON text, as Results and the Supervisor carry it. */
export function nodeDiagnosticsFromJson(text: string, where = '$'): NodeDiagnostics[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DiagnosticsFormatError(`${where}: not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(v)) fail(where, `must be an array of node diagnostics, got ${v === null ? 'null' : typeof v}`);
  return v.map((d, i) => nodeDiagnosticsFrom(d, `${where}[${i}]`));
}
