export { contentText } from './content-text.js';
export {
  SEARCH_INDEXER_GROUP,
  type SearchIndexer,
  type SearchIndexerDeps,
  startSearchIndexer,
} from './search-indexer.js';
