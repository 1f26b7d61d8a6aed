/**
 * Upserts made in one turn of the event loop go to Elasticsearch as one _bulk request, and
 * each upsert settles with its own document's outcome.
 */
import { randomBytes } from 'node:crypto';
import { MAX_INDEXED_CHARS } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchClient, ElasticsearchSearchIndex } from '../src/index.js';
import { deleteIndex, elasticsearchNode, fakeElasticsearch, json, uniqueIndex } from './elasticsearch.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

/** An index whose client counts the _bulk requests it sends. */
function countingIndex(node: string, options: { index?: string; readable?: () => Promise<string[]> } = {}) {
  const client = createElasticsearchClient({ node, maxRetries: 0 });
  let bulkRequests = 0;
  client.diagnostic.on('request', (_err, event) => {
    if (event?.meta.request.params.path.endsWith('/_bulk')) bulkRequests += 1;
  });
  const index = new ElasticsearchSearchIndex(client, {
    readable: options.readable ?? (async () => []),
    replicas: 0,
    ...(options.index === undefined ? {} : { index: options.index }),
  });
  /** The _bulk requests sent while `fn` ran. */
  const bulkRequestsOf = async (fn: () => Promise<unknown>): Promise<number> => {
    const before = bulkRequests;
    await fn();
    return bulkRequests - before;
  };
  return { index, bulkRequestsOf };
}

const failureOf = (outcome: PromiseSettledResult<unknown> | undefined): unknown =>
  outcome?.status === 'rejected' ? outcome.reason : undefined;

