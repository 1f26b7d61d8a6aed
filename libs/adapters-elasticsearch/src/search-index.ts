import { Client, type estypes } from '@elastic/elasticsearch';
import {
  CallBatcher,
  indexedPart,
  type Log,
  type MetadataStore,
  type SearchHit,
  type SearchIndex,
  silentLog,
  snippetHtml,
} from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { errorType, type FailedAction, fromBulkItem, fromClientError } from './errors.js';
import { foldDiacritics } from './fold.js';

/** The ids of every document `userId` may read (any role, not deleted). */
export type ReadableDocs = (userId: string) => Promise<readonly string[]>;

/** Where the Elasticsearch cluster is, and how long to wait for it. */
export interface ElasticsearchConnection {
  /** The URL of a node, or of several. */
  node: string | string[];
  auth?: { apiKey: string } | { username: string; password: string };
  /**
   * Longest wait for one request before it fails, not retried: a node that hangs costs a
   * search this long. Default 5000 ms; the client's own default is 10 minutes.
   */
  requestTimeoutMs?: number;
  /**
   * Retries of a request that found no connection or a 502-504 answer, on another node if
   * there is one, after the client's pause of 1 to 2 s. Default 1.
   */
  maxRetries?: number;
}

export interface ElasticsearchSearchIndexOptions extends ElasticsearchConnection {
  /** The index (or an alias of it). Default 'tandem-docs'. */
  index?: string;
  /**
   * Which documents a user may read, asked on every search (see ElasticsearchSearchIndex);
   * readableFromMetadata(metadata) makes one from the metadata store.
   */
  readable: ReadableDocs;
  /**
   * How often new writes become searchable, when the index is created here. Default '1s'.
   * Set explicitly so that an index nobody searched for 30 s keeps refreshing: with the
   * default left implicit, Elasticsearch stops, and the next search waits for a refresh.
   */
  refreshInterval?: string;
  /** Replicas of the index's shard, when the index is created here; default the cluster's (1). */
  replicas?: number;
  log?: Log;
}

export const DEFAULT_INDEX = 'tandem-docs';

/**
 * The version of the mappings below, recorded in the index's _meta: an index made by
 * another version is refused at start rather than searched wrongly.
 */
const SCHEMA_VERSION = 1;

/**
 * The oldest server this adapter runs on: the client's major (8), and 8.15 for
 * `matched_fields` in the unified highlighter, which places highlights from the folded
 * copy of the content onto the original.
 */
const MIN_SERVER = { major: 8, minor: 15 } as const;

/**
 * The highlighter marks matches with these two characters rather than <mark>, so that the
 * fragment can be HTML-escaped first and the marks put in afterwards, as the embedded index
 * does. Unicode noncharacters, reserved for a program's internal use: not the control
 * characters the embedded index uses, because Elasticsearch trims every character up to
 * U+0020 off the ends of a fragment, and with it a mark on its first or last word. Both are
 * replaced in indexed text, so no document can forge a mark.
 */
const START = '\uFDD0';
const STOP = '\uFDD1';
const FRAGMENT_DELIMITER = ' ... ';

/** Elasticsearch's default index.max_terms_count: the most ids one terms query may hold. */
const TERMS_PER_QUERY = 65_536;

/** Elasticsearch's default index.max_result_window. */
const MAX_RESULT_WINDOW = 10_000;

/**
 * Elasticsearch refuses a whole _bulk request when one of its ids is longer than this (in
 * UTF-8 bytes), where any other bad document fails alone: such an id is refused here, so
 * that it cannot fail the documents batched with it.
 */
const MAX_ID_BYTES = 512;

/**
 * The most characters of documents (title and content, each indexed twice) one _bulk
 * request carries, 2 to 6 MiB of JSON; a larger batch is sent as several requests, one
 * after the other. Elasticsearch's advice is requests of a few MiB: a request is held whole
 * in the coordinating node's memory (indexing_pressure.memory.limit, 10% of the heap, refuses
 * one above it entirely), and it must finish within requestTimeoutMs. Any request takes at
 * least one document, and the largest document (MAX_INDEXED_CHARS of content) is about
 * 500,000 characters.
 */
const MAX_BULK_CHARS = 2 ** 21;

/**
 * Enough of a _bulk answer to tell each document's outcome, by position, without the
 * shard and sequence numbers of every item. The status keeps every item in the answer:
 * filter_path drops an item left empty.
 */
const BULK_FILTER = ['errors', 'items.*.status', 'items.*.error'];

/**
 * simple_query_string reads any input without a syntax error. These operators are close to
 * what the embedded index's websearch_to_tsquery knows: "quoted phrases", -word, and a | b
 * for its `or`, plus parentheses; prefix*, fuzzy~ and slop would expand into many terms.
 */
