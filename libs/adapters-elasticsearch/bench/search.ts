/**
 * Indexing throughput and search latency of ElasticsearchSearchIndex on the Elasticsearch
 * of `pnpm infra:up`, for 10,000 documents.
 *
 *   pnpm --filter @tandem/adapters-elasticsearch bench [documents] [concurrent upserts]
 *
 * Documents are generated from a fixed seed: a title of 2 to 5 words and 100 to 1,000 words
 * of content drawn from a 5,000-word vocabulary with a Zipf-like skew, a few accented. Prints
 * upserts/s (with that many upserts in flight, as the indexer runs one per changed document),
 * the index size, and the latency of a search (p50, p95) for a user who may read 1,000 of the
 * documents and one who may read all of them, for one- and two-word queries. Works in an
 * index of its own, deleted at the end.
 */
import { cpus } from 'node:os';
import { Random, readEndpoints } from '@tandem/testkit';
import { createElasticsearchClient, openElasticsearchSearchIndex } from '../src/index.js';

const DOCS = Number(process.argv[2] ?? '10000');
const CONCURRENCY = Number(process.argv[3] ?? '32');
const SEARCHES = 500;
const SEED = 20_240_601;

const { node, version } = readEndpoints().elasticsearch;
const indexName = `tandem-bench-${Date.now().toString(36)}`;
const rng = new Random(SEED);

const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'po', 'qua', 'dré', 'lü', 'ça'];
const vocabulary = Array.from({ length: 5_000 }, (_, i) => {
  const parts = [rng.pick(syllables), rng.pick(syllables), rng.pick(syllables)];
  return `${parts.join('')}${i % 7 === 0 ? '' : i.toString(36)}`;
});
/** Word i drawn with probability about 1/(i + 1): a few common words, a long tail of rare ones. */
const word = (): string => vocabulary[Math.floor((vocabulary.length + 1) ** rng.next()) - 1] as string;
const words = (n: number): string => Array.from({ length: n }, word).join(' ');

const docs = Array.from({ length: DOCS }, (_, i) => ({
  docId: `bench-${i}`,
  title: words(rng.range(2, 5)),
  content: Array.from({ length: rng.range(10, 100) }, () => `${words(10)}.`).join(' '),
}));
const someIds = rng.shuffle(docs.map((doc) => doc.docId)).slice(0, 1_000);
const allIds = docs.map((doc) => doc.docId);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

console.log(
  `Elasticsearch ${version} at ${node}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
    `${DOCS} documents (seed ${SEED}), ${CONCURRENCY} upserts in flight`,
);
const readers = new Map([
  ['reader-1000', someIds],
  ['reader-all', allIds],
]);
const index = await openElasticsearchSearchIndex({
  node,
  index: indexName,
  replicas: 0,
  readable: async (userId) => readers.get(userId) ?? [],
});
try {
  const chars = docs.reduce((sum, doc) => sum + doc.content.length, 0);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let doc = docs[next++]; doc !== undefined; doc = docs[next++]) await index.upsert(doc);
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  await index.refresh();
  console.log(
    `\nupsert: ${Math.round(DOCS / seconds)} documents/s (${seconds.toFixed(1)} s, ` +
      `${Math.round(chars / DOCS)} characters per document on average)`,
  );
  const admin = createElasticsearchClient({ node });
  const stats = await admin.indices.stats({ index: indexName, metric: ['store', 'docs'] });
  await admin.close();
  const bytes = stats._all.primaries?.store?.size_in_bytes ?? 0;
  console.log(
    `index: ${(bytes / 2 ** 20).toFixed(1)} MiB for ${(chars / 2 ** 20).toFixed(1)} MiB of content`,
  );

  console.log('\nsearch                      p50 ms   p95 ms   hits/search');
  for (const [userId, readable] of readers) {
    for (const terms of [1, 2]) {
      const queries = Array.from({ length: SEARCHES + 50 }, () => words(terms));
      const latencies: number[] = [];
      let hits = 0;
      for (const [i, query] of queries.entries()) {
        const t = performance.now();
        const found = await index.search(query, { userId, limit: 10 });
        if (i >= 50) {
          latencies.push(performance.now() - t);
          hits += found.length;
        }
      }
      latencies.sort((a, b) => a - b);
      console.log(
        `${`${readable.length} readable, ${terms} word${terms > 1 ? 's' : ''}`.padEnd(26)}` +
          `${percentile(latencies, 50).toFixed(1).padStart(7)}  ${percentile(latencies, 95).toFixed(1).padStart(7)}` +
          `   ${(hits / SEARCHES).toFixed(1).padStart(6)}`,
      );
    }
  }
} finally {
  const admin = createElasticsearchClient({ node });
  await admin.indices.delete({ index: indexName }, { ignore: [404] });
  await admin.close();
  await index.close();
}
