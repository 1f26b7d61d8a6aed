import { conflictNotice } from '@tandem/core';
import { isTandemError, TandemError } from '@tandem/errors';
import { type AnyDocType, type Conflict, getDocType, validateOp } from '@tandem/ot';
import {
  type ClientMessage,
  type CommittedOp,
  encodeMessage,
  PROTOCOL_VERSION,
  parseClientMessage,
  type Role,
  type ServerMessage,
  type SubmitOp,
} from '@tandem/protocol';

/**
 * An in-memory Tandem server for tests and benchmarks: one process, no storage, the
 * same protocol and the same commit rule as the real commit pipeline (transform the op
 * past everything committed since its base version, check it against the document,
 * append, acknowledge, broadcast). It is the authority the client engine is tested
 * against, the way @codemirror/collab's tests use a small in-memory authority.
 */

interface ServerDoc {
  type: AnyDocType;
  initial: unknown;
  snapshot: unknown;
  log: CommittedOp[];
  /** Last committed seq and its version, per client: the exactly-once record. */
  seqs: Map<string, { seq: number; version: number }>;
  sessions: Set<Session>;
}

interface Session {
  send(message: ServerMessage): void;
  userId: string | null;
  clientId: string | null;
  docs: Set<string>;
  open: boolean;
}

export interface ReferenceServerOptions {
  /** Maps a hello token to a user id; null refuses it. Default: the token is the user id. */
  authenticate?: (token: string) => string | null;
  /** The role of a user on a document. Default: everyone is an editor. */
  roleOf?: (docId: string, userId: string) => Role | null;
}

export interface ServerSessionHandle {
  /** Delivers one raw message from the client. */
  receive(data: string): void;
  /** The connection is gone; the server forgets the session. */
  close(): void;
}

/** What the server has seen, so tests can show that a run exercised the paths it meant to. */
export interface ReferenceServerStats {
  committed: number;
  /** Resends of an op already committed, answered with its original version. */
  duplicates: number;
  /** Ops that were transformed past at least one op committed after their base version. */
  transformed: number;
  conflicts: number;
  refused: number;
}

export class ReferenceServer {
  readonly stats: ReferenceServerStats = {
    committed: 0,
    duplicates: 0,
    transformed: 0,
    conflicts: 0,
    refused: 0,
  };
  private readonly docs = new Map<string, ServerDoc>();
  private readonly authenticate: (token: string) => string | null;
  private readonly roleOf: (docId: string, userId: string) => Role | null;

  constructor(options: ReferenceServerOptions = {}) {
    this.authenticate = options.authenticate ?? ((token) => token);
    this.roleOf = options.roleOf ?? (() => 'editor');
  }

  createDoc(docId: string, typeName: string, initial?: unknown): void {
    const type = getDocType(typeName);
    const snapshot = type.create(initial);
    this.docs.set(docId, {
      type,
      initial: snapshot,
      snapshot,
      log: [],
      seqs: new Map(),
      sessions: new Set(),
    });
  }

  snapshot(docId: string): unknown {
    return this.doc(docId).snapshot;
  }

  version(docId: string): number {
    return this.doc(docId).log.length;
  }

  log(docId: string): readonly CommittedOp[] {
    return this.doc(docId).log;
  }

  /** The document rebuilt by applying its whole op log to its initial content. */
  replay(docId: string): unknown {
    const doc = this.doc(docId);
    return doc.log.reduce((snap, rec) => doc.type.apply(snap, rec.op), doc.initial);
  }

  /** A new connection; `send` carries raw messages to the client. */
  connect(send: (data: string) => void): ServerSessionHandle {
    const session: Session = {
      send: (message) => {
        if (session.open) send(encodeMessage(message));
      },
      userId: null,
      clientId: null,
      docs: new Set(),
      open: true,
    };
    return {
      receive: (data) => {
        if (session.open) this.receive(session, data);
      },
      close: () => {
        session.open = false;
        for (const docId of session.docs) this.docs.get(docId)?.sessions.delete(session);
      },
    };
  }

  private doc(docId: string): ServerDoc {
    const doc = this.docs.get(docId);
    if (!doc) throw new TandemError('DOC_NOT_FOUND', `No document ${docId}`);
    return doc;
  }