const QUERY_FLAGS = 'AND|OR|NOT|PHRASE|PRECEDENCE|WHITESPACE|ESCAPE';

/** Matches in a title count this many times a match in the content. */
const TITLE_BOOST = 3;

interface IndexedDoc {
  doc_id: string;
  title: string;
  title_folded: string;
  content: string;
  content_folded: string;
}

/**
 * Settings and mappings of the index. The text fields use the standard tokenizer and
 * lowercase ("CAFÉ" finds "café", in any script). Diacritics are folded here, before the
 * text reaches Elasticsearch (title_folded, content_folded: "cafe" finds "Café"), and not by
 * an asciifolding filter in the analyzer: that filter lives in the analysis-common module,
 * which not every distribution carries (the integ-test-zip of `pnpm infra:up` does not), and
 * the same results everywhere matter more than the filter's few extra folds (ø, ß, æ).
 * Search runs on the folded fields; the highlighter takes the offsets of their matches
 * (matched_fields) and marks the same characters in `content`, the original text, which
 * foldDiacritics keeps aligned character for character. Both content fields index offsets,
 * so a highlight reads postings and never re-analyzes a long document. The price is the
 * content indexed twice: about 2.3 times the index size and time of one field alone
 * (docs/decisions.md, "Elasticsearch search").
 */
