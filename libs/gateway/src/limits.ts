import { DEFAULT_MAX_MESSAGE_BYTES } from '@tandem/protocol';

export interface GatewayLimits {
  /** Largest WebSocket message; one op at its 64 KiB limit, escaped, plus the envelope. */
  maxMessageBytes: number;
  /**
   * Ops a socket may submit per second, sustained. A client keeps one op in flight per
   * document and composes the rest, so even fast typing on several documents stays far
   * below this; a socket above it is misbehaving.
   */
  opsPerSecond: number;
  /** Ops a socket may submit in a burst above the sustained rate (a reconnect resending every document's op). */
  opsBurst: number;
  /** Documents one socket may have open. */
  maxDocs: number;
  /** Ops submitted on one socket and not yet answered. */
  maxPendingOps: number;
  /** Presence updates a socket may send per second; more are dropped (the next one supersedes them anyway). */
  presencePerSecond: number;
  /** Ping interval the client is told; a socket silent for three intervals is closed. */
  heartbeatMs: number;
  /** A socket that has not said hello by then is closed. */
  helloTimeoutMs: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  opsPerSecond: 50,
  opsBurst: 200,
  maxDocs: 100,
  maxPendingOps: 200,
  presencePerSecond: 20,
  heartbeatMs: 20_000,
  helloTimeoutMs: 10_000,
};
