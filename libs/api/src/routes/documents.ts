import { randomBytes } from 'node:crypto';
import type { DocumentMeta } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { getDocType } from '@tandem/ot';
import type { Role } from '@tandem/protocol';
import { authorize } from '../access.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import {
  CreateDocumentBody,
  CreatedDocument,
  DocParams,
  DocumentDeleted,
  DocumentPage,
  DocumentSummary,
  DocumentWithContent,
  errorResponses,
  ListQuery,
  RenameBody,
} from '../schemas.js';
import { BEARER, type ZodApp } from './app.js';

const tags = ['documents'];

/** 128 random bits as base64url (22 characters): unguessable, and a valid DocId. */
export function newDocId(): string {
  return randomBytes(16).toString('base64url');
}

function summary(doc: DocumentMeta, role: Role) {
  return {
    id: doc.id,
    title: doc.title,
    type: doc.type,
    role,
    ownerId: doc.ownerId,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Create, list, read, rename and delete documents. */
export function documentRoutes(app: ZodApp, deps: ApiDeps): void {
  const { engine, metadata } = deps;
  const now = deps.now ?? Date.now;

  app.post(
    '/documents',
    {
      schema: {
        tags,
        summary: 'Create a document',
        description: 'The caller becomes its owner. The new document is at version 0.',
        security: BEARER,
        body: CreateDocumentBody,
        response: { 201: CreatedDocument, ...errorResponses(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const { userId } = callerOf(request);
      const { title, type, content } = request.body;
      const id = request.body.id ?? newDocId();
      // The content is checked before anything is stored (SNAPSHOT_INVALID leaves nothing
      // behind), the id is claimed by the metadata row (a taken id stores nothing), and
      // only then is version 0 written; if that write fails the row is removed again.
      getDocType(type).create(content);
      const doc = await metadata.create({ id, title, type, ownerId: userId });
      try {
        await engine.initDocument(id, type, content);
      } catch (err) {
        await metadata.remove(id).catch(() => {});
        throw err;
      }
      engine.emit([{ type: 'doc.created', docId: id, docType: type, title, ownerId: userId, at: now() }]);
      return reply.status(201).send({ ...summary(doc, 'owner'), version: 0 });
    },
  );

  app.get(
    '/documents',
    {
      schema: {
        tags,
        summary: 'List the documents the caller has a role on',
        description: 'Most recently updated first, `limit` per page; follow `next` for more.',
        security: BEARER,
        querystring: ListQuery,
        response: { 200: DocumentPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { limit, after } = request.query;
      const page = await metadata.list(userId, { limit, ...(after === undefined ? {} : { after }) });
      return { items: page.items.map((item) => summary(item, item.role)), next: page.next };
    },
  );

  app.get(
    '/documents/:id',
    {
      schema: {
        tags,
        summary: 'Read a document: its metadata, current version and content',
        security: BEARER,
        params: DocParams,
        response: { 200: DocumentWithContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { role, doc } = await authorize(metadata, request.params.id, userId, 'read');
      const open = await engine.open(doc.id);
      return { ...summary(doc, role), version: open.version, content: open.snapshot };
    },
  );

  app.patch(
    '/documents/:id',
    {
      schema: {
        tags,
        summary: 'Rename a document (owner or editor)',
        security: BEARER,
        params: DocParams,
        body: RenameBody,
        response: { 200: DocumentSummary, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { role, doc } = await authorize(metadata, request.params.id, userId, 'edit');
      const { title } = request.body;
      const renamed = await metadata.rename(doc.id, title);
      // Null: deleted between the check and the write.
      if (!renamed)
        throw new TandemError('DOC_NOT_FOUND', `No document ${doc.id}`, { details: { docId: doc.id } });
      engine.emit([{ type: 'doc.renamed', docId: doc.id, title, at: now() }]);
      return summary(renamed, role);
    },
  );

  app.delete(
    '/documents/:id',
    {
      schema: {
        tags,
        summary: 'Delete a document (owner only)',
        description:
          'It disappears from every list and search at once; open editors are told it was deleted.',
        security: BEARER,
        params: DocParams,
        response: { 204: DocumentDeleted, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'own');
      // Metadata first: from here on nobody can open it, so forget() cannot be undone by
      // a join racing the delete. The event next, because emit() only queues it and
      // cannot fail, so a broadcast failing in forget() does not lose it.
      await metadata.remove(doc.id);
      engine.emit([{ type: 'doc.deleted', docId: doc.id, at: now() }]);
      await engine.forget(doc.id);
      return reply.status(204).send(null);
    },
  );
}
