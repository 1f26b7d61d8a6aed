import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryPresenceStore,
} from '@tandem/adapters-memory';
import { JournaledOpLog, openPglite, PgliteOpLog } from '@tandem/adapters-pglite';
import { SqlHistoryStore, SqlMetadataStore, SqlSearchIndex, SqlSnapshotStore } from '@tandem/adapters-sql';
import { createTokenVerifier } from '@tandem/auth';
import { CollabEngine, PresenceHub } from '@tandem/core';
import { attachGateway } from '@tandem/gateway';
import { startHistorySummarizer } from '@tandem/history';
import type { Logger } from '@tandem/logging';
import { createRegistry, engineMetrics } from '@tandem/metrics';
import { startSearchIndexer } from '@tandem/search-indexer';
import { startSnapshotter } from '@tandem/snapshotter';
import type { StandaloneConfig } from './config.js';
import { createHttpServer } from './http.js';

export interface EmbeddedTandem {
  url: string;
  close(): Promise<void>;
}

/** The HS256 secret: configured, or created once per data directory so tokens survive restarts. */
async function authSecret(config: StandaloneConfig): Promise<string> {
  if (config.AUTH_SECRET) return config.AUTH_SECRET;
  const file = join(config.DATA_DIR, 'auth-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

/**
 * Every service in one process: PGlite under DATA_DIR for the op log, snapshots,
 * documents, permissions, history and search; document state, routing, events and presence in
 * memory. The same core and the same HTTP and WebSocket surfaces as distributed mode.
 */
export async function startEmbedded(config: StandaloneConfig, log: Logger): Promise<EmbeddedTandem> {
  await mkdir(config.DATA_DIR, { recursive: true });
  const secret = await authSecret(config);
  const db = await openPglite(join(config.DATA_DIR, 'pg'));
  const registry = createRegistry({ service: 'standalone' });

  const opLog = await JournaledOpLog.open(new PgliteOpLog(db), {
    dir: join(config.DATA_DIR, 'journal'),
    onFlushError: (err) => log.error({ err }, 'moving ops from the journal into the op log failed; retrying'),
  });
  const snapshots = new SqlSnapshotStore(db, { log });
  const metadata = new SqlMetadataStore(db);
  const search = new SqlSearchIndex(db);
  const history = new SqlHistoryStore(db);
  const fanOut = new InProcessFanOut({ log });
  const events = new InProcessEventBus();
  const engine = new CollabEngine(
    {
      state: new MemoryDocStateStore(),
      opLog,
      snapshots,
      fanOut,
      events,
      metadata,
      log,
      observer: engineMetrics(registry),
    },
    { dropStateOnUnload: true },
  );
  const presence = new PresenceHub({ store: new MemoryPresenceStore(), fanOut, docs: engine, log });
  const indexer = startSearchIndexer({ events, engine, metadata, search, log });
  const snapshotter = startSnapshotter({ events, snapshots, opLog, metadata, log, registry });
  const summarizer = startHistorySummarizer({ events, store: history, opLog, metadata, log, registry });
  const verify = createTokenVerifier(
    config.JWKS_URL
      ? {
          jwksUrl: config.JWKS_URL,
          ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
          ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
        }
      : { secret },
  );

  const app = await createHttpServer({
    log,
    registry,
    engine,
    metadata,
    search,
    history,
    fanOut,
    verify,
    devSignIn: config.DEV_SIGN_IN ? { secret } : undefined,
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  const gateway = attachGateway(app.server, {
    collab: engine,
    metadata,
    fanOut,
    presence,
    verify,
    log,
    registry,
    limits: { opsPerSecond: config.OPS_PER_SECOND, maxDocs: config.MAX_DOCS_PER_SOCKET },
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}`;
  log.info({ url, dataDir: config.DATA_DIR }, 'Tandem is running');

  return {
    url,
    async close() {
      await gateway.drain('server shutting down');
      await app.close();
      presence.close();
      await engine.close();
      await indexer.stop();
      await snapshotter.stop();
      await summarizer.stop();
      await opLog.close();
      await db.close();
    },
  };
}
