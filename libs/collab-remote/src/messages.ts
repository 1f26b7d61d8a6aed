import { ERROR_CODES } from '@tandem/errors';
import { z } from 'zod';

const docId = z.string().min(1).max(128);
const version = z.number().int().min(0);

/**
 * A call from a gateway or the API to the worker that owns the document: one of the
 * engine's methods, by name, with its arguments. `replyTo` is the caller's inbox.
 */
export const CollabRequest = z.discriminatedUnion('method', [
  z.object({ method: z.literal('open'), docId }),
  z.object({ method: z.literal('opsSince'), docId, after: version, to: version.optional() }),
  z.object({
    method: z.literal('submit'),
    docId,
    req: z.object({
      docId,
      userId: z.string(),
      clientId: z.string(),
      seq: z.number().int().min(1),
      baseVersion: version,
      op: z.unknown(),
      origin: z.string().optional(),
    }),
  }),
  z.object({
    method: z.literal('initDocument'),
    docId,
    typeName: z.enum(['text', 'rich-text', 'json1']),
    initial: z.unknown().optional(),
  }),
  z.object({ method: z.literal('contentAt'), docId, version }),
  z.object({ method: z.literal('restore'), docId, targetVersion: version, userId: z.string() }),
  z.object({ method: z.literal('forget'), docId }),
]);
export type CollabRequest = z.infer<typeof CollabRequest>;

export const WireError = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  retryAfterMs: z.number().optional(),
});
export type WireError = z.infer<typeof WireError>;

/** Everything that travels through the collaboration inboxes. */
export const CollabMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: z.string(), replyTo: z.string(), call: CollabRequest }),
  z.object({ kind: z.literal('result'), id: z.string(), result: z.unknown() }),
  z.object({ kind: z.literal('error'), id: z.string(), error: WireError }),
]);
export type CollabMessage = z.infer<typeof CollabMessage>;
