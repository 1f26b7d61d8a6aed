import { TandemError } from '@tandem/errors';
import {
  type AnyDocType,
  DEFAULT_OP_LIMITS,
  type DocTypeName,
  getDocType,
  type OpLimits,
  utf8Length,
  validateOp,
} from '@tandem/ot';
import type {
  Ack,
  Catchup,
  ClientMessage,
  CommittedOp,
  ConflictNotice,
  ErrorMessage,
  Joined,
  PresenceBatch,
  RemoteOp,
  Role,
  Selection,
} from '@tandem/protocol';
import { Emitter } from './emitter.js';
import { type RemotePresence, RemotePresenceSet, type SelectionValue } from './presence.js';
import { UndoManager, type UndoOptions } from './undo-manager.js';

/** Where the doc's last local change came from. */
export type EditOrigin = 'user' | 'undo' | 'redo';

export interface ClientDocEvents {
  /** The doc is open: first join, or a rejoin after a reset. */
  ready: (e: { version: number; docType: DocTypeName; role: Role }) => void;
  /** A local op was applied to `data`. */
  'local-op': (e: { op: unknown; origin: EditOrigin }) => void;
  /** Someone else's op, already transformed past this client's pending ops and applied to `data`. */
  'remote-op': (e: { op: unknown; version: number; author: string }) => void;
  /** The server committed this client's op `seq` at `version`. */
  ack: (e: { seq: number; version: number }) => void;
  /** A json1 write conflict this client was part of, as the server resolved it. */
  conflict: (e: ConflictNotice) => void;
  presence: (users: RemotePresence[]) => void;
  /** The server refused an op for good; the doc dropped its pending ops and reloaded. */
  reset: (e: { error: TandemError }) => void;
  error: (error: TandemError) => void;
}

export interface ClientDocOptions {
  undo?: UndoOptions | false;
  /** Limits a local op must meet, the same as the server's (64 KiB, depth 64 by default). */
  limits?: OpLimits;
}