  private receive(session: Session, data: string): void {
    let message: ClientMessage | undefined;
    try {
      message = parseClientMessage(data);
      this.handle(session, message);
    } catch (err) {
      this.stats.refused++;
      const error = isTandemError(err) ? err : new TandemError('INTERNAL', String(err));
      const about = message && 'docId' in message ? { docId: message.docId } : {};
      const seq = message?.type === 'op' ? { seq: message.seq } : {};
      session.send({
        type: 'error',
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        ...about,
        ...seq,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
  }

  private handle(session: Session, message: ClientMessage): void {
    if (message.type === 'hello') {
      if (message.protocol !== PROTOCOL_VERSION) {
        throw new TandemError('PROTOCOL_VERSION', `This server speaks protocol ${PROTOCOL_VERSION}`);
      }
      const userId = this.authenticate(message.token);
      if (!userId) throw new TandemError('UNAUTHENTICATED', 'The token was refused');
      session.userId = userId;
      session.clientId = message.clientId;
      session.send({
        type: 'welcome',
        protocol: PROTOCOL_VERSION,
        sessionId: message.clientId,
        userId,
        heartbeatMs: 20_000,
        limits: {
          maxMessageBytes: 160 * 1024,
          maxOpBytes: 64 * 1024,
          opsPerSecond: 1000,
          maxDocs: 100,
          maxPendingOps: 1,
        },
      });
      return;
    }
    if (!session.userId) throw new TandemError('BAD_MESSAGE', 'The first message on a socket is hello');
    switch (message.type) {
      case 'ping':
        session.send({ type: 'pong', ...(message.t === undefined ? {} : { t: message.t }) });
        return;
      case 'join':
        this.join(session, message.docId, message.version);
        return;
      case 'leave':
        session.docs.delete(message.docId);
        this.docs.get(message.docId)?.sessions.delete(session);
        return;
      case 'fetch': {
        const { doc } = this.joined(session, message.docId);
        const to = message.to ?? doc.log.length;
        if (to > doc.log.length) {
          throw new TandemError(
            'VERSION_FUTURE',
            `Document ${message.docId} is at version ${doc.log.length}`,
          );
        }
        session.send({
          type: 'catchup',
          docId: message.docId,
          from: message.from,
          to,
          ops: doc.log.slice(message.from - 1, to),
        });
        return;
      }
      case 'op':
        this.submit(session, message);
        return;
      case 'presence': {
        const { doc } = this.joined(session, message.docId);
        if (message.selection) {
          doc.type.checkCursor(message.selection.anchor);
          doc.type.checkCursor(message.selection.head);
        }
        return;
      }
    }
  }

  private join(session: Session, docId: string, version: number | undefined): void {
    const doc = this.doc(docId);
    const role = this.roleOf(docId, session.userId as string);
    if (!role) throw new TandemError('FORBIDDEN', `No access to document ${docId}`);
    if (version !== undefined && version > doc.log.length) {
      throw new TandemError('VERSION_FUTURE', `Document ${docId} is at version ${doc.log.length}`);
    }
    session.docs.add(docId);
    doc.sessions.add(session);
    const current = doc.log.length;
    if (version === undefined) {
      session.send({
        type: 'joined',
        docId,
        docType: doc.type.name,
        version: current,
        role,
        snapshot: doc.snapshot,
      });
      return;
    }
    if (version < current) {
      session.send({ type: 'catchup', docId, from: version + 1, to: current, ops: doc.log.slice(version) });
    }
    session.send({ type: 'joined', docId, docType: doc.type.name, version: current, role });
  }

  /** The document of a message, after checking that the session joined it and its user still has a role on it. */
  private joined(session: Session, docId: string): { doc: ServerDoc; role: Role } {
    if (!session.docs.has(docId)) throw new TandemError('NOT_JOINED', `Join document ${docId} first`);
    const doc = this.doc(docId);
    const role = this.roleOf(docId, session.userId as string);
    if (!role) throw new TandemError('FORBIDDEN', `No access to document ${docId}`);
    return { doc, role };
  }

  private submit(session: Session, msg: SubmitOp): void {
    const { doc, role } = this.joined(session, msg.docId);
    const userId = session.userId as string;
    if (role !== 'owner' && role !== 'editor') throw new TandemError('FORBIDDEN', `A ${role} cannot edit`);
    if (msg.clientId !== session.clientId)
      throw new TandemError('BAD_MESSAGE', 'clientId is not this session’s');
    const last = doc.seqs.get(msg.clientId);
    if (last && msg.seq <= last.seq) {
      if (msg.seq < last.seq) throw new TandemError('OP_INVALID', `seq ${msg.seq} was used before`);
      // A resend of the committed op: answer with its original version, apply nothing.
      this.stats.duplicates++;
      session.send({ type: 'ack', docId: msg.docId, seq: msg.seq, version: last.version });
      return;
    }
    if (msg.baseVersion > doc.log.length) {
      throw new TandemError('VERSION_FUTURE', `Document ${msg.docId} is at version ${doc.log.length}`);
    }
    let op = validateOp(doc.type, msg.op);
    const conflicts: { conflict: Conflict; first: CommittedOp }[] = [];
    for (const committed of doc.log.slice(msg.baseVersion)) {
      const result = doc.type.transformWithConflicts(op, committed.op, 'right');
      op = result.op;
      for (const conflict of result.conflicts) conflicts.push({ conflict, first: committed });
    }
    doc.type.checkOpAgainst(op, doc.snapshot);
    this.stats.committed++;
    if (msg.baseVersion < doc.log.length) this.stats.transformed++;
    this.stats.conflicts += conflicts.length;
    doc.snapshot = doc.type.apply(doc.snapshot, op);
    const rec: CommittedOp = {
      version: doc.log.length + 1,
      op,
      author: userId,
      clientId: msg.clientId,
      seq: msg.seq,
    };
    doc.log.push(rec);
    doc.seqs.set(msg.clientId, { seq: msg.seq, version: rec.version });
    session.send({ type: 'ack', docId: msg.docId, seq: msg.seq, version: rec.version });
    for (const other of doc.sessions) {
      if (other !== session) other.send({ type: 'remote-op', docId: msg.docId, ...rec });
    }
    if (conflicts.length > 0) this.notifyConflicts(msg.docId, doc, rec, conflicts);
  }

  private notifyConflicts(
    docId: string,
    doc: ServerDoc,
    rec: CommittedOp,
    conflicts: { conflict: Conflict; first: CommittedOp }[],
  ): void {
    const notice = conflictNotice(docId, rec, conflicts);
    const involved = new Set([rec.clientId, ...conflicts.map((c) => c.first.clientId)]);
    for (const s of doc.sessions) if (s.clientId && involved.has(s.clientId)) s.send(notice);
  }
}
