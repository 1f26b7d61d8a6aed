import type { ClientSeq, OpLog, OpRecord } from '@tandem/core';

/** An op log in memory: for tests and simulations of the pipeline, never for data anyone keeps. */
export class MemoryOpLog implements OpLog {
  private readonly docs = new Map<string, OpRecord[]>();

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    const log = this.docs.get(docId) ?? [];
    for (const r of records) {
      if (r.version <= log.length) continue;
      if (r.version !== log.length + 1) throw new Error(`append of version ${r.version} after ${log.length}`);
      log.push(structuredClone(r));
    }
    this.docs.set(docId, log);
  }

  async read(docId: string, from: number, to?: number): Promise<OpRecord[]> {
    const log = this.docs.get(docId) ?? [];
    return log
      .slice(Math.max(0, from - 1), to === undefined ? undefined : Math.max(0, to))
      .map((r) => structuredClone(r));
  }

  async latestVersion(docId: string): Promise<number> {
    return this.docs.get(docId)?.length ?? 0;
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    const log = this.docs.get(docId) ?? [];
    for (let i = log.length - 1; i >= 0; i--) {
      const r = log[i] as OpRecord;
      if (r.clientId === clientId) return { seq: r.seq, version: r.version };
    }
    return null;
  }

  async purge(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
