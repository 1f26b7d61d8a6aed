import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryOpLog,
  MemorySnapshotStore,
} from '@tandem/adapters-memory';
import { openPglite } from '@tandem/adapters-pglite';
import { SqlHistoryStore, SqlMetadataStore } from '@tandem/adapters-sql';
import { CollabEngine, type EventBus, silentLog } from '@tandem/core';
import type { DocTypeName } from '@tandem/ot';
import { waitFor } from '@tandem/testkit';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type HistorySummarizer, type HistorySummarizerDeps, startHistorySummarizer } from '../src/index.js';

/** 2026-11-21 09:00 UTC: summaries print minutes, so tests start on a round one. */
export const T0 = Date.UTC(2026, 10, 21, 9, 0);
export const MINUTE = 60_000;

let counter = 0;
const uniqueId = () => `hist-${Date.now().toString(36)}-${++counter}`;

/**
 * One in-memory PGlite per file (the real SQL metadata and history stores), and per test an
 * engine over an in-memory op log whose clock the test sets, publishing to an in-process bus.
 */
export function useWorld() {
  let db: Awaited<ReturnType<typeof openPglite>> | undefined;
  beforeAll(async () => {
    db = await openPglite();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  return () => {
    if (!db) throw new Error('PGlite did not start');
    const metadata = new SqlMetadataStore(db);
    const store = new SqlHistoryStore(db);
    const opLog = new MemoryOpLog();
    const events = new InProcessEventBus(20);
    const clock = { t: T0 };
    const engine = new CollabEngine({
      state: new MemoryDocStateStore(),
      opLog,
      snapshots: new MemorySnapshotStore(),
      fanOut: new InProcessFanOut(),
      events,
      metadata,
      log: silentLog,
      now: () => clock.t,
    });
    closers.push(() => engine.close());
    const seqs = new Map<string, number>();

    const summarizer = (options: Partial<HistorySummarizerDeps> & { events?: EventBus } = {}) => {
      const s = startHistorySummarizer({ events, store, opLog, metadata, log: silentLog, ...options });
      closers.push(() => s.stop());
      return s;
    };

    /** Creates a document as the API does: metadata row, version 0, then doc.created. */
    async function create(type: DocTypeName = 'text', initial?: unknown, ownerId = 'ann'): Promise<string> {
      const id = uniqueId();
      await metadata.create({ id, title: 'Test', type, ownerId });
      await engine.initDocument(id, type, initial);
      engine.emit([{ type: 'doc.created', docId: id, docType: type, title: 'Test', ownerId, at: clock.t }]);
      return id;
    }

    /** Commits `op` (made on the current version) as `userId`, at minute `minute` after T0. */
    async function edit(docId: string, userId: string, minute: number, op: unknown): Promise<number> {
      clock.t = T0 + minute * MINUTE;
      const clientId = `client-${userId}`;
      const seq = (seqs.get(`${docId}/${clientId}`) ?? 0) + 1;
      seqs.set(`${docId}/${clientId}`, seq);
      const { version } = await engine.open(docId);
      return (await engine.submit({ docId, userId, clientId, seq, baseVersion: version, op })).version;
    }

    /** Appends text to a text document. */
    async function append(docId: string, userId: string, minute: number, text: string): Promise<number> {
      const { snapshot } = await engine.open(docId);
      const length = [...(snapshot as string)].length;
      return edit(docId, userId, minute, length > 0 ? [length, text] : [text]);
    }

    /** Waits until the summarizer has saved the document's history up to `version`. */
    async function saved(s: HistorySummarizer, docId: string, version: number): Promise<void> {
      await waitFor(
        async () => {
          await s.flush();
          return (await store.state(docId)).version >= version;
        },
        `the history of ${docId} up to version ${version}`,
        20_000,
      );
    }

    return { metadata, store, opLog, events, clock, engine, summarizer, create, edit, append, saved };
  };
}