function indexBody(options: { refreshInterval: string; replicas: number | undefined }) {
  return {
    settings: {
      // One shard: the term statistics of ranking are then the whole index's, so the same
      // query ranks the same documents alike wherever they are stored.
      number_of_shards: 1,
      ...(options.replicas === undefined ? {} : { number_of_replicas: options.replicas }),
      refresh_interval: options.refreshInterval,
      analysis: {
        analyzer: { tandem_text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase'] } },
      },
    },
    mappings: {
      dynamic: 'strict',
      _meta: { tandemSearchSchema: SCHEMA_VERSION },
      // The folded copies are only searched and highlighted from their postings.
      _source: { excludes: ['title_folded', 'content_folded'] },
      properties: {
        doc_id: { type: 'keyword' },
        title: { type: 'text', index: false },
        title_folded: { type: 'text', analyzer: 'tandem_text' },
        content: { type: 'text', analyzer: 'tandem_text', index_options: 'offsets', norms: false },
        content_folded: { type: 'text', analyzer: 'tandem_text', index_options: 'offsets' },
      },
    },
  } satisfies Omit<estypes.IndicesCreateRequest, 'index'>;
}

/**
 * A client with bounded waits (see ElasticsearchConnection). The store owns the client it
 * is given and closes it.
 */
export function createElasticsearchClient(connection: ElasticsearchConnection): Client {
  return new Client({
    node: connection.node,
    ...(connection.auth === undefined ? {} : { auth: connection.auth }),
    requestTimeout: connection.requestTimeoutMs ?? 5_000,
    maxRetries: connection.maxRetries ?? 1,
  });
}

/**
 * Connects, checks that every node runs a version this adapter supports, creates the index
 * if it is missing (or checks the one there) and returns the search index. Fails with
 * UNAVAILABLE when the cluster does not answer and CONFIG_INVALID when it is of the wrong
 * version or the index has other mappings.
 */
export async function openElasticsearchSearchIndex(
  options: ElasticsearchSearchIndexOptions,
): Promise<ElasticsearchSearchIndex> {
  const index = new ElasticsearchSearchIndex(createElasticsearchClient(options), options);
  try {
    await index.checkServerVersion();
    await index.ensureIndex();
  } catch (err) {
    await index.close();
    throw err;
  }
  return index;
}

/**
 * Full-text search in an Elasticsearch index, one document per Tandem document, filtered
 * by permissions when a search runs: each search asks `readable` for the ids the caller may
 * read and keeps only those (a terms filter, so it does not change the scores). A grant, a
 * revocation or a deletion then shows in the very next search without re-indexing anything,
 * and the index holds no permissions that could be stale. The price is one metadata read
 * per search, and a request that grows with the number of documents the caller can read
 * (about 40 bytes per document).
 *
 * Writes are not refreshed one by one: they become searchable at the index's next refresh,
 * within `refreshInterval` (1 s). `refresh: true` on each write would make a segment per
 * write under load, and `wait_for` would hold every write (and the indexer's queue for that
 * document) up to a second; the indexer debounces by seconds anyway. refresh() makes every
 * write so far searchable, for tests.
 *
 * The upserts of one turn of the event loop go as one _bulk request (CallBatcher): the
 * search indexer re-indexes its due documents together, on a 500 ms grid, and a request
 * per document cost Elasticsearch an HTTP request and a translog fsync each. With 100
 * documents of 500 characters every 500 ms (bench/bulk-upserts.ts), Elasticsearch's own
 * threads spent 450-550 µs of CPU per document with one request each and 250 µs in a _bulk
 * request, and this process 260-350 µs against 55-80. Each upsert still succeeds or fails
 * on its own document's outcome.
 */
export class ElasticsearchSearchIndex implements SearchIndex {
  readonly index: string;
  private readonly readable: ReadableDocs;
  private readonly refreshInterval: string;
  private readonly replicas: number | undefined;
  private readonly log: Log;
  private readonly upserts = new CallBatcher<IndexedDoc, TandemError | undefined>(
    (docs) => this.indexAll(docs),
    // Two upserts of one document in one request would race for which one stays.
    (doc) => doc.doc_id,
  );

  constructor(
    private readonly client: Client,
    options: Pick<
      ElasticsearchSearchIndexOptions,
      'index' | 'readable' | 'refreshInterval' | 'replicas' | 'log'
    >,
  ) {
    this.index = options.index ?? DEFAULT_INDEX;
    this.readable = options.readable;
    this.refreshInterval = options.refreshInterval ?? '1s';
    this.replicas = options.replicas;
    this.log = options.log ?? silentLog;
  }

  /** Refuses a cluster with a node this adapter does not support (see MIN_SERVER). */
  async checkServerVersion(): Promise<void> {
    // The node info rather than `GET /`, whose handler is in a module that minimal
    // distributions leave out.
    const info = await this.call('read the node versions', () =>
      this.client.nodes.info({ node_id: '_all', metric: '_none', filter_path: 'nodes.*.version' }),
    );
    const versions = Object.values(info.nodes ?? {}).map((node) => node.version);
    const unsupported = versions.filter((version) => !supported(version));
    if (versions.length === 0 || unsupported.length > 0) {
      throw new TandemError(
        'CONFIG_INVALID',
        `Elasticsearch ${versions.join(', ') || '(no version reported)'} is not supported: ` +
          `this adapter needs ${MIN_SERVER.major}.x from ${MIN_SERVER.major}.${MIN_SERVER.minor}`,
        { details: { versions } },
      );
    }
  }

  /**
   * Creates the index unless it exists; another process creating it at the same moment is
   * fine. An existing index must carry this adapter's mappings.
   */
  async ensureIndex(): Promise<void> {
    const exists = await this.call('check the index', () =>
      this.client.indices.exists({ index: this.index }),
    );
    if (!exists) {
      const created = await this.call('create the index', async () => {
        try {
          await this.client.indices.create({
            index: this.index,
            ...indexBody({ refreshInterval: this.refreshInterval, replicas: this.replicas }),
          });
          return true;
        } catch (err) {
          if (errorType(err) === 'resource_already_exists_exception') return false;
          throw err;
        }
      });
      if (created) {
        this.log.info({ index: this.index }, 'created the search index');
        return;
      }
    }
    const mappings = await this.call('read the mappings', () =>
      this.client.indices.getMapping({ index: this.index }),
    );
    for (const [name, { mappings: mapping }] of Object.entries(mappings)) {
      const schema = mapping._meta?.tandemSearchSchema;
      if (schema !== SCHEMA_VERSION) {
        throw new TandemError(
          'CONFIG_INVALID',
          `Elasticsearch index ${name} was not made by this version of Tandem (schema ${String(schema)}, ` +
            `expected ${SCHEMA_VERSION}): delete it or name another index; the search indexer fills a new one`,
          { details: { index: name, schema, expected: SCHEMA_VERSION } },
        );
      }
    }
  }

  async upsert(doc: { docId: string; title: string; content: string }): Promise<void> {
    const title = prepare(doc.title);
    const content = prepare(indexedPart(doc.content));
    const document: IndexedDoc = {
      doc_id: doc.docId,
      title,
      title_folded: foldDiacritics(title),
      content,
      content_folded: foldDiacritics(content),
    };
    const failure = await this.upserts.call(document);
    if (failure) throw failure;
  }

  /**
   * Indexes documents with as few _bulk requests as MAX_BULK_CHARS allows, and returns each
   * one's failure, undefined when it was indexed. A request that fails as a whole (the
   * cluster away, overloaded) throws, failing every upsert of the batch.
   */
  private async indexAll(docs: IndexedDoc[]): Promise<(TandemError | undefined)[]> {
    const where: FailedAction = { index: this.index, action: 'index a document' };
    const outcomes: (TandemError | undefined)[] = docs.map(() => undefined);
    const sendable: { doc: IndexedDoc; at: number }[] = [];
    for (const [at, doc] of docs.entries()) {
      if (Buffer.byteLength(doc.doc_id) > MAX_ID_BYTES) {
        outcomes[at] = new TandemError(
          'INTERNAL',
          `Elasticsearch refuses to index a document whose id is longer than ${MAX_ID_BYTES} bytes`,
          { details: { ...where, docId: doc.doc_id } },
        );
      } else sendable.push({ doc, at });
    }
    for (const part of bySize(sendable, ({ doc }) => sourceChars(doc), MAX_BULK_CHARS)) {
      const operations = part.flatMap(({ doc }) => [{ index: { _id: doc.doc_id } }, doc]);
      const response = await this.call('index documents', () =>
        this.client.bulk({ index: this.index, operations, filter_path: BULK_FILTER }),
      );
      if (!response.errors) continue;
      for (const [n, { at }] of part.entries()) {
        const item = response.items[n]?.index;
        if (item?.error !== undefined) outcomes[at] = fromBulkItem(item, where);
      }
    }
    return outcomes;
  }

  async remove(docId: string): Promise<void> {
    await this.call('delete a document', () =>
      this.client.delete({ index: this.index, id: docId }, { ignore: [404] }),
    );
  }

  async search(query: string, options: { userId: string; limit: number }): Promise<SearchHit[]> {
    // Without a letter or digit there is no word to match, as in the embedded index.
    if (!/[\p{L}\p{N}]/u.test(query) || options.limit < 1) return [];
    const ids = await this.readable(options.userId);
    if (ids.length === 0) return [];
    const response = await this.call('search', () =>
      this.client.search<Pick<IndexedDoc, 'title'>>({
        index: this.index,
        size: Math.min(Math.floor(options.limit), MAX_RESULT_WINDOW),
        track_total_hits: false,
        _source: ['title'],
        query: {
          bool: {
            must: {
              simple_query_string: {
                query: foldDiacritics(query.normalize('NFC')),
                fields: [`title_folded^${TITLE_BOOST}`, 'content_folded'],
                default_operator: 'and',
                flags: QUERY_FLAGS,
              },
            },
            filter: readableFilter(ids),
          },
        },
        sort: [{ _score: { order: 'desc' } }, { doc_id: { order: 'asc' } }],
        highlight: {
          pre_tags: [START],
          post_tags: [STOP],
          fields: {
            content: {
              type: 'unified',
              matched_fields: ['content_folded'],
              number_of_fragments: 2,
              fragment_size: 150,
              // A match only in the title still shows the start of the content.
              no_match_size: 150,
            },
          },
        },
      }),
    );
    return response.hits.hits.map((hit) => ({
      docId: hit._id ?? '',
      title: hit._source?.title ?? '',
      snippet: snippetHtml((hit.highlight?.content ?? []).join(FRAGMENT_DELIMITER), START, STOP),
      score: hit._score ?? 0,
    }));
  }

  /** Makes every write so far searchable. */
  async refresh(): Promise<void> {
    await this.call('refresh the index', () => this.client.indices.refresh({ index: this.index }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Runs one client call, its failure mapped by fromClientError. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromClientError(err, { index: this.index, action });
    }
  }
}

/**
 * Reads the documents a user may read from the metadata store, page by page: every
 * document with any role for the user, deleted ones left out.
 */
export function readableFromMetadata(metadata: Pick<MetadataStore, 'list'>, pageSize = 1000): ReadableDocs {
  return async (userId) => {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await metadata.list(userId, {
        limit: pageSize,
        ...(after === undefined ? {} : { after }),
      });
      for (const item of page.items) ids.push(item.id);
      after = page.next ?? undefined;
    } while (after !== undefined);
    return ids;
  };
}

function supported(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major === MIN_SERVER.major && minor !== undefined && minor >= MIN_SERVER.minor;
}

function readableFilter(ids: readonly string[]): estypes.QueryDslQueryContainer {
  const should: estypes.QueryDslQueryContainer[] = [];
  for (let i = 0; i < ids.length; i += TERMS_PER_QUERY) {
    should.push({ terms: { doc_id: ids.slice(i, i + TERMS_PER_QUERY) } });
  }
  return { bool: { should, minimum_should_match: 1 } };
}

/** The characters of a document's source, where the size of its part of a _bulk request lies. */
function sourceChars(doc: IndexedDoc): number {
  return doc.doc_id.length + 2 * (doc.title.length + doc.content.length);
}

/** `items` in runs of at most `max` in total size, each holding at least one item, in order. */
function bySize<T>(items: readonly T[], size: (item: T) => number, max: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let total = 0;
  for (const item of items) {
    const itemSize = size(item);
    if (part.length > 0 && total + itemSize > max) {
      parts.push(part);
      part = [];
      total = 0;
    }
    part.push(item);
    total += itemSize;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * NFC, so that an accented letter is one character that folds (see foldDiacritics), with
 * the two highlight markers replaced by spaces (which keeps every offset).
 */
function prepare(text: string): string {
  return text.normalize('NFC').replaceAll(START, ' ').replaceAll(STOP, ' ');
}
