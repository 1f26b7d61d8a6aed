import { CommittedOp, DocId, DocTypeName, ErrorCode, Role, UserId, Version } from '@tandem/protocol';
import { z } from 'zod';

/**
 * The REST API's requests and responses. The protocol's schemas (DocId, UserId, Role, DocTypeName,
 * Version, CommittedOp, ErrorCode) are reused as they are, so a document id or a role means the same
 * over REST as over the WebSocket. The same zod objects validate requests, encode
 * responses (fastify-type-provider-zod) and become the OpenAPI document.
 */

/** Most ops one GET …/ops answers with; the rest is behind `next`. */
export const MAX_OPS_PER_PAGE = 1000;

export const ErrorResponse = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      retryable: z.boolean().describe('true when the same request may succeed later (see Retry-After)'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    // Registered under an id: the OpenAPI document lists it once in components and refers to it.
    id: 'TandemError',
    description: 'Every error: a stable code to branch on, a message for people, and structured details',
  });

/**
 * Path and query values arrive as strings: coerce, then check with the protocol's schema.
 * The OpenAPI document shows the schema's own JSON Schema (an integer with its bounds)
 * rather than the bare `number` of the coercion.
 */
function intFromString<T extends z.ZodType<number, number>>(schema: T) {
  const { $schema: _, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return z.coerce.number().pipe(schema).meta(json);
}

export const DocParams = z.object({ id: DocId });

export const Title = z.string().trim().min(1).max(200).describe('1-200 characters, trimmed');

export const CreateDocumentBody = z.object({
  id: DocId.optional().describe(
    'The id to create it under (1-128 of A-Z a-z 0-9 _ -), for clients that name documents themselves; 400 if it is taken. Omitted: a random id.',
  ),
  title: Title,
  type: DocTypeName,
  content: z
    .unknown()
    .optional()
    .describe(
      "Initial content in the type's snapshot format: a string for text, a string or Delta inserts for rich-text, any JSON value for json1. Omitted: an empty document.",
    ),
});

export const DocumentSummary = z.object({
  id: DocId,
  title: z.string(),
  type: DocTypeName,
  role: Role.describe("the caller's role on the document"),
  ownerId: UserId,
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const CreatedDocument = DocumentSummary.extend({ version: Version });

export const ListQuery = z.object({
  limit: intFromString(z.number().int().min(1).max(100)).default(20),
  after: z.string().min(1).max(512).optional().describe('the `next` of the previous page'),
});

export const DocumentPage = z.object({
  items: z.array(DocumentSummary),
  next: z.string().nullable().describe('pass as `after` for the next page; null on the last page'),
});

export const DocumentWithContent = DocumentSummary.extend({
  version: Version,
  content: z.unknown().describe("the content at `version`, in the type's snapshot format"),
});

/** 204: no body. */
export const DocumentDeleted = z.null().describe('Deleted');

export const RenameBody = z.object({ title: Title });

export const OpsQuery = z.object({
  from: intFromString(Version.min(1)).default(1).describe('first version to return (default 1)'),
  to: intFromString(Version).optional().describe('last version to return (default: the latest)'),
});

export const OpsPage = z.object({
  ops: z.array(CommittedOp.extend({ ts: z.number().int().describe('commit time, ms since the epoch') })),
  next: Version.nullable().describe(
    `at most ${MAX_OPS_PER_PAGE} ops per response: the \`from\` of the next page, or null when this page reaches \`to\``,
  ),
});

export const VersionParams = z.object({ id: DocId, version: intFromString(Version) });

export const VersionContent = z.object({ version: Version, content: z.unknown() });

export const RestoreBody = z.object({ targetVersion: Version });

export const RestoreResult = z.object({ version: Version.describe('the new version that restored it') });

export const HistoryQuery = z.object({
  limit: intFromString(z.number().int().min(1).max(100)).default(20),
  before: intFromString(Version)
    .optional()
    .describe('the `next` of the previous page: entries that start below this version'),
  userId: UserId.optional().describe("only this user's entries"),
  since: z.iso.datetime({ offset: true }).optional().describe('only entries that end at or after this time'),
  until: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('only entries that start at or before this time'),
});

const Position = z.number().int().nonnegative();

export const HistoryItem = z.object({
  kind: z.enum(['created', 'edit', 'restore']),
  userId: UserId,
  fromVersion: Version.describe('the version of its first op (0: the creation)'),
  toVersion: Version.describe(
    'the version of its last op: GET /documents/{id}/versions/{toVersion} shows the content after it',
  ),
  startedAt: z.date(),
  endedAt: z.date(),
  ops: z.number().int().nonnegative().describe("the user's ops in it"),
  inserted: z.number().int().nonnegative().describe("in the type's unit: characters, or json1 values"),
  deleted: z.number().int().nonnegative(),
  formatted: z.number().int().nonnegative().describe('rich-text characters whose formatting changed'),
  span: z
    .object({ start: Position, end: Position })
    .nullable()
    .describe('text types: the positions its ops touched, each as the document was after that op'),
  paths: z
    .array(z.array(z.union([z.string(), z.number()])))
    .describe('json1: the first paths its ops changed'),
  restoredVersion: Version.nullable().describe('a restore: the version it brought back'),
  summary: z.string().describe('who, when, how much and where, in one sentence'),
});

export const HistoryPage = z.object({
  items: z.array(HistoryItem).describe('newest first'),
  next: Version.nullable().describe('pass as `before` for the next page; null on the last page'),
});

export const Permission = z.object({ userId: UserId, role: Role });

export const PermissionParams = z.object({ id: DocId, userId: UserId });

/** The owner is named at creation and cannot be granted or changed. */
export const GrantBody = z.object({ role: Role.exclude(['owner']) });

export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(256),
  limit: intFromString(z.number().int().min(1).max(50)).default(20),
});

export const SearchResult = z.object({
  hits: z.array(
    z.object({
      docId: DocId,
      title: z.string(),
      snippet: z.string().describe('HTML-escaped text around the match, matches wrapped in <mark>…</mark>'),
      score: z.number(),
    }),
  ),
});

export const SignInBody = z.object({ name: z.string().trim().min(1).max(100) });

export const SignInResult = z.object({ token: z.string(), userId: UserId, name: z.string() });

/** Error responses for a route's OpenAPI entry (and for encoding them). */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}
