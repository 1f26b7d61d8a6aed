import { describeHistoryEntry } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { authorize } from '../access.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import {
  DocParams,
  errorResponses,
  HistoryPage,
  HistoryQuery,
  MAX_OPS_PER_PAGE,
  OpsPage,
  OpsQuery,
  RestoreBody,
  RestoreResult,
  VersionContent,
  VersionParams,
} from '../schemas.js';
import { BEARER, type ZodApp } from './app.js';

const tags = ['history'];

/** The timeline, the op log, past versions, and restoring one. */
export function historyRoutes(app: ZodApp, deps: ApiDeps): void {
  const { engine, metadata, history } = deps;

  app.get(
    '/documents/:id/history',
    {
      schema: {
        tags,
        summary: 'The timeline: creation, editing sessions and restores',
        description:
          "Newest first. An editing session is one user's ops with less than 5 minutes between them; each entry says who, when, how much and where, and its `toVersion` names the content after it (GET /documents/{id}/versions/{version}). The timeline is written from the document events, so the newest ops may take a moment to appear.",
        security: BEARER,
        params: DocParams,
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'read');
      const { limit, before, userId: author, since, until } = request.query;
      const page = await history.list(doc.id, {
        limit,
        ...(before === undefined ? {} : { before }),
        ...(author === undefined ? {} : { userId: author }),
        ...(since === undefined ? {} : { since: Date.parse(since) }),
        ...(until === undefined ? {} : { until: Date.parse(until) }),
      });
      return {
        items: page.items.map((entry) => ({
          ...entry,
          startedAt: new Date(entry.startedAt),
          endedAt: new Date(entry.endedAt),
          summary: describeHistoryEntry(entry, doc.type),
        })),
        next: page.next,
      };
    },
  );

  app.get(
    '/documents/:id/ops',
    {
      schema: {
        tags,
        summary: 'Committed ops in a version range',
        description: `Versions \`from\`..\`to\` inclusive, at most ${MAX_OPS_PER_PAGE} per response; \`next\` is the \`from\` of the next page. \`to\` above the current version is 409 VERSION_FUTURE, as is a \`from\` more than one past it.`,
        security: BEARER,
        params: DocParams,
        querystring: OpsQuery,
        response: { 200: OpsPage, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'read');
      const { from, to } = request.query;
      if (to !== undefined && to < from) {
        throw new TandemError('BAD_MESSAGE', `Bad querystring: to: must be at least from (${from})`, {
          details: { in: 'querystring', field: 'to' },
        });
      }
      const { version: latest } = await engine.open(doc.id);
      const last = to ?? latest;
      // A `from` just past the latest version is the normal "anything new?" poll (empty
      // answer); beyond that, the caller claims versions the document never had.
      if (last > latest || from > latest + 1) {
        throw new TandemError('VERSION_FUTURE', `Document ${doc.id} is at version ${latest}`, {
          details: { version: latest },
        });
      }
      const end = Math.min(last, from - 1 + MAX_OPS_PER_PAGE);
      const ops = await engine.opsSince(doc.id, from - 1, end);
      return { ops, next: end < last ? end + 1 : null };
    },
  );

  app.get(
    '/documents/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'The content of a past version',
        security: BEARER,
        params: VersionParams,
        response: { 200: VersionContent, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'read');
      const { version } = request.params;
      return { version, content: await engine.contentAt(doc.id, version) };
    },
  );

  app.post(
    '/documents/:id/restore',
    {
      schema: {
        tags,
        summary: 'Restore a past version (owner or editor)',
        description:
          'Commits one new op that turns the current content into that of `targetVersion`, so open editors see it at once and history keeps everything; a restore can itself be restored away.',
        security: BEARER,
        params: DocParams,
        body: RestoreBody,
        response: { 200: RestoreResult, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { doc } = await authorize(metadata, request.params.id, userId, 'edit');
      const { version } = await engine.restore(doc.id, request.body.targetVersion, userId);
      return { version };
    },
  );
}
