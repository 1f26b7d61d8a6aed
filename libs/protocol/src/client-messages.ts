import * as z from 'zod';
import { ClientChosenId, DocId, OpPayload, Selection, Seq, Version } from './common.js';

/** First message on a socket. The token is a short-lived JWT or ticket, never put in the URL. */
export const Hello = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  token: z.string().min(1).max(8192),
  clientId: ClientChosenId,
});

/** Open a document: without `version` the server sends a snapshot, with it the ops after it. */
export const Join = z.object({ type: z.literal('join'), docId: DocId, version: Version.optional() });

export const Leave = z.object({ type: z.literal('leave'), docId: DocId });

/**
 * A local op. (clientId, seq) names it for exactly-once commit: a resend after a
 * reconnect carries the same pair and is answered with the version it was committed at.
 */
export const SubmitOp = z.object({
  type: z.literal('op'),
  docId: DocId,
  clientId: ClientChosenId,
  seq: Seq,
  baseVersion: Version,
  op: OpPayload,
});

/** Ask for committed ops from..to (inclusive; `to` defaults to the latest), after a gap. */
export const Fetch = z
  .object({ type: z.literal('fetch'), docId: DocId, from: Version.min(1), to: Version.optional() })
  .refine((m) => m.to === undefined || m.to >= m.from, {
    message: 'to must not be below from',
    path: ['to'],
  });

/** The sender's cursor and selection at `version` of the document; null hides it. */
export const PresenceUpdate = z.object({
  type: z.literal('presence'),
  docId: DocId,
  version: Version,
  selection: Selection.nullable(),
});

export const Ping = z.object({ type: z.literal('ping'), t: z.number().optional() });

export const ClientMessage = z.discriminatedUnion('type', [
  Hello,
  Join,
  Leave,
  SubmitOp,
  Fetch,
  PresenceUpdate,
  Ping,
]);

export type Hello = z.infer<typeof Hello>;
export type Join = z.infer<typeof Join>;
export type Leave = z.infer<typeof Leave>;
export type SubmitOp = z.infer<typeof SubmitOp>;
export type Fetch = z.infer<typeof Fetch>;
export type PresenceUpdate = z.infer<typeof PresenceUpdate>;
export type Ping = z.infer<typeof Ping>;
export type ClientMessage = z.infer<typeof ClientMessage>;
export const CLIENT_MESSAGE_TYPES = ClientMessage.options.map((o) => o.shape.type.value);
