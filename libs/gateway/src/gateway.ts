import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from '@tandem/metrics';
import { type WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_GATEWAY_LIMITS, type GatewayLimits } from './limits.js';
import { gatewayMetrics } from './metrics.js';
import { GatewaySession, type SessionDeps } from './session.js';

export interface GatewayOptions extends Omit<SessionDeps, 'limits' | 'metrics'> {
  limits?: Partial<GatewayLimits>;
  registry: Registry;
  /** URL path of the WebSocket endpoint on the HTTP server. */
  path?: string;
}

export interface Gateway {
  /** Open sessions. */
  readonly sessions: number;
  /** Sends every client a redirect and closes its socket; new connections are refused. */
  drain(reason: string, url?: string): Promise<void>;
}

/**
 * The WebSocket endpoint, attached to an HTTP server's upgrade event at `path`. Holds
 * sockets and nothing else that matters: any gateway can serve any client.
 */
export function attachGateway(server: Server, options: GatewayOptions): Gateway {
  const limits: GatewayLimits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  const metrics = gatewayMetrics(options.registry);
  const path = options.path ?? '/ws';
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const sessions = new Map<WebSocket, GatewaySession>();
  let draining = false;
  let counter = 0;
  const prefix = Math.random().toString(36).slice(2, 8);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== path) return;
    if (draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  };
  server.on('upgrade', onUpgrade);

  wss.on('connection', (ws: WebSocket) => {
    const session = new GatewaySession(
      { send: (data) => ws.send(data), close: (code, reason) => ws.close(code, reason) },
      { ...options, limits, metrics },
      `${prefix}-${(++counter).toString(36)}`,
    );
    sessions.set(ws, session);
    metrics.connections.inc();
    const helloTimer = setTimeout(() => {
      if (!session.authenticated) ws.close(4408, 'no hello');
    }, limits.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      void session.receive(isBinary ? (data as Buffer) : data.toString());
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      sessions.delete(ws);
      metrics.connections.dec();
      void session.close();
    });
    ws.on('error', (err) => options.log.warn({ err, session: session.id }, 'socket error'));
  });

  // A socket silent for three heartbeat intervals is dead even if TCP has not noticed.
  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - limits.heartbeatMs * 3;
      for (const [ws, session] of sessions) if (session.lastHeard < cutoff) ws.terminate();
    },
    Math.min(limits.heartbeatMs, 10_000),
  );
  sweeper.unref();

  return {
    get sessions() {
      return sessions.size;
    },
    async drain(reason, url) {
      draining = true;
      clearInterval(sweeper);
      for (const session of sessions.values()) session.redirect(reason, url);
      const deadline = Date.now() + 5000;
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of sessions.keys()) ws.terminate();
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}
