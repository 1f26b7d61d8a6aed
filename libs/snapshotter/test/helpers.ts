import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryOpLog,
  MemorySnapshotStore,
} from '@tandem/adapters-memory';
import { openPglite } from '@tandem/adapters-pglite';
import { SqlMetadataStore } from '@tandem/adapters-sql';
import { CollabEngine, type Log, type OpRecord, type StoredSnapshot, type TandemEvent } from '@tandem/core';
import type { DocTypeName } from '@tandem/ot';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Snapshotter, type SnapshotterDeps, startSnapshotter } from '../src/index.js';

/** An op log that records the ranges read from it, and how many ops each read returned. */
export class CountingOpLog extends MemoryOpLog {
  reads: { docId: string; from: number; to: number | undefined; count: number }[] = [];

  override async read(docId: string, from: number, to?: number): Promise<OpRecord[]> {
    const records = await super.read(docId, from, to);
    this.reads.push({ docId, from, to, count: records.length });
    return records;
  }

  /** Reads without counting: what the test itself reads to check a result. */
  uncounted(docId: string, from: number, to?: number): Promise<OpRecord[]> {
    return super.read(docId, from, to);
  }

  readsOf(docId: string) {
    return this.reads.filter((r) => r.docId === docId);
  }
}

/** A snapshot store that records every put. */
export class RecordingSnapshotStore extends MemorySnapshotStore {
  puts: StoredSnapshot[] = [];

  override async put(snapshot: StoredSnapshot): Promise<void> {
    this.puts.push(structuredClone(snapshot));
    return super.put(snapshot);
  }

  putsOf(docId: string): number[] {
    return this.puts.filter((s) => s.docId === docId).map((s) => s.version);
  }
}

/** An event bus that keeps every event published, to deliver them again. */
export class RecordingEventBus extends InProcessEventBus {
  published: TandemEvent[] = [];

  override async publish(events: readonly TandemEvent[]): Promise<void> {
    this.published.push(...events);
    return super.publish(events);
  }
}

export interface Warning {
  fields: object;
  message: string | undefined;
}

export function recordingLog(): Log & { warnings: Warning[]; errors: Warning[] } {
  const warnings: Warning[] = [];
  const errors: Warning[] = [];
  return {
    warnings,
    errors,
    debug: () => {},
    info: () => {},
    warn: (fields, message) => warnings.push({ fields, message }),
    error: (fields, message) => errors.push({ fields, message }),
  };
}

let counter = 0;
export function uniqueId(prefix = 'doc'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One in-memory PGlite for the file's metadata (the real SqlMetadataStore, migrations
 * included), and a world per test: op log, snapshots and event bus in memory, engines and
 * snapshotters over them, all closed after the test.
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
    const opLog = new CountingOpLog();
    const snapshots = new RecordingSnapshotStore();
    const events = new RecordingEventBus(20);
    const log = recordingLog();

    const engine = (): CollabEngine => {
      const e = new CollabEngine({
        state: new MemoryDocStateStore(),
        opLog,
        snapshots,
        fanOut: new InProcessFanOut(),
        events,
        metadata,
        log,
      });
      closers.push(() => e.close());
      return e;
    };

    const snapshotter = (options: Partial<SnapshotterDeps> = {}): Snapshotter => {
      const s = startSnapshotter({ events, snapshots, opLog, metadata, log, ...options });
      closers.push(() => s.stop());
      return s;
    };

    /** Creates a document as the API does: metadata row, version 0, then doc.created. */
    async function create(e: CollabEngine, type: DocTypeName = 'text', initial?: unknown): Promise<string> {
      const id = uniqueId();
      await metadata.create({ id, title: 'Test', type, ownerId: 'ann' });
      await e.initDocument(id, type, initial);
      e.emit([
        { type: 'doc.created', docId: id, docType: type, title: 'Test', ownerId: 'ann', at: Date.now() },
      ]);
      return id;
    }

    /** Appends `n` characters to a text document, one op each, and returns its new version. */
    async function type(e: CollabEngine, docId: string, n: number, clientId = 'client-ann'): Promise<number> {
      const open = await e.open(docId);
      let version = open.version;
      let length = [...(open.snapshot as string)].length;
      const seq = (await opLog.lastOfClient(docId, clientId))?.seq ?? 0;
      for (let i = 1; i <= n; i++) {
        const char = String.fromCharCode(97 + ((version + i) % 26));
        const op = length > 0 ? [length, char] : [char];
        const result = await e.submit({
          docId,
          userId: 'ann',
          clientId,
          seq: seq + i,
          baseVersion: version,
          op,
        });
        version = result.version;
        length += 1;
      }
      return version;
    }

    /** The latest snapshot version the metadata store records. */
    async function recorded(docId: string): Promise<number | null | undefined> {
      return (await metadata.snapshotState(docId))?.latestSnapshot;
    }

    return { db, metadata, opLog, snapshots, events, log, engine, snapshotter, create, type, recorded };
  };
}
