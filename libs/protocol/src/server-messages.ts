import * as z from 'zod';
import {
  ClientId,
  CommittedOp,
  DocId,
  DocTypeName,
  ErrorCode,
  OpPayload,
  Role,
  Selection,
  Seq,
  UserId,
  Version,
} from './common.js';

export const Limits = z.object({
  maxMessageBytes: z.number().int().positive(),
  maxOpBytes: z.number().int().positive(),
  opsPerSecond: z.number().positive(),
  maxDocs: z.number().int().positive(),
  maxPendingOps: z.number().int().positive(),
});

export const Welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int().positive(),
  sessionId: z.string(),
  userId: UserId,
  /** The client pings at least this often; the server drops a socket silent for 3 × heartbeatMs. */
  heartbeatMs: z.number().int().positive(),
  limits: Limits,
});

export const Joined = z.object({
  type: z.literal('joined'),
  docId: DocId,
  docType: DocTypeName,
  version: Version,
  role: Role,
  /** Present when the join asked for a snapshot (no version); the content at `version`. */
  snapshot: z.unknown().optional(),
});

/** Committed ops from..to, in order, in answer to a join with a version or a fetch. */
export const Catchup = z.object({
  type: z.literal('catchup'),
  docId: DocId,
  from: Version.min(1),
  to: Version,
  ops: z.array(CommittedOp),
});

/** The sender's op (clientId, seq) is durably committed at `version`. */
export const Ack = z.object({ type: z.literal('ack'), docId: DocId, seq: Seq, version: Version.min(1) });

/**
 * An op committed at `version`, sent to every session of the document but the one that
 * submitted it (which gets an ack). A client recognizes its own op by (clientId, seq)
 * when it reaches it on a newer session, and takes it as the ack.
 */
export const RemoteOp = z.object({
  type: z.literal('remote-op'),
  docId: DocId,
  version: Version.min(1),
  op: OpPayload,
  author: UserId,
  clientId: ClientId,
  seq: Seq,
});

export const PresenceUser = z.object({
  userId: UserId,
  clientId: ClientId,
  name: z.string(),
  color: z.string(),
  selection: Selection.nullable(),
});

/** Everybody's cursors in a document, transformed to `version`, sent in batches. */
export const PresenceBatch = z.object({
  type: z.literal('presence-batch'),
  docId: DocId,
  version: Version,
  users: z.array(PresenceUser),
});

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: ErrorCode,
  message: z.string(),
  docId: DocId.optional(),
  /** The op this error refuses; that op was not committed. */
  seq: Seq.optional(),
  retryable: z.boolean(),
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** Facts about the failure, such as the limit and the actual size. */
  details: z.record(z.string(), z.unknown()).optional(),
});

export const ConflictNotice = z.object({
  type: z.literal('conflict'),
  docId: DocId,
  /** The version at which the later op was committed, after its conflicts were resolved. */
  version: Version.min(1),
  conflicts: z.array(
    z.object({
      kind: z.enum(['drop-collision', 'remove-edit', 'blackhole']),
      description: z.string(),
      /** The op that was committed first. */
      first: z.object({ userId: UserId, clientId: ClientId, version: Version.min(1) }),
      /** The op committed later, which was transformed past the first. */
      later: z.object({ userId: UserId, clientId: ClientId, seq: Seq }),
      /**
       * Whose write survived: the first op's (it wins collisions), the later op's (a
       * removal wins over an edit of what it removed, whichever came first), or neither
       * (items moved into each other are both removed).
       */
      kept: z.enum(['first', 'later', 'neither']),
      /** The part of the later op that was in conflict. */
      op: OpPayload,
    }),
  ),
});

export const Pong = z.object({ type: z.literal('pong'), t: z.number().optional() });

/** Reconnect elsewhere (the gateway is draining); resume every document from its version. */
export const Redirect = z.object({
  type: z.literal('redirect'),
  reason: z.string(),
  url: z.string().optional(),
  retryAfterMs: z.number().int().nonnegative().optional(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  Welcome,
  Joined,
  Catchup,
  Ack,
  RemoteOp,
  PresenceBatch,
  ErrorMessage,
  ConflictNotice,
  Pong,
  Redirect,
]);

export type Limits = z.infer<typeof Limits>;
export type Welcome = z.infer<typeof Welcome>;
export type Joined = z.infer<typeof Joined>;
export type Catchup = z.infer<typeof Catchup>;
export type Ack = z.infer<typeof Ack>;
export type RemoteOp = z.infer<typeof RemoteOp>;
export type PresenceUser = z.infer<typeof PresenceUser>;
export type PresenceBatch = z.infer<typeof PresenceBatch>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;
export type ConflictNotice = z.infer<typeof ConflictNotice>;
export type Pong = z.infer<typeof Pong>;
export type Redirect = z.infer<typeof Redirect>;
export type ServerMessage = z.infer<typeof ServerMessage>;
export const SERVER_MESSAGE_TYPES = ServerMessage.options.map((o) => o.shape.type.value);
