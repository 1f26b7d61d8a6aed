export { JournaledOpLog, type JournaledOpLogOptions } from './journaled-op-log.js';
export { PgliteOpLog } from './op-log.js';
export { LOCK_FILE, lockDataDir, type OpenPgliteOptions, openPglite } from './open.js';
