export { foldDiacritics } from './fold.js';
export {
  createElasticsearchClient,
  DEFAULT_INDEX,
  type ElasticsearchConnection,
  ElasticsearchSearchIndex,
  type ElasticsearchSearchIndexOptions,
  MAX_INDEXED_CHARS,
  openElasticsearchSearchIndex,
  type ReadableDocs,
  readableFromMetadata,
} from './search-index.js';
