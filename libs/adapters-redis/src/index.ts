export { type ConnectRedisOptions, connectRedis, type RedisClient, type RedisTarget } from './connect.js';
export { type RedisDocStateOptions, RedisDocStateStore } from './doc-state.js';
export { RedisFanOut } from './fan-out.js';
export { RedisInbox } from './inbox.js';
export { RedisKeys } from './keys.js';
export { RedisMembership, type RedisMembershipOptions } from './membership.js';
export { RedisPresenceStore } from './presence.js';
export { RedisPubSub, type Subscription } from './pubsub.js';
