import type { PGlite } from '@electric-sql/pglite';
import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryOpLog,
  MemorySnapshotStore,
} from '@tandem/adapters-memory';
import { openPglite } from '@tandem/adapters-pglite';
import { SqlHistoryStore, SqlMetadataStore, SqlSearchIndex } from '@tandem/adapters-sql';
import { createTokenVerifier, signToken } from '@tandem/auth';
import {
  CollabEngine,
  type DocBroadcast,
  type SubmitRequest,
  silentLog,
  type TandemEvent,
} from '@tandem/core';
import { startHistorySummarizer } from '@tandem/history';
import { silentLogger } from '@tandem/logging';
import { Registry } from '@tandem/metrics';
import { startSearchIndexer } from '@tandem/search-indexer';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type ApiDeps, buildApi } from '../src/index.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long';

export interface Call {
  as?: string;
  token?: string;
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * An in-memory PGlite for one test file: opening one takes seconds on a busy machine, so
 * each file opens one and startApi empties its tables for every test.
 */
export function openTestDb(): Promise<PGlite> {
  return openPglite();
}

/**
 * The API on a fastify instance (fastify.inject: real routing, hooks and serialization,
 * no socket), over the real stores: the commit engine on the in-memory adapters, and
 * documents, permissions and search in an in-memory PGlite, with the search indexer
 * running on the in-process event bus.
 */
export async function startApi(
  db: PGlite,
  options: Partial<Pick<ApiDeps, 'devSignIn' | 'ready' | 'bodyLimit'>> = {},
) {
  await db.exec('TRUNCATE documents, permissions, search_docs, history CASCADE');
  const metadata = new SqlMetadataStore(db);
  const search = new SqlSearchIndex(db);
  const history = new SqlHistoryStore(db);
  const fanOut = new InProcessFanOut();
  const events = new InProcessEventBus(10);
  const opLog = new MemoryOpLog();
  const engine = new CollabEngine({
    state: new MemoryDocStateStore(),
    opLog,
    snapshots: new MemorySnapshotStore(),
    fanOut,
    events,
  });
  const registry = new Registry();
  const indexer = startSearchIndexer({ events, engine, metadata, search, debounceMs: 5, log: silentLog });
  const summarizer = startHistorySummarizer({
    events,
    store: history,
    opLog,
    metadata,
    log: silentLog,
    flushMs: 0,
    catchUp: false,
  });
  const seen: TandemEvent[] = [];
  events.subscribe('test-observer', async (event) => {
    seen.push(event);
  });
  const app: FastifyInstance = await buildApi({
    engine,
    metadata,
    search,
    history,
    fanOut,
    registry,
    verify: createTokenVerifier({ secret: SECRET }),
    log: silentLogger(),
    ...options,
  });

  async function call(
    method: InjectOptions['method'],
    url: string,
    c: Call = {},
  ): Promise<LightMyRequestResponse> {
    const token = c.token ?? (c.as ? await signToken(SECRET, { userId: c.as, name: c.as }) : undefined);
    return app.inject({
      method,
      url,
      ...(c.query ? { query: c.query } : {}),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...c.headers },
      ...(c.body === undefined ? {} : { payload: c.body as InjectOptions['payload'] }),
    });
  }

  /** Creates a document as `owner` and returns its id. */
  async function createDoc(owner: string, body: Record<string, unknown> = {}): Promise<string> {
    const res = await call('POST', '/api/v1/documents', {
      as: owner,
      body: { title: 'Untitled', type: 'text', ...body },
    });
    if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
    return res.json().id;
  }

  let seq = 0;
  /** Commits an op as a client would over the WebSocket. */
  async function edit(docId: string, userId: string, op: unknown): Promise<number> {
    const { version } = await engine.open(docId);
    const req: SubmitRequest = {
      docId,
      userId,
      clientId: 'test-client-1',
      seq: ++seq,
      baseVersion: version,
      op,
    };
    return (await engine.submit(req)).version;
  }

  /** Waits until every event emitted so far reached the consumers, then writes what they hold. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 200 && Object.values(events.lag()).some((n) => n > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await indexer.flush();
    await summarizer.flush();
  }

  /** Broadcasts the document's gateways would get. */
  function watch(docId: string): DocBroadcast[] {
    const got: DocBroadcast[] = [];
    fanOut.subscribe(docId, (m) => got.push(m));
    return got;
  }

  return {
    app,
    engine,
    metadata,
    registry,
    seen,
    call,
    createDoc,
    edit,
    settle,
    watch,
    async close() {
      await app.close();
      await engine.close();
      await indexer.stop();
      await summarizer.stop();
    },
  };
}

export type TestApi = Awaited<ReturnType<typeof startApi>>;
