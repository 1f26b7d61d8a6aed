/**
 * The Elasticsearch search index beyond the port's conformance suite: ranking, snippets,
 * permissions at query time, diacritic folding, odd queries, index creation, and outages.
 * The folding property test prints its seed; replay one with
 *   FOLD_SEED=<seed> npx vitest run libs/adapters-elasticsearch/test/search-index.test.ts
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { SearchHit } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { Random, seedFromEnv } from '@tandem/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createElasticsearchClient,
  ElasticsearchSearchIndex,
  foldDiacritics,
  openElasticsearchSearchIndex,
} from '../src/index.js';
import {
  deleteIndex,
  elasticsearchNode,
  fakeElasticsearch,
  json,
  openSearchFixture,
  type SearchFixture,
  uniqueIndex,
} from './elasticsearch.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const ids = (hits: SearchHit[]) => hits.map((hit) => hit.docId);

describe('ElasticsearchSearchIndex on the real Elasticsearch', () => {
  let fixture: SearchFixture;
  beforeAll(async () => {
    fixture = await openSearchFixture();
  }, 60_000);
  afterAll(() => fixture?.close());

  /** Creates a document owned by `owner`, indexes it and makes it searchable. */
  async function add(owner: string, title: string, content: string): Promise<string> {
    const id = unique('doc');
    await fixture.metadata.create({ id, title, type: 'text', ownerId: owner });
    await fixture.index.upsert({ docId: id, title, content });
    await fixture.index.refresh();
    return id;
  }
  const search = (query: string, userId: string, limit = 10) =>
    fixture.index.search(query, { userId, limit });

  describe('ranking', () => {
    it('puts title and content matches first, then a title match, then more matches above fewer', async () => {
      const owner = unique('user');
      const once = await add(owner, 'Misc', 'one otter among a long list of other animals seen by the river');
      const thrice = await add(owner, 'Sightings', 'otter, otter and another otter by the river');
      const title = await add(owner, 'Otter habitats', 'rivers, lakes and coasts');
      const both = await add(owner, 'Otter', 'an otter family by the holt');
      const hits = await search('otter', owner);
      expect(ids(hits)).toEqual([both, title, thrice, once]);
      const scores = hits.map((hit) => hit.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(new Set(scores).size).toBe(4);
    });

    it('ranks a document with every word of the query in the title above one with them in the content', async () => {
      const owner = unique('user');
      const inContent = await add(owner, 'Recipe', 'a lemon tart with a crisp crust');
      const inTitle = await add(owner, 'Lemon tart', 'butter, sugar, eggs');
      expect(ids(await search('lemon tart', owner))).toEqual([inTitle, inContent]);
    });
  });

  describe('snippets', () => {
    it('escapes the document text and marks only the matches', async () => {
      const owner = unique('user');
      await add(owner, 'Markup', 'Tip: use <b>bold</b> & "quotes" for the walrus tusk.');
      const [hit] = await search('walrus', owner);
      expect(hit?.snippet).toBe(
        'Tip: use &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; for the <mark>walrus</mark> tusk.',
      );
    });

    it('marks the first and the last word of the text', async () => {
      const owner = unique('user');
      await add(owner, 'Ends', 'Ferret first, then words, then a ferret');
      const [hit] = await search('ferret', owner);
      expect(hit?.snippet).toBe('<mark>Ferret</mark> first, then words, then a <mark>ferret</mark>');
    });

    it('cannot be given marks by the document: the marker characters are replaced when indexed', async () => {
      const owner = unique('user');
      await add(owner, 'Forged', 'a \uFDD0fake\uFDD1 mark beside a real stoat');
      const [hit] = await search('stoat', owner);
      expect(hit?.snippet).toBe('a  fake  mark beside a real <mark>stoat</mark>');
    });

    it('marks an accented word found by its bare spelling in the original text', async () => {
      const owner = unique('user');
      await add(owner, 'Paris', 'Rendez-vous au Café de Flore, puis déjà au CAFÉ suivant.');
      const [hit] = await search('cafe deja', owner);
      expect(hit?.snippet).toBe(
        'Rendez-vous au <mark>Café</mark> de Flore, puis <mark>déjà</mark> au <mark>CAFÉ</mark> suivant.',
      );
    });

    it('shows fragments around the matches of a long document, not the whole text', async () => {
      const owner = unique('user');
      const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
      await add(
        owner,
        'Long',
        `${filler(3000)}. The narwhal swam. ${filler(3000)}. A narwhal again. ${filler(50)}.`,
      );
      const [hit] = await search('narwhal', owner);
      const fragments = hit?.snippet.split(' ... ') ?? [];
      expect(fragments).toHaveLength(2);
      for (const fragment of fragments) {
        expect(fragment).toContain('<mark>narwhal</mark>');
        expect(fragment.length).toBeLessThan(400);
      }
    });

    it('shows the start of the content, escaped, when only the title matches', async () => {
      const owner = unique('user');
      await add(owner, 'Hedgehog care', 'Feed <them> at dusk. Give water. Never milk.');
      const [hit] = await search('hedgehog', owner);
      expect(hit?.snippet).toBe('Feed &lt;them&gt; at dusk. Give water. Never milk.');
    });
  });

  describe('permissions, read when the search runs', () => {
    it('reflects a grant, a revocation and a deletion in the very next search, with no re-indexing', async () => {
      const owner = unique('user');
      const colleague = unique('user');
      const id = await add(owner, 'Plans', 'the quokka project');
      expect(await search('quokka', colleague)).toEqual([]);

      await fixture.metadata.setRole(id, colleague, 'viewer');
      expect(ids(await search('quokka', colleague))).toEqual([id]);

      await fixture.metadata.setRole(id, colleague, null);
      expect(await search('quokka', colleague)).toEqual([]);
      expect(ids(await search('quokka', owner))).toEqual([id]);

      await fixture.metadata.remove(id);
      expect(await search('quokka', owner)).toEqual([]);
    });

    it('filters by every readable id however many there are', async () => {
      const owner = unique('user');
      const id = await add(owner, 'Needle', 'a pangolin in a haystack');
      const many = Array.from({ length: 70_000 }, (_, i) => `other-${i}`);
      const index = new ElasticsearchSearchIndex(createElasticsearchClient({ node: elasticsearchNode() }), {
        index: fixture.index.index,
        readable: async () => [...many, id],
      });
      try {
        expect(ids(await index.search('pangolin', { userId: owner, limit: 10 }))).toEqual([id]);
      } finally {
        await index.close();
      }
    });
  });

  describe('folding', () => {
    it('finds words whatever their case and diacritics, in any script', async () => {
      const owner = unique('user');
      const french = await add(owner, 'Café', 'Un crème brûlée au café');
      const plain = await add(owner, 'Cafe', 'a plain cafe');
      const decomposed = await add(owner, 'NFD', 'written on a Mac: Cafe\u0301 Mu\u0308ller');
      const greek = await add(owner, 'Ελληνικά', 'καλημέρα κόσμε');
      const names = await add(owner, 'Names', 'Ångström and Müller and Dvořák');
      const cyrillic = await add(owner, 'Привет', 'Ёлка и ёжик');

      const sorted = (hits: SearchHit[]) => ids(hits).sort();
      const cafes = [french, plain, decomposed].sort();
      expect(sorted(await search('cafe', owner))).toEqual(cafes);
      expect(sorted(await search('CAFÉ', owner))).toEqual(cafes);
      expect(sorted(await search('cafe\u0301', owner))).toEqual(cafes);
      expect(ids(await search('creme brulee', owner))).toEqual([french]);
      expect(sorted(await search('muller', owner))).toEqual([decomposed, names].sort());
      expect(ids(await search('ΚΑΛΗΜΕΡΑ', owner))).toEqual([greek]);
      expect(ids(await search('ελληνικα', owner))).toEqual([greek]);
      expect(ids(await search('angstrom dvorak', owner))).toEqual([names]);
      expect(ids(await search('елка ежик', owner))).toEqual([cyrillic]);
    });

    it('highlights a decomposed document in its composed form', async () => {
      const owner = unique('user');
      await add(owner, 'NFD', 'un cafe\u0301 noir');
      const [hit] = await search('café', owner);
      expect(hit?.snippet).toBe('un <mark>café</mark> noir');
    });

    it('keeps the length of every string, so highlight offsets line up (randomized)', () => {
      const seed = seedFromEnv('FOLD_SEED', Math.floor(Math.random() * 2 ** 31));
      console.log(`folding seed: ${seed}`);
      const rng = new Random(seed);
      // Latin with diacritics, Greek, Cyrillic, combining marks, CJK, Hangul syllables, astral.
      const ranges: [number, number][] = [
        [0x20, 0x7e],
        [0xc0, 0x24f],
        [0x300, 0x36f],
        [0x370, 0x3ff],
        [0x400, 0x4ff],
        [0x1e00, 0x1eff],
        [0x4e00, 0x4fff],
        [0xac00, 0xd7a3],
        [0x1f300, 0x1f64f],
        [0x1d400, 0x1d4ff],
      ];
      for (let run = 0; run < 500; run += 1) {
        const chars = Array.from({ length: rng.range(0, 40) }, () => {
          const [from, to] = rng.pick(ranges);
          return String.fromCodePoint(rng.range(from, to));
        });
        const text = chars.join('');
        const folded = foldDiacritics(text);
        expect(folded.length, JSON.stringify(text)).toBe(text.length);
        expect(foldDiacritics(folded)).toBe(folded);
      }
      expect(foldDiacritics('Crème Brûlée, Ἀθῆναι, Ёж, Łódź')).toBe('Creme Brulee, Αθηναι, Еж, Łodz');
    });
  });

  describe('queries', () => {
    it('answers any input without an error', async () => {
      const owner = unique('user');
      const id = await add(owner, 'Syntax', 'the quick brown fox (and friends)');
      const odd = [
        '"unbalanced quote fox',
        'fox AND (',
        'fox)',
        'title:fox',
        'fox~2',
        'fo*',
        'fox^3',
        '+fox -',
        '\\',
        '/fox/',
        'fox || brown',
        '<script>fox</script>',
        `fox ${'('.repeat(500)}`,
        'x'.repeat(5_000),
      ];
      for (const query of odd) {
        await expect(search(query, owner), query).resolves.toBeInstanceOf(Array);
      }
      expect(ids(await search('"brown fox"', owner))).toEqual([id]);
      expect(await search('"fox brown"', owner)).toEqual([]);
      expect(await search('fox -brown', owner)).toEqual([]);
      expect(ids(await search('fox | zebra', owner))).toEqual([id]);
    });
  });
});

