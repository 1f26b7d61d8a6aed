import type { AnyDocType } from '@tandem/ot';
import type { PresenceBatch, PresenceUser, Selection } from '@tandem/protocol';
import type { FanOut } from '../ports/fan-out.js';
import type { OpRecord } from '../ports/op-record.js';
import type { PresenceEntry, PresenceStore } from '../ports/presence.js';
import type { Log } from './observer.js';
import { silentLog } from './observer.js';

/** Twelve colors that stay apart on a white page and for the common kinds of color blindness. */
export const PRESENCE_COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#9a6324',
  '#469990',
  '#800000',
  '#808000',
  '#000075',
] as const;

/** A user's color, the same on every client and every server: a hash of the user id into the palette. */
export function colorOf(userId: string): string {
  let h = 2166136261;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 16777619);
  return PRESENCE_COLORS[(h >>> 0) % PRESENCE_COLORS.length] as string;
}

export interface PresenceHubDeps {
  store: PresenceStore;
  fanOut: FanOut;
  /**
   * The document's type and the committed ops after a version, to bring each cursor up to
   * date; opsSince throws VERSION_FUTURE for a version above the document's.
   */
  docs: {
    typeOf(docId: string): Promise<AnyDocType>;
    /** The ops with after < version <= to (default: the latest). */
    opsSince(docId: string, after: number, to?: number): Promise<OpRecord[]>;
  };
  log?: Log;
}

export interface PresenceHubOptions {
  /**
   * One batch per document at most this often, across every hub over the same store: 5 per
   * second is smooth to the eye. A change waits up to one interval, or up to two when another
   * hub holds the document's turn and stops sending.
   */
  intervalMs?: number;
  /** An entry nobody refreshed for this long is gone (a client that vanished without closing). */
  ttlMs?: number;
}

/**
 * Batches cursors: clients report their selection, and each document gets one message
 * every interval with every user's selection, transformed to the document's current
 * version, instead of every move sent to everyone. With several gateways, each runs a hub
 * over the same store, and the store's batch turn (takeBatch) lets one of them send each
 * document's batch per interval, with everyone's changes: without it, every gateway whose
 * clients moved would send its own copy of the same batch.
 */
export class PresenceHub {
  /** This hub's name in the store's batch turns. */
  private readonly id = crypto.randomUUID();
  private readonly dirty = new Set<string>();
  /**
   * The last entry this hub stored for each client of a document (key: docId, newline,
   * clientId), until the client leaves or the entry expires: a client's updates all come
   * through the hub of its gateway, so it is the one that can tell a restatement from a move.
   * The expiry is for an update that was still being stored when its client left.
   */
  private readonly stated = new Map<string, { entry: PresenceEntry; expires: number }>();
  private nextSweep = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly log: Log;

  constructor(
    private readonly deps: PresenceHubDeps,
    options: PresenceHubOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 200;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.log = deps.log ?? silentLog;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref?.();
  }

  /**
   * Validates and records a selection; throws BAD_MESSAGE for a cursor the document's type
   * does not accept, and VERSION_FUTURE for a version the document does not have yet (its
   * batch would announce that version, and every client would fetch it, be refused and reset).
   *
   * A selection that is the client's previous one carried through the ops committed since
   * (a still editor restating where it is at the version it has reached) is no change: it is
   * where every batch since already showed that cursor, since batches carry cursors forward
   * with the same transform. Compared as stated, a restatement in a document anyone edits
   * would be a change each time, and each still editor's restatement would send everyone a
   * batch. The check needs no extra call: the ops it needs come from the one that checks the
   * version.
   */
  async update(entry: PresenceEntry): Promise<void> {
    const key = `${entry.docId}\n${entry.clientId}`;
    const previous = this.stated.get(key)?.entry;
    const from = previous && previous.version < entry.version ? previous.version : entry.version;
    const ops = await this.deps.docs.opsSince(entry.docId, from, entry.version);
    let restates = entry;
    if (entry.selection) {
      const type = await this.deps.docs.typeOf(entry.docId);
      type.checkCursor(entry.selection.anchor);
      type.checkCursor(entry.selection.head);
      if (previous && this.carriesTo(type, previous, entry, ops)) restates = previous;
    }
    const changed = await this.deps.store.set(entry, this.ttlMs, restates);
    this.stated.set(key, { entry, expires: Date.now() + this.ttlMs });
    if (changed) this.dirty.add(entry.docId);
  }

