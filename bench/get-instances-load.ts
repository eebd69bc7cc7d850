// Load on a controller from concurrent WebSocket clients, each sending its next
// get_instances as soon as its answer arrives. Used by bench/controller.ts and
// bench/vs-zeek.ts, so both controllers are driven the same way.

import { ControllerClient } from '../sdk/client/controller-client';
import { ownCpuMs, selfCpuMs } from './proc-cpu';

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export interface LoadFigures {
  clients: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The controller process's CPU time per answered request, µs. */
  controllerCpuUs: number;
  /** This (the clients') process's CPU time per answered request, µs. */
  clientCpuUs: number;
}

/**
 * Runs the clients for warmupS seconds unmeasured, then seconds measured, against the
 * controller process pid (for its CPU time), and closes them.
 */
export async function getInstancesLoad(clients: ControllerClient[], pid: number, seconds: number, warmupS = 1): Promise<LoadFigures> {
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  const loop = async (c: ControllerClient): Promise<void> => {
    while (!stop) {
      const t0 = process.hrtime.bigint();
      const r = await c.getInstances();
      if (!r.success) throw new Error(`get_instances failed: ${r.error}`);
      if (measuring) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  const running = clients.map(loop);
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  measuring = true;
  const t0 = process.hrtime.bigint();
  const [c0, k0] = [ownCpuMs(pid), selfCpuMs()];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const [c1, k1] = [ownCpuMs(pid), selfCpuMs()];
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  await Promise.all(running);
  await Promise.all(clients.map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return {
    clients: clients.length, requests: n, reqPerSec: n / elapsed,
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[n - 1],
    controllerCpuUs: ((c1 - c0) * 1000) / n, clientCpuUs: ((k1 - k0) * 1000) / n,
  };
}
