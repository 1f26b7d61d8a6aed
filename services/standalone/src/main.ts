import { runService } from '@tandem/config';
import { standaloneConfig } from './config.js';
import { startEmbedded } from './embedded.js';

await runService('tandem', standaloneConfig, startEmbedded);
