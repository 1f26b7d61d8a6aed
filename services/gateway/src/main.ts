import { runService } from '@tandem/config';
import { gatewayConfig } from './config.js';
import { startGatewayService } from './gateway.js';

await runService('gateway', gatewayConfig, startGatewayService);
