import { type ErrorCode, isTandemError } from '@tandem/errors';
import type { DocTypeName } from '@tandem/ot';
import { describe, expect, it } from 'vitest';
import type { DocumentMeta, MetadataStore } from '../ports/metadata.js';
import { suiteFixture } from './suite-fixture.js';

/** What a metadata store adapter's test gives the suite: a ready store, and how to release it. */
export interface MetadataStoreFixture {
  store: MetadataStore;
  close(): Promise<void>;
}

/**
 * The behaviours every MetadataStore adapter must have. `factory` is called once for the
 * whole suite; each test works on documents and users of its own, so lists only ever show
 * what that test created.
 */
export function metadataStoreConformance(name: string, factory: () => Promise<MetadataStoreFixture>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    const fixture = suiteFixture('metadata store', factory);
    const store = (): MetadataStore => fixture().store;
    const create = (ownerId: string, fields: { title?: string; type?: DocTypeName } = {}) =>
      store().create({ id: uniqueId('doc'), title: 'Untitled', type: 'text', ownerId, ...fields });

    describe('search marks', () => {
      /** Every stale id, read one per page so that paging is exercised too. */
      async function allStale(): Promise<string[]> {
        const ids: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store().searchStale({ limit: 2, ...(after === undefined ? {} : { after }) });
          ids.push(...page.items);
          if (page.next === null) return ids;
          after = page.next;
        }
      }

      it('lists the live documents marked stale, in id order, until the mark is cleared', async () => {
        const owner = uniqueId('user');
        const [a, b, c, gone] = [
          await create(owner),
          await create(owner),
          await create(owner),
          await create(owner),
        ];
        for (const doc of [a, c, gone]) await store().setSearchStale(doc.id, true);
        await store().setSearchStale(a.id, true);
        await store().remove(gone.id);
        const mine = (ids: string[]) => ids.filter((id) => [a.id, b.id, c.id, gone.id].includes(id));
        expect(mine(await allStale())).toEqual([a.id, c.id].sort());
        await store().setSearchStale(a.id, false);
        expect(mine(await allStale())).toEqual([c.id]);
        await store().setSearchStale(uniqueId('missing'), true);
      });

      it('applies marks set together, and two of one document in the order they were set', async () => {
        const owner = uniqueId('user');
        const [a, b] = [await create(owner), await create(owner)];
        await store().setSearchStale(b.id, true);
        await Promise.all([
          store().setSearchStale(a.id, true),
          store().setSearchStale(b.id, false),
          store().setSearchStale(a.id, false),
          store().setSearchStale(a.id, true),
        ]);
        const mine = (ids: string[]) => ids.filter((id) => [a.id, b.id].includes(id));
        expect(mine(await allStale())).toEqual([a.id]);
      });
    });

    describe('documents', () => {
      it('creates a document and returns it as get() does', async () => {
        const owner = uniqueId('user');
        const id = uniqueId('doc');
        const before = Date.now();
        const created = await store().create({ id, title: 'Plan 🗓 für 2025', type: 'json1', ownerId: owner });
        expect(created).toMatchObject({ id, title: 'Plan 🗓 für 2025', type: 'json1', ownerId: owner });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.updatedAt).toBeInstanceOf(Date);
        expect(Math.abs(created.createdAt.getTime() - before)).toBeLessThan(60_000);
        expect(created.updatedAt.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
        expect(await store().get(id)).toEqual(created);
      });

      it("makes the creator the document's owner", async () => {
        const owner = uniqueId('user');
        const doc = await create(owner);
        expect(await store().roleOf(doc.id, owner)).toBe('owner');
        expect(await store().permissions(doc.id)).toEqual([{ userId: owner, role: 'owner' }]);
      });

      it('refuses an id that is taken, with BAD_MESSAGE, and leaves the document as it was', async () => {
        const owner = uniqueId('user');
        const doc = await create(owner, { title: 'original' });
        const intruder = uniqueId('user');
        await expectTandemError(
          store().create({ id: doc.id, title: 'other', type: 'rich-text', ownerId: intruder }),
          'BAD_MESSAGE',
        );
        expect(await store().get(doc.id)).toEqual(doc);
        expect(await store().roleOf(doc.id, intruder)).toBeNull();
      });

      it('keeps the id of a removed document taken', async () => {
        const owner = uniqueId('user');
        const doc = await create(owner);
        await store().remove(doc.id);
        await expectTandemError(
          store().create({ id: doc.id, title: 'again', type: 'text', ownerId: owner }),
          'BAD_MESSAGE',
        );
        expect(await store().get(doc.id)).toBeNull();
      });

      it('returns null for a document that does not exist', async () => {
        expect(await store().get(uniqueId('doc'))).toBeNull();
      });

      it('renames a document and returns it renamed', async () => {
        const doc = await create(uniqueId('user'), { title: 'before' });
        const renamed = await store().rename(doc.id, 'after ✏️');
        expect(renamed).toMatchObject({ id: doc.id, title: 'after ✏️', type: doc.type, ownerId: doc.ownerId });
        expect(renamed?.createdAt).toEqual(doc.createdAt);
        expect(renamed?.updatedAt.getTime()).toBeGreaterThanOrEqual(doc.updatedAt.getTime());
        expect((await store().get(doc.id))?.title).toBe('after ✏️');
      });

      it('renames nothing that does not exist or was removed', async () => {
        expect(await store().rename(uniqueId('doc'), 'x')).toBeNull();
        const doc = await create(uniqueId('user'));
        await store().remove(doc.id);
        expect(await store().rename(doc.id, 'x')).toBeNull();
        expect(await store().get(doc.id)).toBeNull();
      });

      it('removes a document from get, list and roleOf', async () => {
        const owner = uniqueId('user');
        const editor = uniqueId('user');
        const doc = await create(owner);
        await store().setRole(doc.id, editor, 'editor');
        await store().remove(doc.id);
        expect(await store().get(doc.id)).toBeNull();
        expect(await store().roleOf(doc.id, owner)).toBeNull();
        expect(await store().roleOf(doc.id, editor)).toBeNull();
        expect((await store().list(owner, { limit: 10 })).items).toEqual([]);
        expect((await store().list(editor, { limit: 10 })).items).toEqual([]);
      });

      it('removes quietly what is already removed or never existed', async () => {
        const doc = await create(uniqueId('user'));
        await store().remove(doc.id);
        await store().remove(doc.id);
        await store().remove(uniqueId('doc'));
        expect(await store().get(doc.id)).toBeNull();
      });

      it('records a change with touch()', async () => {
        const doc = await create(uniqueId('user'));
        const at = new Date(doc.updatedAt.getTime() + 5_000);
        await store().touch(doc.id, at);
        expect((await store().get(doc.id))?.updatedAt).toEqual(at);
        await store().touch(uniqueId('doc'), at);
      });
    });

    describe('list', () => {
      it('is empty for a user with no documents', async () => {
        expect(await store().list(uniqueId('user'), { limit: 10 })).toEqual({ items: [], next: null });
      });

      it('lists the documents the user has a role on, with that role, and no others', async () => {
        const alice = uniqueId('user');
        const bob = uniqueId('user');
        const own = await create(alice, { title: 'mine' });
        const shared = await create(bob, { title: 'shared with alice' });
        const other = await create(bob, { title: 'not shared' });
        await store().setRole(shared.id, alice, 'commenter');
        const { items, next } = await store().list(alice, { limit: 10 });
        expect(next).toBeNull();
        expect(items.map((item) => [item.id, item.role]).sort()).toEqual(
          [
            [own.id, 'owner'],
            [shared.id, 'commenter'],
          ].sort(),
        );
        expect(items.find((item) => item.id === shared.id)).toMatchObject({
          title: 'shared with alice',
          ownerId: bob,
          type: 'text',
        });
        expect(items.some((item) => item.id === other.id)).toBe(false);
      });

      it('lists the most recently updated first, page by page, until next is null', async () => {
        const owner = uniqueId('user');
        const docs = await createTouched(owner, 5);
        const seen: string[] = [];
        const pages: number[] = [];
        let after: string | undefined;
        for (let i = 0; i < 10; i += 1) {
          const page = await store().list(owner, after === undefined ? { limit: 2 } : { limit: 2, after });
          pages.push(page.items.length);
          seen.push(...page.items.map((item) => item.id));
          if (page.next === null) break;
          after = page.next;
        }
        expect(pages).toEqual([2, 2, 1]);
        expect(seen).toEqual(docs.map((doc) => doc.id).reverse());
      });

      it('says there is no next page when the last page is exactly full', async () => {
        const owner = uniqueId('user');
        await createTouched(owner, 4);
        const first = await store().list(owner, { limit: 2 });
        expect(first.next).not.toBeNull();
        const second = await store().list(owner, { limit: 2, after: first.next ?? '' });
        expect(second.items).toHaveLength(2);
        expect(second.next).toBeNull();
        expect((await store().list(owner, { limit: 4 })).next).toBeNull();
      });

      it('orders documents updated in the same millisecond consistently across pages', async () => {
        const owner = uniqueId('user');
        const at = new Date(Date.now() + 120_000);
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const doc = await create(owner);
          await store().touch(doc.id, at);
          ids.push(doc.id);
        }
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = await store().list(owner, after === undefined ? { limit: 2 } : { limit: 2, after });
          seen.push(...page.items.map((item) => item.id));
          after = page.next ?? undefined;
        } while (after !== undefined && seen.length <= ids.length);
        expect([...seen].sort()).toEqual([...ids].sort());
      });

      it('moves a touched document to the top', async () => {
        const owner = uniqueId('user');
        const docs = await createTouched(owner, 3);
        const oldest = docs[0] as DocumentMeta;
        await store().touch(oldest.id, new Date((docs[2] as DocumentMeta).updatedAt.getTime() + 1_000));
        const { items } = await store().list(owner, { limit: 1 });
        expect(items.map((item) => item.id)).toEqual([oldest.id]);
      });
    });

    describe('roles', () => {
      it('grants, changes and revokes a role', async () => {
        const owner = uniqueId('user');
        const bob = uniqueId('user');
        const doc = await create(owner);
        await store().setRole(doc.id, bob, 'editor');
        expect(await store().roleOf(doc.id, bob)).toBe('editor');
        await store().setRole(doc.id, bob, 'viewer');
        expect(await store().roleOf(doc.id, bob)).toBe('viewer');
        expect(sortByUser(await store().permissions(doc.id))).toEqual(
          sortByUser([
            { userId: owner, role: 'owner' },
            { userId: bob, role: 'viewer' },
          ]),
        );
        await store().setRole(doc.id, bob, null);
        expect(await store().roleOf(doc.id, bob)).toBeNull();
        expect(await store().permissions(doc.id)).toEqual([{ userId: owner, role: 'owner' }]);
        expect((await store().list(bob, { limit: 10 })).items).toEqual([]);
      });

      it('revokes quietly a role that was never granted', async () => {
        const owner = uniqueId('user');
        const doc = await create(owner);
        await store().setRole(doc.id, uniqueId('user'), null);
        expect(await store().permissions(doc.id)).toEqual([{ userId: owner, role: 'owner' }]);
      });

      it("refuses to change or revoke the owner's role, with FORBIDDEN", async () => {
        const owner = uniqueId('user');
        const doc = await create(owner);
        await expectTandemError(store().setRole(doc.id, owner, 'viewer'), 'FORBIDDEN');
        await expectTandemError(store().setRole(doc.id, owner, null), 'FORBIDDEN');
        expect(await store().roleOf(doc.id, owner)).toBe('owner');
      });

      it('refuses a role on a document that does not exist or was removed, with DOC_NOT_FOUND', async () => {
        const user = uniqueId('user');
        await expectTandemError(store().setRole(uniqueId('doc'), user, 'editor'), 'DOC_NOT_FOUND');
        const doc = await create(uniqueId('user'));
        await store().remove(doc.id);
        await expectTandemError(store().setRole(doc.id, user, 'editor'), 'DOC_NOT_FOUND');
        expect(await store().roleOf(doc.id, user)).toBeNull();
      });

      it('gives no role to a stranger', async () => {
        const doc = await create(uniqueId('user'));
        expect(await store().roleOf(doc.id, uniqueId('user'))).toBeNull();
        expect(await store().roleOf(uniqueId('doc'), uniqueId('user'))).toBeNull();
      });
    });

    /** Creates `count` documents of `owner` and touches them so that each is newer than the one before. */
    async function createTouched(owner: string, count: number): Promise<DocumentMeta[]> {
      const base = Date.now() + 60_000;
      const docs: DocumentMeta[] = [];
      for (let i = 0; i < count; i += 1) {
        const doc = await create(owner, { title: `doc ${i}` });
        const at = new Date(base + i * 1_000);
        await store().touch(doc.id, at);
        docs.push({ ...doc, updatedAt: at });
      }
      return docs;
    }
  });
}

let counter = 0;

function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

function sortByUser<T extends { userId: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.userId.localeCompare(b.userId));
}

async function expectTandemError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected a TandemError ${code}`).toBeDefined();
  expect(isTandemError(error) ? error.code : error).toBe(code);
}
