// The envelopes of Broker's WebSocket JSON API v1 messages as zod schemas: the
// authority on what is accepted, and the source of the detailed error when a message
// is refused. messages.ts loads this module only when the zod-free checks in
// envelope-checks.ts turn a message down, so a client that only ever sees well-formed
// messages never loads zod.

import { z } from 'zod';
import { MAX_SUBSCRIPTIONS, MAX_TOPIC_LENGTH } from './envelope-checks';

export const SubscriptionsSchema = z.array(z.string().max(MAX_TOPIC_LENGTH)).max(MAX_SUBSCRIPTIONS);
export const AckSchema = z.object({ type: z.literal('ack'), endpoint: z.string(), version: z.string() });
export const ErrorSchema = z.object({ type: z.literal('error'), code: z.string(), context: z.string() });
export const DataEnvelopeSchema = z.object({
  type: z.literal('data-message'),
  topic: z.string().min(1, 'topic must not be empty').max(MAX_TOPIC_LENGTH),
  '@data-type': z.string(),
});

/** zod's issues as one line: `path: message; …`. */
export function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}