/** What a ClientDoc needs from the connection it lives on. */
export interface DocHost {
  readonly clientId: string;
  readonly connected: boolean;
  send(message: ClientMessage): void;
  /** The next seq of this client, shared by all its documents. */
  nextSeq(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** Ops the doc keeps from before its current version, to bring old remote cursors up to date. */
const RECENT_OPS_KEPT = 200;
const DEFAULT_RETRY_MS = 1000;
/**
 * The server forgets a cursor 10 s after its last update (PresenceHub's ttlMs), so a shown
 * selection is restated when it has not been sent for this long: one restatement may be
 * dropped (the gateway's 20 presence updates/s), and the next still arrives in time.
 */
const PRESENCE_REFRESH_MS = 4000;

/**
 * The client side of one shared document: an optimistic local copy kept in step with
 * the server's op log.
 *
 * Local ops apply at once. At most one op is in flight to the server; ops made while it
 * is out (or while offline) are composed into a buffered op that is sent when it is
 * acknowledged (into a queue of them, when one would grow past half the op size limit,
 * so a long offline session never builds an op the server must refuse). Each remote op
 * is transformed past the in-flight op and the buffer and
 * then applied, and they are transformed past it in turn, which is exactly what the
 * server did to them (ARCHITECTURE.md, the side convention of @tandem/ot).
 *
 * Committed ops (remote ones, and acks of this client's own) are applied strictly in
 * version order; anything that arrives ahead of a gap waits while the gap is fetched.
 */
export class ClientDoc extends Emitter<ClientDocEvents> {
  private docType: AnyDocType | undefined;
  private snapshot: unknown;
  private currentVersion = 0;
  private currentRole: Role = 'viewer';
  private ready = false;
  private joinSent = false;
  private inflight: { seq: number; op: unknown } | null = null;
  /** Local ops not yet sent, composed; a new entry starts when the last would outgrow `maxBufferedBytes`. */
  private queue: unknown[] = [];
  /** Upper bound of the last queue entry's JSON size: the sum of the ops composed into it. */
  private queueTailBytes = 0;
  private readonly limits: OpLimits;
  /** Committed records that arrived ahead of a gap, by version. */
  private readonly pending = new Map<number, CommittedOp>();
  private fetchedUpTo = 0;
  private recent: CommittedOp[] = [];
  private undoManager: UndoManager<unknown, unknown, unknown> | undefined;
  private readonly presence = new RemotePresenceSet();
  private localSelection: SelectionValue | null | undefined;
  /** The local selection is not what the server was last told. */
  private presenceUnsent = false;
  /**
   * The selection last sent, carried through every op committed since, in the coordinates of
   * the current version: what the server shows of this client. Unlike the local selection it
   * can be stated while local ops are pending, which have no version yet.
   */
  private sentSelection: SelectionValue | null | undefined;
  /** The server's copy needs restating: its time to live is running out, or a rejoin lost it. */
  private restatementDue = false;
  /** Cancels the pending restatement of the selection last sent, if one is armed. */
  private cancelRestatement: (() => void) | undefined;

  constructor(
    readonly docId: string,
    private readonly host: DocHost,
    private readonly options: ClientDocOptions = {},
  ) {
    super();
    this.limits = options.limits ?? DEFAULT_OP_LIMITS;
  }

  /** The document as this client sees it: the server's version plus this client's pending ops. */
  get data(): unknown {
    return this.snapshot;
  }

  /** The last server version this client has applied. */
  get version(): number {
    return this.currentVersion;
  }

  get role(): Role {
    return this.currentRole;
  }

  get type(): AnyDocType | undefined {
    return this.docType;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** True while local ops are not yet acknowledged by the server. */
  get hasPendingOps(): boolean {
    return this.inflight !== null || this.queue.length > 0;
  }

  get canUndo(): boolean {
    return this.undoManager?.canUndo ?? false;
  }

  get canRedo(): boolean {
    return this.undoManager?.canRedo ?? false;
  }

  /** Remote users' cursors, in this client's current coordinates. */
  get remotePresence(): RemotePresence[] {
    return this.presence.list();
  }

  /**
   * Applies a local op now and queues it for the server. Throws a TandemError, and
   * changes nothing, when the op is malformed or does not fit the document.
   */
  submit(op: unknown): void {
    this.applyLocal(op, 'user');
  }

  /** Reverts this user's most recent change that is still undoable; false when there is none. */
  undo(): boolean {
    return this.step('undo');
  }

  redo(): boolean {
    return this.step('redo');
  }

  /** Sets this user's cursor and selection (in this client's coordinates) and shares it. */
  setSelection(selection: SelectionValue | null): void {
    const type = this.docType;
    if (!type || !this.ready) throw new TandemError('NOT_JOINED', `Document ${this.docId} is not open yet`);
    this.localSelection = selection && {
      anchor: type.checkCursor(selection.anchor),
      head: type.checkCursor(selection.head),
    };
    this.presenceUnsent = true;
    this.sendPresence();
  }

  /** Called by the connection when the session is (re)established. */
  rejoin(): void {
    this.fetchedUpTo = 0;
    this.pending.clear();
    this.joinSent = true;
    // The server dropped this client's cursor with the old session; the joined answer restates it.
    if (this.localSelection) this.restatementDue = true;
    this.host.send(
      this.ready
        ? { type: 'join', docId: this.docId, version: this.currentVersion }
        : { type: 'join', docId: this.docId },
    );
  }

  /** Called by the connection when the session is lost or the document closed: nothing is sent until a rejoin. */
  disconnected(): void {
    this.joinSent = false;
    this.cancelRestatement?.();
    this.cancelRestatement = undefined;
  }

  onJoined(msg: Joined): void {
    this.currentRole = msg.role;
    if (msg.snapshot !== undefined || !this.ready) {
      this.docType = getDocType(msg.docType);
      this.sentSelection = undefined;
      this.snapshot = msg.snapshot === undefined ? this.docType.create() : msg.snapshot;
      this.currentVersion = msg.version;
      this.ready = true;
      this.recent = [];
      this.undoManager =
        this.options.undo === false ? undefined : new UndoManager(this.docType, this.options.undo ?? {});
      this.emit('ready', { version: msg.version, docType: msg.docType, role: msg.role });
      // Committed ops that arrived while the doc waited for this snapshot: those it holds are dropped, later ones apply.
      this.drain();
    } else if (msg.version > this.currentVersion) {
      this.requestGap(msg.version + 1);
    }
    // The server has the join, so a resend now is answered after the catch-up it sent.
    if (this.inflight) this.sendInflight();
    else this.flush();
    this.sendPresence();
  }

  onCatchup(msg: Catchup): void {
    for (const rec of msg.ops) this.pending.set(rec.version, rec);
    this.drain();
  }

  onRemoteOp(msg: RemoteOp): void {
    const { docId: _docId, type: _type, ...rec } = msg;
    this.pending.set(rec.version, rec);
    this.drain();
  }

  onAck(msg: Ack): void {
    if (!this.inflight || msg.seq !== this.inflight.seq || msg.version <= this.currentVersion) return;
    // An ack is this client's own op at msg.version; it takes its place in version order.
    this.pending.set(msg.version, {
      version: msg.version,
      op: this.inflight.op,
      author: '',
      clientId: this.host.clientId,
      seq: msg.seq,
    });
    this.drain();
  }

  onConflict(msg: ConflictNotice): void {
    this.emit('conflict', msg);
  }

  onPresence(msg: PresenceBatch): void {
    if (!this.docType || !this.ready) return;
    const ops = this.opsSince(msg.version);
    if (ops === undefined) {
      if (msg.version > this.currentVersion) this.requestGap(msg.version + 1);
      return;
    }
    this.presence.replace(msg.users, this.host.clientId, (sel) => {
      let s = sel;
      for (const rec of ops)
        s = this.presence.transformSelection(this.docType as AnyDocType, s, rec.op, false);
      return this.throughPending(s);
    });
    this.emit('presence', this.presence.list());
  }

  onError(msg: ErrorMessage): void {
    const error = new TandemError(msg.code, msg.message, {
      ...(msg.retryAfterMs === undefined ? {} : { retryAfterMs: msg.retryAfterMs }),
      ...(msg.details === undefined ? {} : { details: msg.details }),
    });
    if (msg.seq === undefined && msg.code === 'VERSION_FUTURE' && this.ready) {
      // The server has no record of the version this client holds (its history was
      // lost); local ops based on it cannot be rebased, so start again from its snapshot.
      this.reset(error);
      return;
    }
    if (msg.seq === undefined || !this.inflight || msg.seq !== this.inflight.seq) {
      this.emit('error', error);
      return;
    }
    if (error.retryable) {
      const seq = msg.seq;
      this.host.schedule(() => {
        if (this.inflight?.seq === seq && this.host.connected && this.joinSent) this.sendInflight();
      }, msg.retryAfterMs ?? DEFAULT_RETRY_MS);
      this.emit('error', error);
      return;
    }
    this.reset(error);
  }

  /** Drops pending local ops and reloads the document from the server, after a refusal that no retry fixes. */
  private reset(error: TandemError): void {
    this.inflight = null;
    this.queue = [];
    this.ready = false;
    this.pending.clear();
    this.undoManager?.clear();
    this.emit('reset', { error });
    this.emit('error', error);
    if (this.host.connected) this.rejoin();
  }

  private step(kind: 'undo' | 'redo'): boolean {
    const manager = this.undoManager;
    if (!manager || !this.ready) return false;
    const op = manager.take(kind, this.snapshot);
    if (op === undefined) return false;
    this.applyLocal(op, kind);
    return true;
  }

  private applyLocal(rawOp: unknown, origin: EditOrigin): void {
    const type = this.docType;
    if (!type || !this.ready) throw new TandemError('NOT_JOINED', `Document ${this.docId} is not open yet`);
    if (this.currentRole === 'viewer' || this.currentRole === 'commenter') {
      throw new TandemError('FORBIDDEN', `A ${this.currentRole} cannot edit document ${this.docId}`);
    }
    const op = validateOp(type, rawOp, this.snapshot, this.limits);
    const before = this.snapshot;
    this.snapshot = type.apply(before, op);
    if (origin === 'user') this.undoManager?.recordEdit(op, before);
    const bytes = utf8Length(JSON.stringify(op));
    const last = this.queue.length - 1;
    if (last >= 0 && this.queueTailBytes + bytes <= this.limits.maxOpBytes / 2) {
      this.queue[last] = type.compose(this.queue[last], op);
      this.queueTailBytes += bytes;
    } else {
      this.queue.push(op);
      this.queueTailBytes = bytes;
    }
    this.presence.transformAll(type, op, () => false);
    if (this.localSelection)
      this.localSelection = this.presence.transformSelection(type, this.localSelection, op, true);
    this.emit('local-op', { op, origin });
    this.flush();
  }

  private flush(): void {
    if (this.inflight || this.queue.length === 0 || !this.host.connected || !this.joinSent || !this.ready)
      return;
    this.inflight = { seq: this.host.nextSeq(), op: this.queue.shift() };
    this.sendInflight();
  }

  private sendInflight(): void {
    if (!this.inflight) return;
    this.host.send({
      type: 'op',
      docId: this.docId,
      clientId: this.host.clientId,
      seq: this.inflight.seq,
      baseVersion: this.currentVersion,
      op: this.inflight.op,
    });
  }

  private drain(): void {
    // Without a snapshot (before the first join, or after a reset until the rejoin's
    // snapshot) there is no state to apply committed ops to: they wait in `pending`.
    // A remote op already on its way when a reset dropped the local ops would otherwise
    // land on the discarded state, and throw when it does not fit it.
    if (!this.ready) return;
    for (;;) {
      const rec = this.pending.get(this.currentVersion + 1);
      if (!rec) break;
      this.pending.delete(rec.version);
      this.applyCommitted(rec);
    }
    for (const v of this.pending.keys()) if (v <= this.currentVersion) this.pending.delete(v);
    if (this.pending.size > 0) this.requestGap(Math.min(...this.pending.keys()));
  }

  /** Asks for the committed ops between the current version and `before` (exclusive), once per gap. */
  private requestGap(before: number): void {
    const to = before - 1;
    if (to <= this.currentVersion || to <= this.fetchedUpTo || !this.joinSent) return;
    this.fetchedUpTo = to;
    this.host.send({ type: 'fetch', docId: this.docId, from: this.currentVersion + 1, to });
  }

  private applyCommitted(rec: CommittedOp): void {
    const type = this.docType as AnyDocType;
    this.currentVersion = rec.version;
    this.recent.push(rec);
    if (this.recent.length > RECENT_OPS_KEPT) this.recent.splice(0, this.recent.length - RECENT_OPS_KEPT);
    // As PresenceHub moves this client's cursor: its own inserts push it along.
    if (this.sentSelection) {
      const own = rec.clientId === this.host.clientId;
      this.sentSelection = this.presence.dropIfGone(
        this.presence.transformSelection(type, this.sentSelection, rec.op, own),
      );
    }
    if (this.inflight && rec.clientId === this.host.clientId && rec.seq === this.inflight.seq) {
      this.inflight = null;
      this.emit('ack', { seq: rec.seq, version: rec.version });
      this.flush();
      this.sendPresence();
      return;
    }
    // The committed op came first: it is 'left' of this client's pending ops, which go 'right'.
    let op = rec.op;
    if (this.inflight) {
      const inflight = this.inflight.op;
      this.inflight.op = type.transform(inflight, op, 'right');
      op = type.transform(op, inflight, 'left');
    }
    for (let i = 0; i < this.queue.length; i++) {
      const queued = this.queue[i];
      this.queue[i] = type.transform(queued, op, 'right');
      op = type.transform(op, queued, 'left');
    }
    this.snapshot = type.apply(this.snapshot, op);
    this.undoManager?.movePastRemote(op);
    this.presence.transformAll(type, op, (clientId) => clientId === rec.clientId);
    if (this.localSelection)
      this.localSelection = this.presence.transformSelection(type, this.localSelection, op, false);
    this.emit('remote-op', { op, version: rec.version, author: rec.author });
  }

  /** The committed ops after `version` up to the current one, or undefined if they are not all kept. */
  private opsSince(version: number): CommittedOp[] | undefined {
    if (version > this.currentVersion) return undefined;
    if (version === this.currentVersion) return [];
    const first = this.recent[0];
    if (!first || first.version > version + 1) return undefined;
    return this.recent.slice(version + 1 - first.version);
  }

  private throughPending(sel: SelectionValue): SelectionValue {
    const type = this.docType as AnyDocType;
    let s = sel;
    if (this.inflight) s = this.presence.transformSelection(type, s, this.inflight.op, false);
    for (const queued of this.queue) s = this.presence.transformSelection(type, s, queued, false);
    return s;
  }

  /**
   * A cursor is stated at a server version, and this client's unacknowledged edits have none
   * yet, so a local selection is sent only with no local op pending (or when hidden: null has
   * no position): the ack that empties the queue sends it, if it is not what the server
   * already shows. Someone who types without a pause always has an op pending, though, and
   * would vanish from everyone's screen after 10 s: while ops are pending, a restatement
   * sends the selection last sent instead, carried to the current version (one the server
   * has), which is where the server shows that cursor anyway.
   */
  private sendPresence(): void {
    if (!this.host.connected || !this.joinSent || !this.ready) return;
    const local = this.localSelection ?? null;
    if (!this.hasPendingOps || local === null) {
      if (this.presenceUnsent || this.restatementDue || !sameSelection(local, this.sentSelection ?? null)) {
        this.presenceUnsent = false;
        this.statePresence(local);
      }
    } else if (this.restatementDue && this.sentSelection) {
      this.statePresence(this.sentSelection);
    }
  }

  private statePresence(selection: SelectionValue | null): void {
    this.restatementDue = false;
    this.sentSelection = selection;
    this.host.send({
      type: 'presence',
      docId: this.docId,
      version: this.currentVersion,
      selection: selection as Selection | null,
    });
    this.cancelRestatement?.();
    this.cancelRestatement = selection
      ? this.host.schedule(() => this.restatePresence(), PRESENCE_REFRESH_MS)
      : undefined;
  }

  /** Sends the selection again, so that the server keeps it. */
  private restatePresence(): void {
    this.cancelRestatement = undefined;
    this.restatementDue = true;
    this.sendPresence();
  }
}

function sameSelection(a: SelectionValue | null, b: SelectionValue | null): boolean {
  return JSON.stringify(a && [a.anchor, a.head]) === JSON.stringify(b && [b.anchor, b.head]);
}
