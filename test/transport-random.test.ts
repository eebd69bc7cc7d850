// sdk/transport/random.ts: SHA-1 equal to node:crypto's for every length around the block
// boundaries and beyond; random bytes that are not repeated across calls, pool refills and
// the large-buffer path; UUIDs in crypto.randomUUID()'s form.

import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { fillRandom, randomBytes, randomUUID, sha1 } from '../sdk/transport/random';

describe('transport random bytes and SHA-1 without node:crypto', () => {
  it('sha1 equals node:crypto for lengths 0-300, block multiples and a large input', () => {
    const lengths = [...Array(301).keys(), 511, 512, 513, 4095, 4096, 4097, 100_003];
    for (const n of lengths) {
      const data = crypto.randomBytes(n);
      assert.equal(sha1(data).toString('hex'), crypto.createHash('sha1').update(data).digest('hex'), `length ${n}`);
    }
    // RFC 6455's example: key dGhlIHNhbXBsZSBub25jZQ== accepts as s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    assert.equal(sha1(Buffer.from('dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11', 'latin1')).toString('base64'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('hands out bytes that do not repeat, across pool refills and for large buffers', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = randomBytes(16); // 48 KB in all: many refills of the 4 KiB pool
      const h = b.toString('hex');
      assert.ok(!seen.has(h), 'a repeated 16-byte value');
      seen.add(h);
    }
    const big = Buffer.alloc(10_000);
    fillRandom(big);
    assert.ok(big.some((x) => x !== 0));
    const ones = [...randomBytes(4096)].reduce((n, x) => n + x.toString(2).replace(/0/g, '').length, 0);
    assert.ok(ones > 4096 * 4 * 0.95 && ones < 4096 * 4 * 1.05, `${ones} one-bits in 32768`);
  });

  it('randomUUID is a version 4 UUID, different each time', () => {
    const a = randomUUID();
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(randomUUID(), a);
  });
});
