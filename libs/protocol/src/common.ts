import { ERROR_CODES } from '@tandem/errors';
import * as z from 'zod';

/** Bumped on any change that an older peer would misread; checked in the handshake. */
export const PROTOCOL_VERSION = 1;

export const DocId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a document id is 1-128 of A-Z a-z 0-9 _ -');
export const ClientId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a client id is 8-64 of A-Z a-z 0-9 _ -');
/** The client ids of the ops a restore commits start with this, so history can tell restores from edits. */
export const RESTORE_CLIENT_PREFIX = 'restore-';
/** A client id a client may choose: any but the restores'. */
export const ClientChosenId = ClientId.refine((id) => !id.startsWith(RESTORE_CLIENT_PREFIX), {
  message: `client ids starting with ${RESTORE_CLIENT_PREFIX} are the server's`,
});
export const UserId = z.string().min(1).max(256);
export const Version = z.number().int().nonnegative();
export const Seq = z.number().int().positive();
export const DocTypeName = z.enum(['text', 'rich-text', 'json1']);
export const Role = z.enum(['owner', 'editor', 'commenter', 'viewer']);
export const ErrorCode = z.enum(ERROR_CODES);

/**
 * An op as untrusted JSON. Its shape is the document type's business (libs/ot checks it
 * with validateOp), so the protocol only requires that it is present.
 */
export const OpPayload = z.custom<unknown>((v) => v !== undefined, { message: 'op is required' });

/** A cursor in the document type's unit: a number for text types, a path for json1. */
export const Cursor = z.union([
  z.number().int().nonnegative(),
  z.array(z.union([z.string(), z.number().int()])),
]);
export const Selection = z.object({ anchor: Cursor, head: Cursor });

/** An op as it stands in the op log: what every client of the document applies at `version`. */
export const CommittedOp = z.object({
  version: Version.min(1),
  op: OpPayload,
  author: UserId,
  clientId: ClientId,
  seq: Seq,
});

export type CommittedOp = z.infer<typeof CommittedOp>;
export type Role = z.infer<typeof Role>;
export type Selection = z.infer<typeof Selection>;
