import type { DocumentMeta, Log, SearchIndex, TandemEvent } from '@tandem/core';
import { vi } from 'vitest';

type DocType = 'text' | 'rich-text' | 'json1';

/** The documents as the indexer reads them: metadata for the title, the engine for the content. */
export class World {
  docs = new Map<string, { title: string; type: DocType; version: number; snapshot: unknown }>();
  /** Documents marked stale for search. */
  stale = new Set<string>();
  /** Every mark written, in order, as `docId stale`. */
  marks: string[] = [];
  /** While set, writes of marks wait for it, as a slow store would make them. */
  gate: Promise<void> | null = null;
  metadata = {
    get: async (id: string): Promise<DocumentMeta | null> => {
      const doc = this.docs.get(id);
      if (!doc) return null;
      return {
        id,
        title: doc.title,
        type: doc.type,
        ownerId: 'ann',
        createdAt: new Date(0),
        updatedAt: new Date(0),
      };
    },
    setSearchStale: async (id: string, stale: boolean): Promise<void> => {
      await this.gate;
      this.marks.push(`${id} ${stale}`);
      if (!this.docs.has(id)) return;
      if (stale) this.stale.add(id);
      else this.stale.delete(id);
    },
    searchStale: async (options: { limit: number }) => ({
      items: [...this.stale].sort().slice(0, options.limit),
      next: null,
    }),
  };
  engine = {
    open: async (id: string) => {
      const doc = this.docs.get(id);
      if (!doc) throw new Error(`no document ${id}`);
      return { type: doc.type, version: doc.version, snapshot: doc.snapshot };
    },
  };
}

/** A search index that records every call, and can be made slow or failing. */
export class RecordingIndex implements Pick<SearchIndex, 'upsert' | 'remove'> {
  calls: string[] = [];
  /** When each upsert was made (Date.now()). */
  times: number[] = [];
  entries = new Map<string, { title: string; content: string }>();
  /** How many upserts fail from now on, whatever their document. */
  failures = 0;
  /** Documents whose upserts always fail. */
  broken = new Set<string>();
  gate: Promise<void> | null = null;

  async upsert(doc: { docId: string; title: string; content: string }): Promise<void> {
    if (this.broken.has(doc.docId)) throw new Error('index unreachable');
    if (this.failures > 0) {
      this.failures--;
      throw new Error('index unreachable');
    }
    await this.gate;
    this.calls.push(`upsert ${doc.docId}`);
    this.times.push(Date.now());
    this.entries.set(doc.docId, { title: doc.title, content: doc.content });
  }

  async remove(docId: string): Promise<void> {
    this.calls.push(`remove ${docId}`);
    this.entries.delete(docId);
  }
}

export const warn = vi.fn<(fields: object, message?: string) => void>();
export const log: Log = { debug: () => {}, info: () => {}, warn, error: () => {} };

export const at = 0;
export const created = (docId: string, title: string): TandemEvent => ({
  type: 'doc.created',
  docId,
  docType: 'text',
  title,
  ownerId: 'ann',
  at,
});
export const committed = (docId: string, version: number): TandemEvent => ({
  type: 'op.committed',
  docId,
  docType: 'text',
  record: { version, op: ['x'], author: 'ann', clientId: 'client-0001', seq: version, ts: at },
});
