import type { TandemClient } from './tandem-client.js';

/** The part of the WHATWG WebSocket that this needs; the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface WebSocketConnectionOptions {
  /**
   * Constructor to use; defaults to globalThis.WebSocket (browsers, Node 22+). Pass `ws`
   * on Node 20. Typed loosely because the DOM's and ws's handler types differ in their
   * event classes while both deliver `data`, which is all this reads.
   */
  WebSocket?: new (
    url: string,
  ) => object;
  /** First reconnect delay; it doubles up to maxDelayMs, with jitter so a fleet does not reconnect in step. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Ping interval until the server's welcome states its own. */
  heartbeatMs?: number;
}

/**
 * Keeps a TandemClient connected over WebSocket: reconnects with capped exponential
 * backoff, pings so that a dead link is noticed, and follows the server's redirects.
 * Returns a function that closes the connection for good.
 */
export function connectWebSocket(
  client: TandemClient,
  url: string,
  options: WebSocketConnectionOptions = {},
): () => void {
  const found = options.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => object }).WebSocket;
  if (!found) throw new Error('No WebSocket implementation: pass options.WebSocket');
  const Ctor = found as new (url: string) => WebSocketLike;
  const minDelay = options.minDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 10_000;
  let heartbeatMs = options.heartbeatMs ?? 20_000;
  let target = url;
  let attempt = 0;
  let stopped = false;
  let socket: WebSocketLike | null = null;
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastHeard = Date.now();
  let redirectDelayMs = 0;

  const offWelcome = client.on('welcome', (w) => {
    attempt = 0;
    heartbeatMs = w.heartbeatMs;
  });
  const offRedirect = client.on('redirect', (r) => {
    if (r.url) target = r.url;
    redirectDelayMs = r.retryAfterMs ?? 0;
    socket?.close(4000, 'redirected');
  });

  const scheduleReconnect = (extraMs = 0) => {
    if (stopped) return;
    const base = Math.min(maxDelay, minDelay * 2 ** attempt++);
    setTimeout(open, extraMs + base / 2 + Math.random() * (base / 2));
  };

  function open(): void {
    if (stopped) return;
    const ws = new Ctor(target);
    socket = ws;
    ws.onopen = () => {
      lastHeard = Date.now();
      client.attach({ send: (data) => ws.send(data), close: () => ws.close() });
      // A chain of timeouts rather than an interval, so the server's heartbeatMs from its
      // welcome takes effect from the next ping on.
      const ping = () => {
        // Silence for three intervals means the link is dead even if the socket has not noticed.
        if (Date.now() - lastHeard > heartbeatMs * 3) ws.close(4001, 'heartbeat timeout');
        else ws.send(JSON.stringify({ type: 'ping', t: Date.now() }));
        pingTimer = setTimeout(ping, heartbeatMs);
      };
      pingTimer = setTimeout(ping, heartbeatMs);
    };
    ws.onmessage = (ev) => {
      lastHeard = Date.now();
      client.receive(String(ev.data));
    };
    ws.onerror = () => ws.close();
    ws.onclose = () => {
      clearTimeout(pingTimer);
      if (socket === ws) {
        socket = null;
        client.detach();
        scheduleReconnect(redirectDelayMs);
        redirectDelayMs = 0;
      }
    };
  }

  open();
  return () => {
    stopped = true;
    offWelcome();
    offRedirect();
    clearTimeout(pingTimer);
    socket?.close(1000, 'closed by client');
  };
}
