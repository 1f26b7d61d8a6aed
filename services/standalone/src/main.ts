import { loadConfig } from '@tandem/config';
import { isTandemError } from '@tandem/errors';
import { createLogger } from '@tandem/logging';
import { standaloneConfig } from './config.js';
import { startEmbedded } from './embedded.js';

let config: ReturnType<typeof loadConfig<typeof standaloneConfig.shape>>;
try {
  config = loadConfig(standaloneConfig);
} catch (err) {
  console.error(isTandemError(err) ? err.message : err);
  process.exit(2);
}
const log = createLogger({ name: 'tandem', level: config.LOG_LEVEL });
const tandem = await startEmbedded(config, log);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'draining');
  tandem.close().then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
