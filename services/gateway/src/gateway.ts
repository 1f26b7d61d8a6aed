import { CollabRouter } from '@tandem/collab-remote';
import { PresenceHub } from '@tandem/core';
import {
  openPostgresStores,
  openRedis,
  requireAuth,
  startOpsServer,
  tokenVerifier,
} from '@tandem/distributed';
import { attachGateway } from '@tandem/gateway';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import type { GatewayConfig } from './config.js';

/**
 * A gateway: holds client sockets, checks each message against Postgres permissions,
 * routes ops to the owning worker through its Redis inbox, and relays each open
 * document's Redis channel to its sockets. Nothing in it needs to survive a crash.
 */
export async function startGatewayService(config: GatewayConfig, log: Logger) {
  const verify = tokenVerifier(requireAuth(config));
  const registry = createRegistry({ service: 'gateway' });
  const redis = await openRedis(config, log, 'gateway');
  const pg = await openPostgresStores(config, log);
  const router = await CollabRouter.start({ inbox: redis.inbox, workers: redis.workers, log });
  const presence = new PresenceHub({ store: redis.presence, fanOut: redis.fanOut, docs: router, log });
  let ready = true;
  const ops = await startOpsServer({ port: config.PORT, host: config.HOST, registry, ready: () => ready });
  const gateway = attachGateway(ops.server, {
    collab: router,
    metadata: pg.metadata,
    fanOut: redis.fanOut,
    presence,
    verify,
    log,
    registry,
    limits: { opsPerSecond: config.OPS_PER_SECOND, maxDocs: config.MAX_DOCS_PER_SOCKET },
  });
  log.info({ port: ops.port }, 'gateway is running');

  return {
    port: ops.port,
    async close() {
      ready = false;
      await gateway.drain('gateway shutting down');
      await ops.close();
      presence.close();
      await router.close();
      await pg.close();
      await redis.close();
    },
  };
}
