import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { openPglite } from '@tandem/adapters-pglite';
import { SqlMetadataStore } from '@tandem/adapters-sql';
import { readEndpoints } from '@tandem/testkit';
import {
  createElasticsearchClient,
  type ElasticsearchSearchIndex,
  type ElasticsearchSearchIndexOptions,
  openElasticsearchSearchIndex,
  readableFromMetadata,
} from '../src/index.js';

/** The Elasticsearch of `pnpm infra:up`; throws, naming what to run, when there is none. */
export function elasticsearchNode(): string {
  return readEndpoints().elasticsearch.node;
}

/** An index name of this run's own (index names are lower case). */
export function uniqueIndex(): string {
  return `tandem-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface SearchFixture {
  index: ElasticsearchSearchIndex;
  metadata: SqlMetadataStore;
  close(): Promise<void>;
}

/**
 * A search index on an index of its own on the real Elasticsearch, with the permissions of
 * an in-memory PGlite metadata store; close() deletes the index.
 */
export async function openSearchFixture(
  overrides: Partial<ElasticsearchSearchIndexOptions> = {},
): Promise<SearchFixture> {
  const db = await openPglite();
  const metadata = new SqlMetadataStore(db);
  const options: ElasticsearchSearchIndexOptions = {
    node: elasticsearchNode(),
    index: uniqueIndex(),
    // One node: a replica could never be assigned.
    replicas: 0,
    readable: readableFromMetadata(metadata),
    ...overrides,
  };
  const index = await openElasticsearchSearchIndex(options).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  return {
    index,
    metadata,
    async close() {
      try {
        await deleteIndex(options.index ?? '');
      } finally {
        await index.close();
        await db.close();
      }
    },
  };
}

export async function deleteIndex(name: string): Promise<void> {
  const admin = createElasticsearchClient({ node: elasticsearchNode() });
  try {
    await admin.indices.delete({ index: name }, { ignore: [404] });
  } finally {
    await admin.close();
  }
}

/**
 * An HTTP server that answers as `handler` says, given the request and its body, with the
 * header the client checks for.
 */
export async function fakeElasticsearch(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.setHeader('x-elastic-product', 'Elasticsearch');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
