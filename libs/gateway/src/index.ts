export { attachGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { DEFAULT_GATEWAY_LIMITS, type GatewayLimits } from './limits.js';
export { GatewaySession, type SessionDeps, type SessionSocket } from './session.js';
export { TokenBucket } from './token-bucket.js';
