import type { DocumentMeta, MetadataStore } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { Role } from '@tandem/protocol';

/** What a request needs to do with a document. */
export type Need = 'read' | 'edit' | 'own';

const ALLOWED: Record<Need, ReadonlySet<Role>> = {
  read: new Set(['owner', 'editor', 'commenter', 'viewer']),
  edit: new Set(['owner', 'editor']),
  own: new Set(['owner']),
};

const VERB: Record<Need, string> = { read: 'read', edit: 'edit', own: 'manage' };

/**
 * The caller's role on a document, if it allows `need`, with the document. As on the
 * WebSocket (libs/gateway session.ts roleOf): a document the caller has no role on is
 * FORBIDDEN when it exists and DOC_NOT_FOUND when it does not. Telling the two apart
 * reveals only that an id is taken; ids are random and unguessable, and a client that
 * was just revoked needs to know the document still exists.
 */
export async function authorize(
  metadata: Pick<MetadataStore, 'get' | 'roleOf'>,
  docId: string,
  userId: string,
  need: Need,
): Promise<{ role: Role; doc: DocumentMeta }> {
  const [role, doc] = await Promise.all([metadata.roleOf(docId, userId), metadata.get(docId)]);
  if (!doc) throw new TandemError('DOC_NOT_FOUND', `No document ${docId}`, { details: { docId } });
  if (!role) throw new TandemError('FORBIDDEN', `No access to document ${docId}`, { details: { docId } });
  if (!ALLOWED[need].has(role)) {
    throw new TandemError('FORBIDDEN', `A ${role} cannot ${VERB[need]} document ${docId}`, {
      details: { docId, role },
    });
  }
  return { role, doc };
}
