import { runService } from '@tandem/config';
import { snapshotServiceConfig } from './config.js';
import { startSnapshotService } from './snapshot-service.js';

await runService('snapshot', snapshotServiceConfig, startSnapshotService);
