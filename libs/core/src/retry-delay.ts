/**
 * The pause before the next attempt after `failures` failures in a row: `firstMs` after the
 * first, doubling after each further one, never more than `maxMs`. What the event consumers
 * wait before trying a failing store again, so a store that is down for an hour costs each of
 * their documents about 60 attempts, not thousands.
 */
export function retryDelayMs(failures: number, firstMs = 1_000, maxMs = 60_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
}
