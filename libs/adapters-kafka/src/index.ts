export { KafkaEventBus, type KafkaEventBusOptions } from './event-bus.js';
