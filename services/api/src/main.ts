import { runService } from '@tandem/config';
import { startApiService } from './api.js';
import { apiConfig } from './config.js';

await runService('api', apiConfig, startApiService);
