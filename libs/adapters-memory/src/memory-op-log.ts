import { assertSameOps, type ClientSeq, type OpLog, type OpRecord } from '@tandem/core';

/** An op log in memory: for tests and simulations of the pipeline, never for data anyone keeps. */
export class MemoryOpLog implements OpLog {
  private readonly docs = new Map<string, Map<number, OpRecord>>();

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    let log = this.docs.get(docId);
    if (!log) {
      log = new Map();
      this.docs.set(docId, log);
    }
    const existing = records.flatMap((r) => log.get(r.version) ?? []);
    for (const r of records) if (!log.has(r.version)) log.set(r.version, structuredClone(r));
    assertSameOps(docId, records, existing);
  }

  async read(docId: string, from: number, to = Number.POSITIVE_INFINITY): Promise<OpRecord[]> {
    const log = this.docs.get(docId);
    if (!log) return [];
    return [...log.values()]
      .filter((r) => r.version >= from && r.version <= to)
      .sort((a, b) => a.version - b.version)
      .map((r) => structuredClone(r));
  }

  async latestVersion(docId: string): Promise<number> {
    const log = this.docs.get(docId);
    return log && log.size > 0 ? Math.max(...log.keys()) : 0;
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    let last: ClientSeq | null = null;
    for (const r of this.docs.get(docId)?.values() ?? []) {
      if (r.clientId === clientId && (!last || r.seq > last.seq)) last = { seq: r.seq, version: r.version };
    }
    return last;
  }

  async purge(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
