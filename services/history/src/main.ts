import { runService } from '@tandem/config';
import { historyServiceConfig } from './config.js';
import { startHistoryService } from './history-service.js';

await runService('history', historyServiceConfig, startHistoryService);
