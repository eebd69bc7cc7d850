// Request state, as Zeek's Management::Request module keeps it (request.zeek): a table
// from request id to a record that collects results, optionally points at a parent
// request, and expires after Management::Request::timeout_interval. Expiry of a request
// that is not finished calls the owner's handler, which answers the client with
// "request timed out", so every request gets an answer.

import { randomUUID } from 'node:crypto';
import { Result } from '../../sdk/model/records';
import { Configuration } from '../../sdk/model/schemas';
import { resultVecToString } from './strings';

/** The controller's per-request state (Zeek's DeployState, GetNodesState, ...). */
export type RequestState =
  | { kind: 'deploy'; config: Configuration; isInternal: boolean; requests: Set<string> }
  | { kind: 'get_nodes'; requests: Set<string> }
  | { kind: 'node_dispatch'; action: string[]; requests: Set<string> }
  | { kind: 'restart'; requests: Set<string> }
  | { kind: 'test' }
  /** A request the controller sent to one agent (on behalf of `parentId`, if any). */
  | { kind: 'agent'; instance: string; event: string };

export interface Request {
  id: string;
  parentId?: string;
  results: Result[];
  finished: boolean;
  state?: RequestState;
}

export class RequestTable {
  private readonly table = new Map<string, { req: Request; timer: NodeJS.Timeout }>();

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (req: Request) => void,
  ) {}

  /** Management::Request::create: establishes state under `reqid` (a fresh id when omitted). */
  create(reqid: string = randomUUID(), state?: RequestState, parentId?: string): Request {
    const req: Request = { id: reqid, results: [], finished: false, state, parentId };
    const old = this.table.get(reqid);
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => this.expire(reqid, req), this.timeoutMs);
    this.table.set(reqid, { req, timer });
    return req;
  }

  /** Management::Request::lookup; undefined stands for Zeek's null_req. */
  lookup(reqid: string): Request | undefined {
    return this.table.get(reqid)?.req;
  }

  /** Management::Request::finish: releases the state. Returns false when there was none. */
  finish(reqid: string): boolean {
    const entry = this.table.get(reqid);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.table.delete(reqid);
    entry.req.finished = true;
    return true;
  }

  get size(): number {
    return this.table.size;
  }

  private expire(reqid: string, req: Request): void {
    const entry = this.table.get(reqid);
    if (!entry || entry.req !== req) return;
    this.table.delete(reqid);
    if (!req.finished) this.onExpired(req);
  }

  /** Drops all state without expiry handling (shutdown). */
  clear(): void {
    for (const { timer } of this.table.values()) clearTimeout(timer);
    this.table.clear();
  }
}

/** Management::Request::to_string. */
export function requestToString(req: Request): string {
  const parent = req.parentId !== undefined ? ` (via ${req.parentId})` : '';
  return `[request ${req.id}${parent} ${req.finished ? 'finished' : 'pending'}, results: ${resultVecToString(req.results)}]`;
}
