// Hostile WebSocket peers for the servers' hostile-input suites (controller, Supervisor).

import { strict as assert } from 'node:assert';
import WebSocket from 'ws';

/**
 * Opens url (with headers), sends a handshake that is not Broker's JSON array, and checks
 * that the server answers with an error saying so and closes with 1008. closers gets the
 * socket, so the suite's cleanup ends it whatever happens.
 */
export async function badHandshakeIsClosed(url: string, closers: Array<() => unknown>, headers?: Record<string, string>): Promise<void> {
  const ws = new WebSocket(url, { headers });
  closers.push(() => ws.terminate());
  const msgs: string[] = [];
  ws.on('message', (m) => msgs.push(m.toString()));
  await new Promise((r) => ws.once('open', r));
  ws.send('{"subscribe": "everything"}');
  assert.equal(await new Promise<number>((r) => ws.on('close', (c) => r(c))), 1008);
  assert.match(msgs[0], /handshake must be a JSON array/);
}
