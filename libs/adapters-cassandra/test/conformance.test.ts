import { opLogConformance } from '@tandem/core/conformance';
import { openTestLog } from './cassandra.js';

opLogConformance('Cassandra', () => openTestLog());

// Ten versions per partition: every batch and range of the suite crosses buckets.
opLogConformance('Cassandra, bucket size 10', () => openTestLog({ bucketSize: 10 }));
