export { foldDiacritics } from './fold.js';
export {
  createElasticsearchClient,
  DEFAULT_INDEX,
  type ElasticsearchConnection,
  ElasticsearchSearchIndex,
  type ElasticsearchSearchIndexOptions,
  openElasticsearchSearchIndex,
  type ReadableDocs,
  readableFromMetadata,
} from './search-index.js';
