// How often a Broker peering is retried, as Zeek's Broker::peer decides it (the broker
// manager's Peer(): the ZEEK_DEFAULT_CONNECT_RETRY environment variable, read there as C's
// atoi() reads it, a whole number of seconds, overrides any interval the script gives, from
// Management::connect_retry to Cluster::retry_interval; an interval of 0 means the peering
// is tried once and not again). Unlike Broker, which drops the fraction of a second, a
// script's sub-second interval is kept (see ARCHITECTURE.md, "Where we differ from Zeek").

/** The variable Zeek reads at every Broker::peer. */
export const CONNECT_RETRY_ENV = 'ZEEK_DEFAULT_CONNECT_RETRY';

/** C's atoi(): leading whitespace, an optional sign, decimal digits; 0 where there are none. */
export function cAtoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? Math.trunc(Number(m[1])) : 0;
}

/**
 * The retry interval of a peering in milliseconds, or null where it is not retried: the
 * environment's ZEEK_DEFAULT_CONNECT_RETRY when set (even empty, which atoi reads as 0),
 * else `requestedSecs`.
 */
export function peerRetryMs(requestedSecs: number, env: NodeJS.ProcessEnv = process.env): number | null {
  const override = env[CONNECT_RETRY_ENV];
  const secs = override === undefined ? requestedSecs : cAtoi(override);
  if (!Number.isFinite(secs) || secs <= 0) return null;
  return Math.round(secs * 1000);
}
