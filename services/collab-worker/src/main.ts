import { runService } from '@tandem/config';
import { workerConfig } from './config.js';
import { startWorker } from './worker.js';

await runService('collab-worker', workerConfig, startWorker);
