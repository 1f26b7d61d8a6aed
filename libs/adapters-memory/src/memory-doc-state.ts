import type { ClientSeq, CommitOutcome, DocStateStore, OpRecord } from '@tandem/core';

interface State {
  head: number;
  recent: OpRecord[];
  seqs: Map<string, ClientSeq>;
}

/**
 * Document state in this process's memory, for the embedded mode: rebuilt from the op
 * log whenever a document is opened, since nothing here survives a restart.
 */
export class MemoryDocStateStore implements DocStateStore {
  private readonly docs = new Map<string, State>();

  /** @param recentKept ops kept per document for transforms and catch-up; older ones come from the op log. */
  constructor(private readonly recentKept = 1000) {}

  async head(docId: string): Promise<number | null> {
    return this.docs.get(docId)?.head ?? null;
  }

  async since(docId: string, after: number): Promise<OpRecord[] | null> {
    const state = this.docs.get(docId);
    if (!state) return null;
    if (after >= state.head) return [];
    const first = state.recent[0];
    if (!first || first.version > after + 1) return null;
    return state.recent.slice(after + 1 - first.version);
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    return this.docs.get(docId)?.seqs.get(clientId) ?? null;
  }

  async commit(docId: string, expected: number, records: readonly OpRecord[]): Promise<CommitOutcome> {
    const state: State = this.docs.get(docId) ?? { head: 0, recent: [], seqs: new Map() };
    if (state.head !== expected) return { ok: false, head: state.head };
    records.forEach((r, i) => {
      if (r.version !== expected + i + 1)
        throw new Error(`commit of version ${r.version} at head ${expected + i}`);
      state.seqs.set(r.clientId, { seq: r.seq, version: r.version });
    });
    state.recent.push(...records);
    if (state.recent.length > this.recentKept) state.recent.splice(0, state.recent.length - this.recentKept);
    state.head = expected + records.length;
    this.docs.set(docId, state);
    return { ok: true };
  }

  async seed(
    docId: string,
    version: number,
    recent: readonly OpRecord[],
    seqs: ReadonlyMap<string, ClientSeq>,
  ): Promise<void> {
    const current = this.docs.get(docId);
    if (current && current.head >= version) return;
    this.docs.set(docId, { head: version, recent: recent.slice(-this.recentKept), seqs: new Map(seqs) });
  }

  async drop(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
