import { eventBusConformance } from '@tandem/core/conformance';
import { KafkaEventBus } from '../src/index.js';
import { brokers, deleteTopic, unique } from './kafka.js';

eventBusConformance('Kafka', async () => {
  const topic = unique('doc.operations');
  const bus = new KafkaEventBus({ brokers: brokers(), topic, partitions: 3 });
  await bus.start();
  return {
    bus,
    async close() {
      await bus.close();
      await deleteTopic(topic);
    },
  };
});
