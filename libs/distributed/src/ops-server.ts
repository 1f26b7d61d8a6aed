import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '@tandem/metrics';

export interface OpsServer {
  port: number;
  /** The HTTP server, for a WebSocket endpoint to attach to (the gateway). */
  server: Server;
  close(): Promise<void>;
}

/**
 * /healthz (the process runs), /readyz (it should get traffic) and /metrics for a service
 * with no REST API of its own (the collab worker, the gateway), so probes and Prometheus
 * treat every service alike.
 */
export function startOpsServer(options: {
  port: number;
  host: string;
  registry: Registry;
  ready: () => boolean;
}): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const ready = options.ready();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'not ready' }));
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
