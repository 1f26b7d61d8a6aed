import type { Identity, TokenVerifier } from '@tandem/auth';
import type { CollabService, DocBroadcast, FanOut, MetadataStore, PresenceHub } from '@tandem/core';
import { isTandemError, TandemError } from '@tandem/errors';
import type { Logger } from '@tandem/logging';
import {
  type ClientMessage,
  encodeMessage,
  type Fetch,
  type Join,
  PROTOCOL_VERSION,
  type PresenceUpdate,
  parseClientMessage,
  type Role,
  type ServerMessage,
  type SubmitOp,
} from '@tandem/protocol';
import type { GatewayLimits } from './limits.js';
import type { GatewayMetrics } from './metrics.js';
import { Outbox } from './outbox.js';
import { TokenBucket } from './token-bucket.js';

export interface SessionDeps {
  collab: CollabService;
  metadata: Pick<MetadataStore, 'get' | 'roleOf'>;
  fanOut: FanOut;
  presence: Pick<PresenceHub, 'update' | 'remove'>;
  verify: TokenVerifier;
  limits: GatewayLimits;
  log: Logger;
  metrics: GatewayMetrics;
}

/** What a session needs from its socket. */
export interface SessionSocket {
  send(data: string): void;
  close(code: number, reason: string): void;
}

interface OpenDoc {
  role: Role;
  unsubscribe: () => void;
  /** Broadcasts that arrived while the join was being answered, sent right after it. */
  held: DocBroadcast[] | null;
  /** The highest version this session has been sent (as an op, an ack or in a catch-up). */
  sent: number;
}

const EDIT_ROLES: ReadonlySet<Role> = new Set(['owner', 'editor']);
/** How long an ack waits for its op's broadcast before it is sent on its own (a broadcast that was lost). */
const ACK_FALLBACK_MS = 1000;

/**
 * One client connection: authentication by the first message, then every message
 * authorized by the user's current role on its document. Acks travel in the document's
 * broadcast stream (the op's broadcast is turned into an ack for the session it came
 * from), so a client gets its own op and everyone else's in version order.
 */
export class GatewaySession {
  readonly id: string;
  private identity: Identity | null = null;
  private clientId: string | null = null;
  private readonly docs = new Map<string, OpenDoc>();
  private readonly opBucket: TokenBucket;
  private readonly presenceBucket: TokenBucket;
  private pendingOps = 0;
  private closed = false;
  private readonly outbox = new Outbox((frame) => {
    if (!this.closed) this.socket.send(frame);
  });
  /** Messages are handled one at a time, in order; an op is handed to its document's queue and not waited for. */
  private chain: Promise<void> = Promise.resolve();
  lastHeard = Date.now();

  constructor(
    private readonly socket: SessionSocket,
    private readonly deps: SessionDeps,
    id: string,
  ) {
    this.id = id;
    this.opBucket = new TokenBucket(deps.limits.opsPerSecond, deps.limits.opsBurst);
    this.presenceBucket = new TokenBucket(deps.limits.presencePerSecond, deps.limits.presencePerSecond);
  }

  get authenticated(): boolean {
    return this.identity !== null;
  }

  /** One raw message from the socket. Never throws: failures become error messages. */
  receive(data: string | Buffer): Promise<void> {
    this.lastHeard = Date.now();
    this.chain = this.chain.then(() => this.process(data));
    return this.chain;
  }

  private async process(data: string | Buffer): Promise<void> {
    let message: ClientMessage | undefined;
    try {
      message = parseClientMessage(
        typeof data === 'string' ? data : new Uint8Array(data),
        this.deps.limits.maxMessageBytes,
      );
      this.deps.metrics.messages.inc({ type: message.type });
      await this.handle(message);
    } catch (err) {
      this.refuse(err, message);
    }
  }

  /** The socket is gone: leave every document. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const docIds = [...this.docs.keys()];
    for (const docId of docIds) this.leave(docId);
  }

  /** Tells the client to reconnect elsewhere, then closes (a draining gateway). */
  redirect(reason: string, url?: string): void {
    this.send({ type: 'redirect', reason, ...(url ? { url } : {}), retryAfterMs: 0 });
    this.outbox.flush();
    this.socket.close(1012, 'gateway draining');
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (message.type === 'hello') return this.hello(message.token, message.protocol, message.clientId);
    if (!this.identity) throw new TandemError('BAD_MESSAGE', 'The first message on a socket is hello');
    switch (message.type) {
      case 'ping':
        this.send({ type: 'pong', ...(message.t === undefined ? {} : { t: message.t }) });
        return;
      case 'join':
        return this.join(message);
      case 'leave':
        this.leave(message.docId);
        return;
      case 'fetch':
        return this.fetch(message);
      case 'op': {
        // Checked in order, then committed without holding up the next message: the
        // document's own queue keeps its ops in order.
        const committed = this.submit(message);
        committed.catch((err) => this.refuse(err, message));
        return;
      }
      case 'presence':
        return this.presence(message);
    }
  }

