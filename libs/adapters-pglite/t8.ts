import { openPglite, PgliteMetadataStore, PgliteSearchIndex } from './src/index.js';
const db = await openPglite();
const m = new PgliteMetadataStore(db); const s = new PgliteSearchIndex(db);
await m.create({ id: 'd1', title: 'Unsafe', type: 'text', ownerId: 'u' });
for (const content of ['x < y & "z" <img src=a onerror=alert(1)> <script>steal()</script> zucchini', 'when a < b && c > d, the zucchini <3 is "<i>ok</i>" & fine', 'zucchini <script>alert(1)</script>', 'zucchini &lt;img src=x onerror=alert(1)&gt;']) {
  await s.upsert({ docId: 'd1', title: 'Unsafe', content });
  console.log(JSON.stringify((await s.search('zucchini', { userId: 'u', limit: 1 }))[0]?.snippet));
}
await db.close();
