// One command's conversation with the controller: connect (or fail with one error
// line), run the requests, always close. A request that gets no answer logs
// zeek-client's "no response received: ..." and makes the command exit 1.

import type { ControllerClient, FirstRequest } from '../sdk/client/controller-client';
import type { CommandContext } from './command';
import { connectController, controllerTarget, noResponseReason } from './connection';

/** Raised inside a session to end the command with this exit code (after logging). */
export class CommandFailed extends Error {
  constructor(readonly exitCode: number, message = 'command failed') {
    super(message);
  }
}

export interface Session {
  client: ControllerClient;
  remote: string;
  /** Runs one request; on failure logs "no response received: ..." and ends the command with exit 1. */
  request<T>(fn: (c: ControllerClient) => Promise<T>): Promise<T>;
}

/**
 * `first`: a read request the body makes first, sent with the handshake, a round trip
 * sooner (ControllerClientOptions.first); the body asks for it as usual.
 */
export async function withController(ctx: CommandContext, body: (s: Session) => Promise<number>, first?: FirstRequest): Promise<number> {
  const target = controllerTarget(ctx);
  if (target === null) return 1;
  const client = await connectController(ctx, first);
  if (client === null) return 1;
  const session: Session = {
    client,
    remote: target.remote,
    async request<T>(fn: (c: ControllerClient) => Promise<T>): Promise<T> {
      try {
        return await fn(client);
      } catch (err) {
        const e = err as Error;
        if (e.name === 'ShapeError' || e.name === 'WireError') {
          ctx.log.error(`protocol data error with controller ${target.remote}: ${e.message}`);
        } else {
          ctx.log.error(`no response received: ${noResponseReason(e, target.remote)}`);
        }
        throw new CommandFailed(1);
      }
    },
  };
  try {
    return await body(session);
  } catch (err) {
    if (err instanceof CommandFailed) return err.exitCode;
    throw err;
  } finally {
    await client.close();
  }
}
