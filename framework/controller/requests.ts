// Request state, as Zeek's Management::Request module keeps it (request.zeek): a table
// from request id to a record that collects results, optionally points at a parent
// request, and expires after Management::Request::timeout_interval. Expiry of a request
// that is not finished calls the owner's handler, which answers the client with
// "request timed out", so every request gets an answer.

import { randomUUID } from 'node:crypto';
import { Result } from '../../sdk/model/records';
import { Configuration, Instance } from '../../sdk/model/schemas';
import { resultVecToString } from './strings';

/** The controller's per-request state (Zeek's DeployState, GetNodesState, ...). */
export type RequestState =
  | {
    kind: 'deploy'; config: Configuration; isInternal: boolean; requests: Set<string>;
    /** With a site (ours): instances to stand down once the site is in place, what to restore if it is refused, whether its steps have started. */
    deferredDrops?: string[]; before?: { instances: Map<string, Instance>; ready: Set<string> }; sitePreparing?: boolean; siteDone?: boolean;
    /** Instances a deploy_request went to, and those that answered (ours: a timeout names the rest, node by node). */
    sent?: Set<string>; answered?: Set<string>;
  }
  | { kind: 'get_nodes'; requests: Set<string> }
  | { kind: 'node_dispatch'; action: string[]; requests: Set<string> }
  | { kind: 'restart'; requests: Set<string> }
  | { kind: 'test' }
  /** A request the controller sent to one agent (on behalf of `parentId`, if any). */
  | { kind: 'agent'; instance: string; event: string };

export interface Request {
  /** The request id: the client's reqid, echoed in responses. */
  id: string;
  /**
   * Where the request is kept: its id, unless a pending request already holds that id (a
   * client reusing another's reqid), then a distinct key, so no request can clobber another.
   */
  key: string;
  /** The key of the request this one serves (controller-to-agent requests). */
  parentId?: string;
  results: Result[];
  finished: boolean;
  state?: RequestState;
}

export class RequestTable {
  private readonly table = new Map<string, { req: Request; timer: NodeJS.Timeout }>();
  private collisions = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (req: Request) => void,
  ) {}

  /** Management::Request::create: establishes state under `reqid` (a fresh id when omitted). */
  create(reqid: string = randomUUID(), state?: RequestState, parentId?: string): Request {
    let key = reqid;
    while (this.table.has(key)) key = `${reqid}#${++this.collisions}`;
    const req: Request = { id: reqid, key, results: [], finished: false, state, parentId };
    const timer = setTimeout(() => this.expire(key, req), this.timeoutMs);
    this.table.set(key, { req, timer });
    return req;
  }

  /** Management::Request::lookup by key; undefined stands for Zeek's null_req. */
  lookup(key: string): Request | undefined {
    return this.table.get(key)?.req;
  }

  /** Management::Request::finish: releases the state. Returns false when there was none. */
  finish(key: string): boolean {
    const entry = this.table.get(key);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.table.delete(key);
    entry.req.finished = true;
    return true;
  }

  get size(): number {
    return this.table.size;
  }

  private expire(key: string, req: Request): void {
    const entry = this.table.get(key);
    if (!entry || entry.req !== req) return;
    this.table.delete(key);
    if (!req.finished) this.onExpired(req);
  }

  /** Drops all state without expiry handling (shutdown). */
  clear(): void {
    for (const { timer } of this.table.values()) clearTimeout(timer);
    this.table.clear();
  }
}

/** Management::Request::to_string. */
export function requestToString(req: Pick<Request, 'id' | 'parentId' | 'finished' | 'results'>): string {
  const parent = req.parentId !== undefined ? ` (via ${req.parentId})` : '';
  return `[request ${req.id}${parent} ${req.finished ? 'finished' : 'pending'}, results: ${resultVecToString(req.results)}]`;
}
