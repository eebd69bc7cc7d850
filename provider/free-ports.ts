// Free local TCP ports for a local zeek-mgmt run (quickstart, tests, benches).
//
// A port found free is only a promise: nothing holds it until the process it is meant for
// binds it. Ports inside the kernel's ephemeral range (net.ipv4.ip_local_port_range) may
// meanwhile be handed to any outgoing connection, and a local run makes many (agents,
// nodes, clients), so a node would then fail with "Address already in use". Ports are
// therefore drawn below that range, where the kernel never picks them by itself, and are
// not handed out twice by one process.

import * as fs from 'node:fs';
import * as net from 'node:net';

const LOWEST = 10000;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** True if `port` can be bound on every address (nodes bind 0.0.0.0, management on 127.0.0.1). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A free port, or the first of `count` consecutive free ports, below the ephemeral range where it has room. */
export async function freePorts(count = 1): Promise<number> {
  let low = LOWEST;
  let high = ephemeralLow() - count; // highest base
  if (high - low < 1000) {
    // Hardly any room below the ephemeral range: take any unprivileged ports.
    low = 1024;
    high = 65535 - count;
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low + 1));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = !handedOut.has(p) && (await bindable(p));
    if (ok) {
      for (let p = base; p < base + count; p++) handedOut.add(p);
      return base;
    }
  }
  throw new Error(`no block of ${count} free ports found between ${low} and ${high + count}`);
}
