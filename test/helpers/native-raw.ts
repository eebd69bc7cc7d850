// Native Broker by hand, for hostile-input tests: raw bytes on a fresh connection, and a
// peering driven by our Handshake over a plain socket, so that any bytes can follow it.

import { once } from 'node:events';
import * as net from 'node:net';
import { EndpointId } from '../../sdk/broker/native/endpoint-id';
import { frame, FrameReader } from '../../sdk/broker/native/framing';
import { Handshake } from '../../sdk/broker/native/handshake';
import { decodeHandshake, encodeHandshake, MAGIC } from '../../sdk/broker/native/messages';

/** A hello frame (a connector's first message), with a chosen version range and magic number. */
export function helloFrame(sender: EndpointId, minVersion = 1, maxVersion = 1, magic = MAGIC): Buffer {
  return frame(encodeHandshake({ kind: 'hello', magic, sender, minVersion, maxVersion }));
}

/**
 * Writes `bytes` on a new plain TCP connection (nothing when empty), ends our side when
 * `end`, and resolves once the other side has closed the connection.
 */
export async function sendRaw(port: number, bytes: Buffer[], opts: { end?: boolean } = {}): Promise<void> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  const closed = once(s, 'close');
  await once(s, 'connect');
  s.resume();
  for (const b of bytes) s.write(b);
  if (opts.end) s.end();
  await closed;
}

/** Peers over plain TCP with our Handshake and returns the socket, positioned after the handshake. */
export async function rawPeering(port: number, id: EndpointId, filter: string[]): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  await once(s, 'connect');
  const hs = new Handshake(id, () => filter, 'connector');
  const r = new FrameReader();
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      try {
        for (const f of r.push(c)) {
          const step = hs.receive(decodeHandshake(f));
          for (const m of step.send) s.write(frame(encodeHandshake(m)));
          if (step.peered) {
            s.off('data', onData);
            s.resume();
            resolve();
            return;
          }
        }
      } catch (err) {
        reject(err);
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error('closed during the handshake')));
    for (const m of hs.start()) s.write(frame(encodeHandshake(m)));
  });
  return s;
}
