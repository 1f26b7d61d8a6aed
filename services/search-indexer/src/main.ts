import { runService } from '@tandem/config';
import { searchIndexerConfig } from './config.js';
import { startSearchIndexerService } from './search-indexer.js';

await runService('search-indexer', searchIndexerConfig, startSearchIndexerService);
