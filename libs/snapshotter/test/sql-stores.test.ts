import { InProcessEventBus, InProcessFanOut, MemoryDocStateStore } from '@tandem/adapters-memory';
import { openPglite, PgliteOpLog } from '@tandem/adapters-pglite';
import { SqlMetadataStore, SqlSnapshotStore } from '@tandem/adapters-sql';
import { CollabEngine } from '@tandem/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnapshotter } from '../src/index.js';
import { recordingLog, uniqueId, waitFor } from './helpers.js';

// The embedded mode's stores: PGlite for the op log, the snapshots and the metadata.

let db: Awaited<ReturnType<typeof openPglite>>;
beforeAll(async () => {
  db = await openPglite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

describe('SqlMetadataStore: what it keeps of snapshots', () => {
  const create = async (metadata: SqlMetadataStore) => {
    const id = uniqueId();
    await metadata.create({ id, title: 'T', type: 'rich-text', ownerId: 'ann' });
    return id;
  };

  it('records a latest version that only moves forward, and the initial content, for live documents only', async () => {
    const metadata = new SqlMetadataStore(db);
    const doc = await create(metadata);
    expect(await metadata.snapshotState(doc)).toEqual({
      type: 'rich-text',
      latestSnapshot: null,
      initial: null,
    });
    const content = [{ insert: 'nul:\u0000 ✨', attributes: { bold: true } }, { insert: '\n' }];
    await metadata.setInitialContent(doc, content);
    await metadata.setLatestSnapshot(doc, 0);
    expect(await metadata.snapshotState(doc)).toEqual({
      type: 'rich-text',
      latestSnapshot: 0,
      initial: { content },
    });
    await metadata.setLatestSnapshot(doc, 300);
    await metadata.setLatestSnapshot(doc, 200);
    expect((await metadata.snapshotState(doc))?.latestSnapshot).toBe(300);

    await metadata.remove(doc);
    await metadata.setLatestSnapshot(doc, 400);
    expect(await metadata.snapshotState(doc)).toBeNull();
    expect(await metadata.snapshotState('no-such-document')).toBeNull();
    await metadata.setLatestSnapshot('no-such-document', 1);
    await metadata.setInitialContent('no-such-document', '');
  });

  it('tells a kept initial content of JSON null from none', async () => {
    const metadata = new SqlMetadataStore(db);
    const doc = await create(metadata);
    await metadata.setInitialContent(doc, null);
    expect((await metadata.snapshotState(doc))?.initial).toEqual({ content: null });
  });

  it('lists every live document with what it keeps, page by page in id order', async () => {
    const metadata = new SqlMetadataStore(db);
    const docs = [await create(metadata), await create(metadata), await create(metadata)];
    await metadata.setInitialContent(docs[0] as string, []);
    await metadata.setLatestSnapshot(docs[0] as string, 100);
    await metadata.remove(docs[1] as string);
    const seen: { docId: string; latestSnapshot: number | null; hasInitial: boolean }[] = [];
    let after: string | undefined;
    do {
      const page = await metadata.snapshotVersions({ limit: 2, ...(after === undefined ? {} : { after }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      after = page.next ?? undefined;
    } while (after !== undefined);
    expect(seen.map((s) => s.docId)).toEqual([...seen.map((s) => s.docId)].sort());
    expect(new Set(seen.map((s) => s.docId)).size).toBe(seen.length);
    expect(seen).toContainEqual({ docId: docs[0], latestSnapshot: 100, hasInitial: true });
    expect(seen).toContainEqual({ docId: docs[2], latestSnapshot: null, hasInitial: false });
    expect(seen.map((s) => s.docId)).not.toContain(docs[1]);
    await expect(metadata.snapshotVersions({ limit: 0 })).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
  });
});

describe('snapshots on PGlite', () => {
  it('falls back from a corrupt snapshot row to the previous one, and rebuilds from the initial content when none is left', async () => {
    const log = recordingLog();
    const metadata = new SqlMetadataStore(db);
    const snapshots = new SqlSnapshotStore(db, { log });
    const opLog = new PgliteOpLog(db);
    const events = new InProcessEventBus(20);
    const deps = {
      state: new MemoryDocStateStore(),
      opLog,
      snapshots,
      fanOut: new InProcessFanOut(),
      events,
    };
    const engine = new CollabEngine({ ...deps, metadata, log });
    const snapshotter = startSnapshotter({ events, snapshots, opLog, metadata, log, afterMs: 60_000 });
    try {
      const doc = uniqueId();
      await metadata.create({ id: doc, title: 'T', type: 'json1', ownerId: 'ann' });
      await engine.initDocument(doc, 'json1', { items: [] });
      engine.emit([{ type: 'doc.created', docId: doc, docType: 'json1', title: 'T', ownerId: 'ann', at: 0 }]);
      for (let i = 0; i < 210; i++) {
        await engine.submit({
          docId: doc,
          userId: 'ann',
          clientId: 'c',
          seq: i + 1,
          baseVersion: i,
          op: ['items', i, { i: { n: i, zeta: 'z', alpha: [i] } }],
        });
      }
      await waitFor(
        'the snapshot at 200',
        async () => (await metadata.snapshotState(doc))?.latestSnapshot === 200,
      );
      const expected = { items: Array.from({ length: 210 }, (_, n) => ({ n, zeta: 'z', alpha: [n] })) };
      const open = () =>
        new CollabEngine({ ...deps, state: new MemoryDocStateStore(), metadata, log }).open(doc);

      // Rewritten behind the store's back: still valid JSON, only the checksum tells.
      await db.query(`UPDATE snapshots SET data = '{"items": []}' WHERE doc_id = $1 AND version = 200`, [
        doc,
      ]);
      expect((await snapshots.latest(doc))?.version).toBe(100);
      expect(log.warnings).toContainEqual({
        fields: { docId: doc, version: 200, reason: 'the checksum does not match' },
        message: 'skipped a corrupt snapshot',
      });
      expect(await open()).toEqual({ type: 'json1', version: 210, snapshot: expected });

      await db.query(`UPDATE snapshots SET data = '{"items": [1]}' WHERE doc_id = $1`, [doc]);
      expect(await snapshots.latest(doc)).toBeNull();
      expect(await open()).toEqual({ type: 'json1', version: 210, snapshot: expected });
    } finally {
      await snapshotter.stop();
      await engine.close();
    }
  });
});