describe('opening the index', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('creates a missing index once, also when two services start at once, and reuses it', async () => {
    const index = uniqueIndex();
    cleanups.push(() => deleteIndex(index));
    const options = { node: elasticsearchNode(), index, replicas: 0, readable: async () => ['doc-1'] };
    const [a, b] = await Promise.all([
      openElasticsearchSearchIndex(options),
      openElasticsearchSearchIndex(options),
    ]);
    await a.upsert({ docId: 'doc-1', title: 'Shared', content: 'an axolotl' });
    await a.refresh();
    const again = await openElasticsearchSearchIndex(options);
    for (const store of [b, again]) {
      expect(ids(await store.search('axolotl', { userId: 'u', limit: 5 }))).toEqual(['doc-1']);
    }
    for (const store of [a, b, again]) await store.close();
  });

  it('refuses an existing index it did not make', async () => {
    const index = uniqueIndex();
    cleanups.push(() => deleteIndex(index));
    const admin = createElasticsearchClient({ node: elasticsearchNode() });
    await admin.indices.create({ index, settings: { number_of_replicas: 0 } });
    await admin.close();
    const err = await openElasticsearchSearchIndex({
      node: elasticsearchNode(),
      index,
      readable: async () => [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', details: { index, schema: undefined } });
  });

  it('refuses a server older than 8.15 or of another major', async () => {
    for (const version of ['8.14.3', '7.17.24', '9.0.0']) {
      const fake = await fakeElasticsearch((_, res) => json(res, 200, { nodes: { n1: { version } } }));
      try {
        const err = await openElasticsearchSearchIndex({ node: fake.url, readable: async () => [] }).catch(
          (e: unknown) => e,
        );
        expect(err, version).toMatchObject({ code: 'CONFIG_INVALID', details: { versions: [version] } });
      } finally {
        await fake.close();
      }
    }
  });
});

describe('ElasticsearchSearchIndex when Elasticsearch is away', () => {
  const expectUnavailable = async (promise: Promise<unknown>) => {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  };

  it('fails to open with UNAVAILABLE, retryable, when no node listens', async () => {
    const node = `http://127.0.0.1:${await closedPort()}`;
    await expectUnavailable(openElasticsearchSearchIndex({ node, readable: async () => [] }));
  });

  it('fails every call with UNAVAILABLE when no node listens', async () => {
    const node = `http://127.0.0.1:${await closedPort()}`;
    const index = new ElasticsearchSearchIndex(createElasticsearchClient({ node }), {
      readable: async () => ['doc-1'],
    });
    try {
      await expectUnavailable(index.upsert({ docId: 'doc-1', title: 't', content: 'c' }));
      await expectUnavailable(index.remove('doc-1'));
      await expectUnavailable(index.search('words', { userId: 'u', limit: 10 }));
    } finally {
      await index.close();
    }
  });

  it('gives up on a node that accepts and never answers after the request timeout', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const index = new ElasticsearchSearchIndex(
      createElasticsearchClient({ node: `http://127.0.0.1:${port}`, requestTimeoutMs: 300, maxRetries: 1 }),
      { readable: async () => ['doc-1'] },
    );
    try {
      const started = performance.now();
      await expectUnavailable(index.search('words', { userId: 'u', limit: 10 }));
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await index.close();
      silent.close();
    }
  });

  it('reports a failing or overloaded cluster (5xx, 429) as UNAVAILABLE and a refused request as INTERNAL', async () => {
    for (const [status, code] of [
      [503, 'UNAVAILABLE'],
      [429, 'UNAVAILABLE'],
      [400, 'INTERNAL'],
    ] as const) {
      const fake = await fakeElasticsearch((_, res) =>
        json(res, status, { error: { type: 'some_exception', reason: 'no' }, status }),
      );
      const index = new ElasticsearchSearchIndex(
        createElasticsearchClient({ node: fake.url, maxRetries: 0 }),
        {
          readable: async () => ['doc-1'],
        },
      );
      try {
        const err = await index.search('words', { userId: 'u', limit: 10 }).catch((e: unknown) => e);
        expect(err, String(status)).toMatchObject({ code, details: { status, type: 'some_exception' } });
      } finally {
        await index.close();
        await fake.close();
      }
    }
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