  private async hello(token: string, protocol: number, clientId: string): Promise<void> {
    if (this.identity) throw new TandemError('BAD_MESSAGE', 'This socket has already said hello');
    if (protocol !== PROTOCOL_VERSION) {
      throw new TandemError(
        'PROTOCOL_VERSION',
        `This server speaks protocol ${PROTOCOL_VERSION}, not ${protocol}`,
      );
    }
    const identity = await this.deps.verify(token);
    this.identity = identity;
    this.clientId = clientId;
    const { limits } = this.deps;
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      sessionId: this.id,
      userId: identity.userId,
      heartbeatMs: limits.heartbeatMs,
      limits: {
        maxMessageBytes: limits.maxMessageBytes,
        maxOpBytes: 64 * 1024,
        opsPerSecond: limits.opsPerSecond,
        maxDocs: limits.maxDocs,
        maxPendingOps: limits.maxPendingOps,
      },
    });
  }

  /** The caller's role on a document, or a refusal that does not reveal more than it must. */
  private async roleOf(docId: string): Promise<Role> {
    const userId = (this.identity as Identity).userId;
    const role = await this.deps.metadata.roleOf(docId, userId);
    if (role) return role;
    const exists = await this.deps.metadata.get(docId);
    throw exists
      ? new TandemError('FORBIDDEN', `No access to document ${docId}`)
      : new TandemError('DOC_NOT_FOUND', `No document ${docId}`);
  }

  private async join(msg: Join): Promise<void> {
    const { docId } = msg;
    if (!this.docs.has(docId) && this.docs.size >= this.deps.limits.maxDocs) {
      throw new TandemError('TOO_MANY_DOCS', `A socket may have ${this.deps.limits.maxDocs} documents open`);
    }
    const role = await this.roleOf(docId);
    this.leave(docId);
    // Subscribe before reading, and hold what arrives, so nothing committed between the
    // read and the reply is missed or sent out of order.
    const open: OpenDoc = { role, held: [], sent: 0, unsubscribe: () => {} };
    this.docs.set(docId, open);
    open.unsubscribe = this.deps.fanOut.subscribe(docId, (m) => {
      if (open.held) open.held.push(m);
      else this.forward(docId, open, m);
    });
    try {
      if (msg.version === undefined) {
        const doc = await this.deps.collab.open(docId);
        open.sent = doc.version;
        this.send({
          type: 'joined',
          docId,
          docType: doc.type,
          version: doc.version,
          role,
          snapshot: doc.snapshot,
        });
      } else {
        const [doc, ops] = await Promise.all([
          this.deps.collab.typeOf(docId),
          this.deps.collab.opsSince(docId, msg.version),
        ]);
        const last = ops.length > 0 ? (ops[ops.length - 1]?.version as number) : msg.version;
        if (ops.length > 0)
          this.send({ type: 'catchup', docId, from: msg.version + 1, to: last, ops: ops.map(wire) });
        open.sent = last;
        this.send({ type: 'joined', docId, docType: doc.name, version: last, role });
      }
    } catch (err) {
      this.leave(docId);
      throw err;
    }
    const held = open.held ?? [];
    open.held = null;
    for (const m of held) this.forward(docId, open, m);
  }

  private leave(docId: string): void {
    const open = this.docs.get(docId);
    if (!open) return;
    open.unsubscribe();
    this.docs.delete(docId);
    if (this.clientId) void this.deps.presence.remove(docId, this.clientId).catch(() => {});
  }

  private joined(docId: string): OpenDoc {
    const open = this.docs.get(docId);
    if (!open) throw new TandemError('NOT_JOINED', `Join document ${docId} first`);
    return open;
  }

  private async fetch(msg: Fetch): Promise<void> {
    this.joined(msg.docId);
    const ops = await this.deps.collab.opsSince(msg.docId, msg.from - 1, msg.to);
    const to = ops.length > 0 ? (ops[ops.length - 1]?.version as number) : msg.from - 1;
    this.send({ type: 'catchup', docId: msg.docId, from: msg.from, to, ops: ops.map(wire) });
  }

  private async submit(msg: SubmitOp): Promise<void> {
    const open = this.joined(msg.docId);
    if (!EDIT_ROLES.has(open.role))
      throw new TandemError('FORBIDDEN', `A ${open.role} cannot edit ${msg.docId}`);
    if (msg.clientId !== this.clientId)
      throw new TandemError('BAD_MESSAGE', 'clientId differs from the hello’s');
    const wait = this.opBucket.take();
    if (wait > 0)
      throw new TandemError('RATE_LIMITED', 'Too many ops on this socket', { retryAfterMs: wait });
    if (this.pendingOps >= this.deps.limits.maxPendingOps) {
      throw new TandemError('TOO_MANY_PENDING', 'Too many ops waiting for an answer', { retryAfterMs: 100 });
    }
    this.pendingOps++;
    const started = performance.now();
    try {
      const result = await this.deps.collab.submit({
        docId: msg.docId,
        userId: (this.identity as Identity).userId,
        clientId: msg.clientId,
        seq: msg.seq,
        baseVersion: msg.baseVersion,
        op: msg.op,
        origin: this.id,
      });
      this.deps.metrics.opSeconds.observe((performance.now() - started) / 1000);
      if (result.duplicate) {
        this.send({ type: 'ack', docId: msg.docId, seq: msg.seq, version: result.version });
      } else if (open.sent < result.version) {
        // Normally the op's own broadcast has already become the ack; if it was lost, ack anyway.
        setTimeout(() => {
          if (!this.closed && this.docs.get(msg.docId) === open && open.sent < result.version) {
            this.send({ type: 'ack', docId: msg.docId, seq: msg.seq, version: result.version });
          }
        }, ACK_FALLBACK_MS).unref?.();
      }
    } finally {
      this.pendingOps--;
    }
  }

  private async presence(msg: PresenceUpdate): Promise<void> {
    this.joined(msg.docId);
    if (this.presenceBucket.take() > 0) return;
    const identity = this.identity as Identity;
    await this.deps.presence.update({
      docId: msg.docId,
      clientId: this.clientId as string,
      userId: identity.userId,
      name: identity.name,
      selection: msg.selection,
      version: msg.version,
    });
  }

  private forward(docId: string, open: OpenDoc, m: DocBroadcast): void {
    switch (m.kind) {
      case 'op': {
        const { record } = m;
        if (record.version <= open.sent) return;
        open.sent = record.version;
        if (m.origin === this.id) this.send({ type: 'ack', docId, seq: record.seq, version: record.version });
        else
          this.sendEncoded(
            encodedOnce(m, () => encodeMessage({ type: 'remote-op', docId, ...wire(record) })),
          );
        return;
      }
      case 'conflict':
        if (
          m.notice.conflicts.some(
            (c) => c.later.clientId === this.clientId || c.first.clientId === this.clientId,
          )
        ) {
          this.send(m.notice);
        }
        return;
      case 'presence':
        this.sendEncoded(encodedOnce(m, () => encodeMessage(m.batch)));
        return;
      case 'permissions':
        void this.recheck(docId, open);
        return;
      case 'deleted':
        this.leave(docId);
        this.send({
          type: 'error',
          code: 'DOC_NOT_FOUND',
          message: `Document ${docId} was deleted`,
          docId,
          retryable: false,
        });
        return;
    }
  }

  /** Roles changed: keep the document open with the new role, or close it if access is gone. */
  private async recheck(docId: string, open: OpenDoc): Promise<void> {
    const role = await this.deps.metadata.roleOf(docId, (this.identity as Identity).userId).catch(() => null);
    if (this.docs.get(docId) !== open) return;
    if (role) {
      open.role = role;
      return;
    }
    this.leave(docId);
    this.send({
      type: 'error',
      code: 'FORBIDDEN',
      message: `No access to document ${docId}`,
      docId,
      retryable: false,
    });
  }

  private refuse(err: unknown, message: ClientMessage | undefined): void {
    const error = isTandemError(err) ? err : new TandemError('INTERNAL', 'Internal error');
    if (!isTandemError(err)) this.deps.log.error({ err, session: this.id }, 'message failed');
    this.deps.metrics.errors.inc({ code: error.code });
    this.send({
      type: 'error',
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(message && 'docId' in message ? { docId: message.docId } : {}),
      ...(message?.type === 'op' ? { seq: message.seq } : {}),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      ...(error.details === undefined ? {} : { details: error.details }),
    });
    if (
      error.code === 'UNAUTHENTICATED' ||
      error.code === 'TOKEN_EXPIRED' ||
      error.code === 'PROTOCOL_VERSION'
    ) {
      this.outbox.flush();
      this.socket.close(4401, error.code);
    }
  }

  private sendEncoded(data: string): void {
    if (!this.closed) this.outbox.push(data);
  }

  private send(message: ServerMessage): void {
    if (!this.closed) this.outbox.push(encodeMessage(message));
  }
}

/**
 * A broadcast reaches every session of its document as the same object, and its message
 * is the same for all of them: it is encoded once, not once per recipient (a document
 * with 50 editors sends each op 49 times).
 */
const encoded = new WeakMap<DocBroadcast, string>();
function encodedOnce(m: DocBroadcast, encode: () => string): string {
  let data = encoded.get(m);
  if (data === undefined) {
    data = encode();
    encoded.set(m, data);
  }
  return data;
}

/** An op record as the protocol sends it (without the server's timestamp). */
function wire(r: { version: number; op: unknown; author: string; clientId: string; seq: number }) {
  return { version: r.version, op: r.op, author: r.author, clientId: r.clientId, seq: r.seq };
}
