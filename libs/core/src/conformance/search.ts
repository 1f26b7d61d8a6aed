import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../ports/metadata.js';
import type { SearchHit, SearchIndex } from '../ports/search.js';
import { suiteFixture } from './suite-fixture.js';

/**
 * What a search adapter's test gives the suite. Search filters by permissions, so the
 * suite also needs the metadata store whose documents and roles the index consults: the
 * suite creates documents and grants roles there, and indexes their text in `index`.
 */
export interface SearchIndexFixture {
  index: SearchIndex;
  metadata: MetadataStore;
  /**
   * Makes every write so far visible to search, for stores that index asynchronously
   * (Elasticsearch's refresh). Omit it when a write is searchable once it resolves.
   */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The behaviours every SearchIndex adapter must have. `factory` is called once for the
 * whole suite; each test uses users of its own, and searches only as them, so it sees only
 * its own documents however many other tests indexed.
 */
export function searchIndexConformance(name: string, factory: () => Promise<SearchIndexFixture>): void {
  describe(`SearchIndex conformance: ${name}`, () => {
    const fixture = suiteFixture('search', factory);
    const current = (): SearchIndexFixture => fixture();

    /** Creates a document owned by `owner` and indexes it. */
    const add = async (owner: string, title: string, content: string): Promise<string> => {
      const id = uniqueId('doc');
      await current().metadata.create({ id, title, type: 'text', ownerId: owner });
      await current().index.upsert({ docId: id, title, content });
      return id;
    };
    const search = async (query: string, userId: string, limit = 10): Promise<SearchHit[]> => {
      await current().settle?.();
      return current().index.search(query, { userId, limit });
    };
    const ids = (hits: SearchHit[]) => hits.map((hit) => hit.docId);

    it('finds a document by a word of its content, with its id, title and a positive score', async () => {
      const owner = uniqueId('user');
      const id = await add(owner, 'Groceries', 'milk, eggs and a pineapple for the weekend');
      const other = await add(owner, 'Chores', 'laundry and dishes');
      const hits = await search('pineapple', owner);
      expect(ids(hits)).toEqual([id]);
      expect(hits[0]?.title).toBe('Groceries');
      expect(hits[0]?.score).toBeGreaterThan(0);
      expect(ids(await search('laundry', owner))).toEqual([other]);
    });

    it('indexes documents upserted together, and replaces a document upserted again', async () => {
      const owner = uniqueId('user');
      const [a, b] = [uniqueId('doc'), uniqueId('doc')];
      for (const id of [a, b])
        await current().metadata.create({ id, title: 'Notes', type: 'text', ownerId: owner });
      await Promise.all([
        current().index.upsert({ docId: a, title: 'Notes', content: 'walrus' }),
        current().index.upsert({ docId: b, title: 'Notes', content: 'narwhal' }),
      ]);
      expect(ids(await search('walrus', owner))).toEqual([a]);
      expect(ids(await search('narwhal', owner))).toEqual([b]);
      await current().index.upsert({ docId: a, title: 'Notes', content: 'penguin' });
      expect(ids(await search('penguin', owner))).toEqual([a]);
      expect(await search('walrus', owner)).toEqual([]);
    });

    it('finds a document by a word of its title', async () => {
      const owner = uniqueId('user');
      const id = await add(owner, 'Quarterly roadmap', 'nothing to see here');
      expect(ids(await search('roadmap', owner))).toEqual([id]);
    });

    it('matches regardless of case and finds words in any script', async () => {
      const owner = uniqueId('user');
      const id = await add(owner, 'Notes', 'Rendez-vous au Café, puis Привет мир and ΕΛΛΗΝΙΚΑ');
      expect(ids(await search('café', owner))).toEqual([id]);
      expect(ids(await search('CAFÉ', owner))).toEqual([id]);
      expect(ids(await search('привет', owner))).toEqual([id]);
      expect(ids(await search('ελληνικα', owner))).toEqual([id]);
    });

    it('requires every word of a query of several words', async () => {
      const owner = uniqueId('user');
      const both = await add(owner, 'A', 'the red kite flew over the hill');
      await add(owner, 'B', 'a red car');
      await add(owner, 'C', 'a paper kite');
      expect(ids(await search('red kite', owner))).toEqual([both]);
    });

    it('ranks a document that mentions the words more often higher', async () => {
      const owner = uniqueId('user');
      const once = await add(owner, 'One', 'a note that mentions zeppelin once among many other words here');
      const often = await add(owner, 'Two', 'zeppelin zeppelin zeppelin: all about the zeppelin');
      expect(ids(await search('zeppelin', owner))).toEqual([often, once]);
    });

    it('ranks a match in the title above a match only in the content', async () => {
      const owner = uniqueId('user');
      const inContent = await add(owner, 'Misc', 'something about a marmalade recipe');
      const inTitle = await add(owner, 'Marmalade', 'oranges, sugar, patience');
      expect(ids(await search('marmalade', owner))).toEqual([inTitle, inContent]);
    });

    it('returns at most limit hits, the best ones', async () => {
      const owner = uniqueId('user');
      const best = await add(owner, 'Walrus', 'walrus walrus walrus');
      for (let i = 0; i < 4; i += 1) await add(owner, `note ${i}`, `a walrus appears in note ${i}`);
      const hits = await search('walrus', owner, 2);
      expect(hits).toHaveLength(2);
      expect(hits[0]?.docId).toBe(best);
      expect(await search('walrus', owner, 10)).toHaveLength(5);
    });

    it('wraps the matches of the snippet in <mark>', async () => {
      const owner = uniqueId('user');
      await add(owner, 'Story', 'Once upon a time a Dragon guarded the gold. The dragon slept.');
      const [hit] = await search('dragon', owner);
      expect(hit?.snippet).toMatch(/<mark>dragon<\/mark>/i);
      expect(hit?.snippet).toContain('guarded');
      expect(hit?.snippet).not.toMatch(/<mark>(?!dragon<\/mark>)/i);
    });

    it('escapes the HTML of the document text in the snippet, so only the marks are markup', async () => {
      const owner = uniqueId('user');
      await add(
        owner,
        'Unsafe',
        'when a < b && c > d, the zucchini <3 is "<i>ok</i>" & <img src=x onerror=alert(1)>',
      );
      const [hit] = await search('zucchini', owner);
      expect(hit?.snippet).toContain('<mark>zucchini</mark>');
      const text = hit?.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '') ?? '';
      expect(text).not.toMatch(/[<>]/);
      // Every & starts an entity: the text is HTML-escaped, not merely stripped of tags.
      expect(text).not.toMatch(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-f]+);)/i);
      expect(text).toMatch(/&lt;|&#0*60;|&#x0*3c;/i);
    });

