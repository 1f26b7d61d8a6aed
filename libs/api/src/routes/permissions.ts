import { TandemError } from '@tandem/errors';
import type { Role } from '@tandem/protocol';
import { z } from 'zod';
import { authorize } from '../access.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { DocParams, errorResponses, GrantBody, Permission, PermissionParams } from '../schemas.js';
import { BEARER, type ZodApp } from './app.js';

const tags = ['sharing'];

/** Who may do what with a document. */
export function permissionRoutes(app: ZodApp, deps: ApiDeps): void {
  const { engine, metadata, fanOut } = deps;
  const now = deps.now ?? Date.now;

  /**
   * After the store has the new role: the event for the derived views (queued, so it
   * cannot fail), then open sockets re-check their access at once, so a revoked viewer
   * stops receiving ops now rather than at its next message.
   */
  async function changed(docId: string, userId: string, role: Role | null): Promise<void> {
    engine.emit([{ type: 'doc.permissions', docId, userId, role, at: now() }]);
    await fanOut.publish(docId, { kind: 'permissions' });
  }

  /** The owner's own role is fixed: a document always has exactly one owner. */
  function refuseOwner(ownerId: string, userId: string): void {
    if (ownerId === userId) {
      throw new TandemError('FORBIDDEN', "The owner's role cannot be changed", { details: { userId } });
    }
  }

  app.get(
    '/documents/:id/permissions',
    {
      schema: {
        tags,
        summary: 'Who has which role (any role may read this)',
        security: BEARER,
        params: DocParams,
        response: { 200: z.array(Permission), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'read');
      return metadata.permissions(doc.id);
    },
  );

  app.put(
    '/documents/:id/permissions/:userId',
    {
      schema: {
        tags,
        summary: 'Grant or change a role (owner only)',
        description: "`owner` cannot be granted, and the owner's own role cannot be changed.",
        security: BEARER,
        params: PermissionParams,
        body: GrantBody,
        response: { 200: Permission, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, caller.userId, 'own');
      const { userId } = request.params;
      const { role } = request.body;
      refuseOwner(doc.ownerId, userId);
      await metadata.setRole(doc.id, userId, role);
      await changed(doc.id, userId, role);
      return { userId, role };
    },
  );

  app.delete(
    '/documents/:id/permissions/:userId',
    {
      schema: {
        tags,
        summary: 'Revoke a role (owner only)',
        description: 'Idempotent: revoking a user who has no role is a 204 as well.',
        security: BEARER,
        params: PermissionParams,
        response: { 204: z.null().describe('Revoked'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, caller.userId, 'own');
      const { userId } = request.params;
      refuseOwner(doc.ownerId, userId);
      await metadata.setRole(doc.id, userId, null);
      await changed(doc.id, userId, null);
      return reply.status(204).send(null);
    },
  );
}
