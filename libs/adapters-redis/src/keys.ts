/**
 * Names of every key and channel. All of one document's live under the hash tag
 * `{docId}`, so a script that touches several runs on Redis Cluster (one slot) and the
 * document's broadcast channel lives on the same shard as its state.
 */
export class RedisKeys {
  constructor(readonly prefix = 'tandem') {
    // A brace in the prefix would become the hash tag of every key: one slot for everything.
    if (/[{}]/.test(prefix))
      throw new RangeError(`A Redis key prefix must not contain { or }, got ${prefix}`);
  }

  doc(docId: string) {
    const base = `${this.prefix}:{${docId}}`;
    return {
      head: `${base}:head`,
      ops: `${base}:ops`,
      seqs: `${base}:seqs`,
      presence: `${base}:presence`,
      presenceExpiry: `${base}:presence-expiry`,
      /** The batch turn shared by every gateway's PresenceHub (RedisPresenceStore.takeBatch). */
      presenceTurn: `${base}:presence:turn`,
      broadcast: `${base}:broadcast`,
    };
  }

  group(group: string) {
    const base = `${this.prefix}:members:{${group}}`;
    return { members: base, changes: `${base}:changes` };
  }

  inbox(memberId: string): string {
    return `${this.prefix}:inbox:{${memberId}}`;
  }
}