describe('upserts made at once, on the real Elasticsearch', () => {
  const readable = new Set<string>();
  const name = uniqueIndex();
  const { index, bulkRequestsOf } = countingIndex(elasticsearchNode(), {
    index: name,
    readable: async () => [...readable],
  });
  beforeAll(() => index.ensureIndex(), 60_000);
  afterAll(async () => {
    await deleteIndex(name);
    await index.close();
  });

  const doc = (docId: string, title: string, content: string) => {
    readable.add(docId);
    return { docId, title, content };
  };
  /** The id and title of every document that matches `query`. */
  const found = async (query: string) =>
    (await index.search(query, { userId: 'u', limit: 10 })).map((hit) => [hit.docId, hit.title]);

  it('go as one _bulk request, and every document becomes searchable with its own title and content', async () => {
    const docs = Array.from({ length: 100 }, (_, i) =>
      doc(unique('doc'), `Note ${i}`, `the mark${i}x of note ${i}`),
    );
    const requests = await bulkRequestsOf(() => Promise.all(docs.map((d) => index.upsert(d))));
    expect(requests).toBe(1);
    await index.refresh();
    for (const [i, d] of docs.entries()) expect(await found(`mark${i}x`)).toEqual([[d.docId, `Note ${i}`]]);
  });

  it('go as several _bulk requests when their documents are large, every one indexed', async () => {
    const filler = ' lorem'.repeat(MAX_INDEXED_CHARS / 6);
    const docs = Array.from({ length: 8 }, (_, i) => doc(unique('doc'), `Long ${i}`, `big${i}x${filler}`));
    const requests = await bulkRequestsOf(() => Promise.all(docs.map((d) => index.upsert(d))));
    expect(requests).toBeGreaterThan(1);
    await index.refresh();
    for (const [i, d] of docs.entries()) expect(await found(`big${i}x`)).toEqual([[d.docId, `Long ${i}`]]);
  });

  it('leave the later of two upserts of one document indexed', async () => {
    const id = unique('doc');
    const requests = await bulkRequestsOf(() =>
      Promise.all([
        index.upsert(doc(id, 'Draft', 'the first aardvark')),
        index.upsert(doc(id, 'Final', 'the second bison')),
      ]),
    );
    expect(requests).toBe(2);
    await index.refresh();
    expect(await found('bison')).toEqual([[id, 'Final']]);
    expect(await found('aardvark')).toEqual([]);
  });

  it('fail only the upsert of a document Elasticsearch refuses, with INTERNAL', async () => {
    const [before, after] = [unique('doc'), unique('doc')];
    let outcomes: PromiseSettledResult<void>[] = [];
    const requests = await bulkRequestsOf(async () => {
      outcomes = await Promise.allSettled([
        index.upsert(doc(before, 'Before', 'a capybara')),
        // Elasticsearch refuses an empty id in the item, not the whole request.
        index.upsert(doc('', 'Empty id', 'a capybara')),
        index.upsert(doc(after, 'After', 'a capybara')),
      ]);
    });
    expect(requests).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = failureOf(outcomes[1]);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({
      code: 'INTERNAL',
      retryable: false,
      details: { index: name, status: 400, type: 'illegal_argument_exception' },
    });
    await index.refresh();
    expect((await found('capybara')).map(([id]) => id).sort()).toEqual([before, after].sort());
  });

  it('fail only the upsert of an id longer than 512 bytes, which Elasticsearch refuses with the whole request', async () => {
    const short = unique('doc');
    // 256 two-byte characters: 512 bytes, the longest id Elasticsearch takes.
    const longest = 'é'.repeat(256);
    const outcomes = await Promise.allSettled([
      index.upsert(doc(short, 'Short', 'a wombat')),
      index.upsert(doc(`${'x'.repeat(512)}y`, 'Too long', 'a wombat')),
      index.upsert(doc(longest, 'Longest', 'a wombat')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(failureOf(outcomes[1])).toMatchObject({ code: 'INTERNAL', retryable: false });
    await index.refresh();
    expect((await found('wombat')).map(([id]) => id).sort()).toEqual([short, longest].sort());
  });
});

describe("a _bulk request's answer", () => {
  it('fails an item turned away (429) with UNAVAILABLE, retryable, and a refused one with INTERNAL; the rest succeed', async () => {
    const bodies: string[] = [];
    const fake = await fakeElasticsearch((_req, res, body) => {
      bodies.push(body);
      const actions = body
        .trim()
        .split('\n')
        .filter((_, line) => line % 2 === 0)
        .map((line) => (JSON.parse(line) as { index: { _id: string } }).index._id);
      const items = actions.map((id) => {
        if (id.startsWith('busy')) {
          const error = { type: 'es_rejected_execution_exception', reason: 'write queue full' };
          return { index: { status: 429, error } };
        }
        if (id.startsWith('bad')) {
          return { index: { status: 400, error: { type: 'document_parsing_exception', reason: 'no' } } };
        }
        return { index: { status: 201 } };
      });
      json(res, 200, { errors: true, items });
    });
    const { index } = countingIndex(fake.url);
    try {
      const outcomes = await Promise.allSettled(
        ['ok-1', 'busy-1', 'bad-1', 'ok-2'].map((docId) => index.upsert({ docId, title: 't', content: 'c' })),
      );
      expect(bodies).toHaveLength(1);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(failureOf(outcomes[1])).toMatchObject({
        code: 'UNAVAILABLE',
        retryable: true,
        details: { status: 429, type: 'es_rejected_execution_exception' },
      });
      expect(failureOf(outcomes[2])).toMatchObject({
        code: 'INTERNAL',
        details: { status: 400, type: 'document_parsing_exception' },
      });
    } finally {
      await index.close();
      await fake.close();
    }
  });

  it('fails every upsert of the request when the request fails as a whole', async () => {
    const fake = await fakeElasticsearch((_req, res) =>
      json(res, 503, { error: { type: 'unavailable_shards_exception', reason: 'no' }, status: 503 }),
    );
    const { index, bulkRequestsOf } = countingIndex(fake.url);
    try {
      let outcomes: PromiseSettledResult<void>[] = [];
      const requests = await bulkRequestsOf(async () => {
        outcomes = await Promise.allSettled(
          ['doc-1', 'doc-2', 'doc-3'].map((docId) => index.upsert({ docId, title: 't', content: 'c' })),
        );
      });
      expect(requests).toBe(1);
      for (const outcome of outcomes) {
        expect(failureOf(outcome)).toMatchObject({
          code: 'UNAVAILABLE',
          retryable: true,
          details: { status: 503 },
        });
      }
    } finally {
      await index.close();
      await fake.close();
    }
  });
});
