/**
 * The delay until the first multiple of `stepMs` (since the epoch) at least `delayMs` from now.
 * Timers set with it for many documents fall due at the same instants and run in the same
 * timers phase, so the writes they start land in one turn of the event loop, where a store's
 * CallBatcher makes them one statement.
 */
export function gridDelayMs(delayMs: number, stepMs: number, now = Date.now()): number {
  if (!(stepMs > 0)) return delayMs;
  return Math.ceil((now + delayMs) / stepMs) * stepMs - now;
}
