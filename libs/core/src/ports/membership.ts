/**
 * Who is in a fleet (the collab workers), by heartbeat. Gateways build their hash ring
 * from watch(), so the owner of a document is a function of this list: when a member joins
 * or goes, every gateway learns it and only the moved documents change owner.
 */
export interface Membership {
  /**
   * Announces `memberId` as live and keeps it so, with heartbeats well within `ttlMs`,
   * until the returned leave() resolves; other processes learn of the join and of the
   * leave at once. A member whose process dies (no leave, no heartbeat) disappears
   * `ttlMs` after its last heartbeat. Member ids must be unique to a process: two
   * processes joining with the same id are one member.
   */
  join(memberId: string, ttlMs: number): Promise<() => Promise<void>>;
  /** The live members, sorted. */
  members(): Promise<string[]>;
  /**
   * Calls `onChange` with the live members, sorted, once they are first known and then
   * after every change (a join, a leave, an expiry). Returns the function that stops it.
   */
  watch(onChange: (members: string[]) => void): () => void;
}