    it('finds nothing for a query without words', async () => {
      const owner = uniqueId('user');
      await add(owner, 'Doc', 'some words');
      expect(await search('', owner)).toEqual([]);
      expect(await search('   ', owner)).toEqual([]);
      expect(await search('!!! ---', owner)).toEqual([]);
    });

    it('shows a document only to users with a role on it', async () => {
      const owner = uniqueId('user');
      const viewer = uniqueId('user');
      const stranger = uniqueId('user');
      const id = await add(owner, 'Secret plans', 'the launch date is a secret');
      await current().metadata.setRole(id, viewer, 'viewer');
      expect(ids(await search('secret', owner))).toEqual([id]);
      expect(ids(await search('secret', viewer))).toEqual([id]);
      expect(await search('secret', stranger)).toEqual([]);
    });

    it('stops showing a document once the role is revoked', async () => {
      const owner = uniqueId('user');
      const editor = uniqueId('user');
      const id = await add(owner, 'Shared', 'a shared mango document');
      await current().metadata.setRole(id, editor, 'editor');
      expect(ids(await search('mango', editor))).toEqual([id]);
      await current().metadata.setRole(id, editor, null);
      expect(await search('mango', editor)).toEqual([]);
      expect(ids(await search('mango', owner))).toEqual([id]);
    });

    it('shows no document that was removed from the metadata store, even while still indexed', async () => {
      const owner = uniqueId('user');
      const kept = await add(owner, 'Kept', 'papaya salad');
      const removed = await add(owner, 'Removed', 'papaya smoothie');
      await current().metadata.remove(removed);
      expect(ids(await search('papaya', owner))).toEqual([kept]);
    });

    it('shows no document removed from the index', async () => {
      const owner = uniqueId('user');
      const id = await add(owner, 'Gone', 'a kumquat');
      await current().index.remove(id);
      expect(await search('kumquat', owner)).toEqual([]);
      await current().index.remove(uniqueId('doc'));
    });

    it('replaces the indexed text on upsert', async () => {
      const owner = uniqueId('user');
      const id = await add(owner, 'Draft', 'first version about lychee');
      await current().index.upsert({ docId: id, title: 'Final', content: 'second version about durian' });
      expect(await search('lychee', owner)).toEqual([]);
      const hits = await search('durian', owner);
      expect(ids(hits)).toEqual([id]);
      expect(hits[0]?.title).toBe('Final');
    });
  });
}

let counter = 0;

function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