  async remove(docId: string, clientId: string): Promise<void> {
    this.stated.delete(`${docId}\n${clientId}`);
    await this.deps.store.remove(docId, clientId);
    this.dirty.add(docId);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * Sends one batch for each document whose presence this hub changed since its last
   * flush, unless another hub's batch already carried the change. A document whose turn
   * another hub holds stays for the next flush: that hub may not be sending any more.
   */
  async flush(): Promise<void> {
    this.sweep();
    const docIds = [...this.dirty];
    this.dirty.clear();
    await Promise.all(
      docIds.map(async (docId) => {
        try {
          const entries = await this.deps.store.takeBatch(docId, this.id, this.intervalMs);
          if (entries === 'busy') this.dirty.add(docId);
          if (typeof entries === 'string') return;
          const batch = await this.batchOf(docId, entries);
          await this.deps.fanOut.publish(docId, { kind: 'presence', batch });
        } catch (err) {
          this.log.warn({ err, docId }, 'presence batch failed');
        }
      }),
    );
  }

  /** Forgets the entries the store has let expire, once per time to live. */
  private sweep(): void {
    const now = Date.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.ttlMs;
    for (const [key, { expires }] of this.stated) if (expires <= now) this.stated.delete(key);
  }

  private async batchOf(docId: string, entries: PresenceEntry[]): Promise<PresenceBatch> {
    const type = await this.deps.docs.typeOf(docId);
    const oldest = Math.min(...entries.map((e) => e.version));
    const ops = entries.length > 0 ? await this.deps.docs.opsSince(docId, oldest) : [];
    const version =
      ops.length > 0 ? (ops[ops.length - 1] as OpRecord).version : Number.isFinite(oldest) ? oldest : 0;
    const users: PresenceUser[] = entries.map((e) => ({
      userId: e.userId,
      clientId: e.clientId,
      name: e.name,
      color: colorOf(e.userId),
      selection: e.selection && this.transform(type, e.selection, ops, e),
    }));
    return { type: 'presence-batch', docId, version, users };
  }

  /** Whether `entry` is `previous` with its selection carried through `ops`, those committed between the two. */
  private carriesTo(
    type: AnyDocType,
    previous: PresenceEntry,
    entry: PresenceEntry,
    ops: OpRecord[],
  ): boolean {
    if (previous.userId !== entry.userId || previous.name !== entry.name || previous.version > entry.version)
      return false;
    if (!previous.selection || !entry.selection) return false;
    const carried = this.transform(type, previous.selection, ops, previous);
    return carried !== null && sameSelection(carried, entry.selection);
  }

  /** The selection moved through the ops committed after it was reported; the author's own inserts push it along. */
  private transform(
    type: AnyDocType,
    selection: Selection,
    ops: OpRecord[],
    entry: PresenceEntry,
  ): Selection | null {
    let anchor: unknown = selection.anchor;
    let head: unknown = selection.head;
    for (const r of ops) {
      if (r.version <= entry.version) continue;
      const own = r.clientId === entry.clientId;
      anchor = type.transformCursor(anchor, r.op, own);
      head = type.transformCursor(head, r.op, own);
      if (anchor === null || head === null) return null;
    }
    return { anchor, head } as Selection;
  }
}

function sameSelection(a: Selection, b: Selection): boolean {
  return JSON.stringify([a.anchor, a.head]) === JSON.stringify([b.anchor, b.head]);
}
