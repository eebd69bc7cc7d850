// Requests of ours (ZeekMgmt::) from the controller to agents that announced a capability
// for them: which instances announced it, over which link, and the calls in flight. A call
// counts an answer only from the instance it went to, over the link it went over; it ends
// with the answer, with the link's loss, or after the timeout. Used by the site transfer
// (site.ts) and node diagnostics (diagnostics.ts).

import { B, BrokerData } from '../../sdk/broker/data';
import { AgentLink } from './agents';
import { ManagementLog } from './log';
import { short } from './strings';

/** How a call ended other than by an answer. */
export type CallEnd = { kind: 'lost' } | { kind: 'timeout'; seconds: number };

interface PendingCall<T> {
  instance: string;
  link: AgentLink;
  timer: NodeJS.Timeout;
  settle: (outcome: { answer: T } | CallEnd) => void;
}

export class AgentCalls<T> {
  private readonly capable = new Map<string, AgentLink>();
  private readonly calls = new Map<string, PendingCall<T>>();
  private seq = 0;

  /** what names the calls in log lines ("site", "diagnostics"); idPrefix starts their request ids. */
  constructor(
    private readonly capability: string,
    private readonly what: string,
    private readonly idPrefix: string,
    private readonly log: ManagementLog,
    private readonly timeoutMs: number,
    private readonly linkFor: (instance: string) => AgentLink | undefined,
  ) {}

  capabilities(instance: string, caps: string[], link: AgentLink): void {
    if (caps.includes(this.capability)) this.capable.set(instance, link);
    else this.capable.delete(instance);
  }

  /** Whether the instance announced the capability over the link it is connected by now. */
  isCapable(instance: string): boolean {
    const link = this.capable.get(instance);
    return link !== undefined && link === this.linkFor(instance);
  }

  linkLost(link: AgentLink): void {
    for (const [name, l] of this.capable) if (l === link) this.capable.delete(name);
    for (const [id, c] of this.calls) {
      if (c.link !== link) continue;
      this.calls.delete(id);
      clearTimeout(c.timer);
      c.settle({ kind: 'lost' });
    }
  }

  /** An agent's response: counts only for a call that went to that instance over that link. */
  response(reqid: string, answer: T, link: AgentLink): void {
    const c = this.calls.get(reqid);
    if (!c) return;
    if (c.link !== link) {
      this.log.warning(`ignoring ${this.what} response ${short(reqid)} from ${link.describe()}: the request went to instance ${c.instance}`);
      return;
    }
    this.calls.delete(reqid);
    clearTimeout(c.timer);
    c.settle({ answer });
  }

  /**
   * Sends event (a new request id first, then args) to the instance over link and resolves
   * with its answer or with how the call ended without one. Never rejects.
   */
  send(instance: string, link: AgentLink, event: string, args: BrokerData[]): Promise<{ answer: T } | CallEnd> {
    const reqid = `${this.idPrefix}-${++this.seq}-${Date.now().toString(36)}`;
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        this.calls.delete(reqid);
        settle({ kind: 'timeout', seconds: this.timeoutMs / 1000 });
      }, this.timeoutMs);
      this.calls.set(reqid, { instance, link, timer, settle });
      link.send(`zeek/management/agent/${instance}`, { name: event, args: [B.str(reqid), ...args] });
    });
  }

  close(): void {
    for (const c of this.calls.values()) clearTimeout(c.timer);
    this.calls.clear();
  }
}
