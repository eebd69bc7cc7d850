// The progress line `apply` shows on a terminal while agents launch nodes: it polls
// get_nodes and rewrites one stderr line ("deploying <id>: 2/4 nodes running, waiting
// for worker-01, worker-02"), then clears it before the result is printed.

import { nodeStatusesOf } from '../sdk/client/result-data';
import type { Configuration } from '../sdk/model/schemas';
import type { CommandContext } from './command';
import type { Session } from './session';

export interface Progress {
  stop(): void;
}

export function startProgress(ctx: CommandContext, s: Session, config: Configuration, intervalMs = 400): Progress {
  const stderr = ctx.io.stderr as NodeJS.WriteStream;
  const width = Math.max(20, (stderr.columns ?? 80) - 1);
  const wanted = config.nodes.map((n) => n.name);
  let stopped = false;
  let inFlight = false;
  let frame = 0;
  let running = new Set<string>();
  const spinner = ['|', '/', '-', '\\'];
  const draw = (): void => {
    if (stopped) return;
    const waiting = wanted.filter((n) => !running.has(n));
    let line = `${spinner[frame++ % spinner.length]} deploying ${config.id}: ${wanted.length - waiting.length}/${wanted.length} nodes running`;
    if (waiting.length > 0) line += `, waiting for ${waiting.join(', ')}`;
    if (line.length > width) line = `${line.slice(0, width - 3)}...`;
    stderr.write(`\r\x1b[2K${line}`);
  };
  const poll = (): void => {
    if (stopped || inFlight) return;
    inFlight = true;
    s.client.getNodes().then((results) => {
      const now = new Set<string>();
      for (const r of results) {
        if (!r.success || r.data === null) continue;
        try {
          for (const st of nodeStatusesOf(r)) if (st.state === 'RUNNING' && st.cluster_role !== 'NONE') now.add(st.node);
        } catch {
          // a malformed answer only costs this update
        }
      }
      running = now;
    }, () => undefined).finally(() => {
      inFlight = false;
    });
  };
  draw();
  const timer = setInterval(() => {
    poll();
    draw();
  }, intervalMs);
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stderr.write('\r\x1b[2K');
    },
  };
}
