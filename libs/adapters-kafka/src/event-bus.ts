import type { EventBus, TandemEvent } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { type Logger, silentLogger } from '@tandem/logging';
import { Gauge, type Registry } from '@tandem/metrics';
import {
  type Consumer,
  type EachBatchPayload,
  type ISocketFactory,
  Kafka,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { kafkaLogLevel, pinoLogCreator } from './log-creator.js';

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId?: string;
  /**
   * The one topic of every event, keyed by document id. One topic, not one for ops and one
   * for lifecycle events: Kafka orders messages only within a partition of a topic, and the
   * EventBus promises each document's events in order whatever their type (a doc.deleted
   * must not overtake the document's last op.committed on its way to the snapshot service).
   */
  topic?: string;
  /**
   * Partitions of the topic when this bus creates it. They bound how many consumers of a
   * group share the work; adding partitions later moves documents between partitions, and
   * with them their order, so start with enough.
   */
  partitions?: number;
  /** Replicas of the topic when this bus creates it; the broker's default.replication.factor when unset. */
  replicationFactor?: number;
  /** How long one request may wait for a broker. */
  requestTimeoutMs?: number;
  /**
   * How long publish() may take before it fails, whatever kafkajs is retrying: while Kafka is
   * down or unreachable a publish fails within this, and the engine's outbox keeps its events
   * and publishes them again.
   */
  publishTimeoutMs?: number;
  /**
   * How long publish() waits before it sends (default 10 ms). Its caller (the engine's event
   * outbox) publishes one batch at a time and gathers what arrives meanwhile into the next, so
   * this bounds a producer to about one request per lingerMs plus a round trip: without it,
   * a worker under load sent a request for every few events, and the requests cost the broker
   * more CPU than the events. Events reach the consumers this much later; editing never waits.
   */
  lingerMs?: number;
  logger?: Logger;
  /** Where to report consumer lag (tandem_event_consumer_lag), if anywhere. */
  registry?: Registry;
  /** How connections to brokers are opened (kafkajs's socketFactory), for a proxy or a fault test. */
  socketFactory?: ISocketFactory;
}

/** A publish larger than this is sent in several requests: a broker refuses record batches over 1 MiB by default. */
const MAX_SEND_BYTES = 512 * 1024;

/** Bounds of the pause between attempts of a failing handler (it is retried until it succeeds). */
const HANDLER_RETRY_MS = { first: 100, max: 5_000 };

/** Bounds of the pause between attempts to start a consumer while Kafka is unreachable. */
const CONNECT_RETRY_MS = { first: 500, max: 10_000 };

/**
 * The event bus on Kafka (kafkajs).
 *
 * Publishing: one idempotent producer (acks from all in-sync replicas, one request in flight,
 * so retries neither duplicate nor reorder within a send), each publish() one send. A publish
 * fails after publishTimeoutMs while Kafka is down instead of waiting for it (kafkajs warns
 * that bounded retries weaken its exactly-once guarantee: they do, to at least once); the
 * caller keeps the events and publishes them again. After a failure the producer is
 * replaced: a send that reached the broker although it was reported failed would otherwise
 * leave the old producer's sequence numbers out of step, refusing every later send.
 *
 * Consuming: subscribe() runs a consumer in the group. Each message's handler is awaited,
 * and retried while it fails, before the next message of its partition; its offset is
 * resolved only then, and committed after each fetched batch (every second within a long
 * one) and when the consumer stops. A
 * consumer of the group started later resumes after the last committed offset; a group seen
 * for the first time starts at the oldest retained event. Consumers must be idempotent.
 *
 * The topic is created (if missing) and the producer connected on first use, so a service
 * starts while Kafka is down and catches up when it is back (ARCHITECTURE.md: events never
 * stop editing).
 */
export class KafkaEventBus implements EventBus {
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly lag: Gauge | undefined;
  private topicReady: Promise<void> | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly options: KafkaEventBusOptions) {
    this.topic = options.topic ?? 'doc.operations';
    this.log = (options.logger ?? silentLogger()).child({ component: 'kafka' });
    const requestTimeout = options.requestTimeoutMs ?? 3_000;
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: options.clientId ?? 'tandem',
      connectionTimeout: Math.min(requestTimeout, 3_000),
      requestTimeout,
      // kafkajs's default retries an operation for about 30 s; a consumer restarts on its own.
      retry: { initialRetryTime: 200, maxRetryTime: 1_000, retries: 3 },
      logLevel: kafkaLogLevel(this.log.level),
      logCreator: pinoLogCreator(this.log),
      ...(options.socketFactory ? { socketFactory: options.socketFactory } : {}),
    });
    const registry = options.registry;
    if (registry) {
      const name = 'tandem_event_consumer_lag';
      this.lag =
        (registry.getSingleMetric(name) as Gauge | undefined) ??
        new Gauge({
          name,
          help: 'Events in a partition not yet handled by the group (a derived view falling behind when this grows)',
          labelNames: ['group', 'partition'],
          registers: [registry],
        });
    }
  }

  /** Creates the topic and connects the producer; publish() and subscribe() call it themselves. */
  async start(): Promise<void> {
    await this.producer();
  }

  async publish(events: readonly TandemEvent[]): Promise<void> {
    if (events.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.options.publishTimeoutMs ?? 5_000;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.send(events), deadline]);
    } catch (err) {
      this.dropProducer();
      throw new TandemError('UNAVAILABLE', `Kafka is unavailable: ${(err as Error).message}`, {
        retryAfterMs: 1_000,
        details: { events: events.length },
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(events: readonly TandemEvent[]): Promise<void> {
    const producer = await this.producer();
    await new Promise((resolve) => setTimeout(resolve, this.options.lingerMs ?? 10));
    for (const messages of chunks(events)) await producer.send({ topic: this.topic, messages, acks: -1 });
  }

  /** Subscribes a consumer of `group`; the function it returns stops it (resolving once its offsets are committed). */
  subscribe(group: string, handler: (event: TandemEvent) => Promise<void>): () => Promise<void> {
    const subscription = new Subscription(
      {
        topic: this.topic,
        log: this.log,
        ensureTopic: () => this.ensureTopic(),
        consumer: () => this.consumer(group),
        reportLag: (partition, lag) =>
          this.lag?.set({ group, partition: String(partition) }, Math.max(0, lag)),
      },
      group,
      handler,
    );
    this.subscriptions.add(subscription);
    return async () => {
      await subscription.stop();
      this.subscriptions.delete(subscription);
    };
  }

  /** Stops every consumer and disconnects the producer. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    const producer = this.producerReady;
    this.producerReady = undefined;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private ensureTopic(): Promise<void> {
    this.topicReady ??= this.createTopic();
    this.topicReady.catch(() => {
      this.topicReady = undefined;
    });
    return this.topicReady;
  }

  private consumer(group: string): Consumer {
    return this.kafka.consumer({
      // Named after the topic too: deployments (or test runs) that share a Kafka, each with a
      // topic of its own, must not share a group, whose members would split each other's partitions.
      groupId: `${this.topic}.${group}`,
      // A consumer that crashed while Kafka was unreachable could not leave its group, and its
      // successor's join waits until the group drops it: 10 s, not kafkajs's 30. Long handlers
      // keep the session alive (see Subscription.handle).
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      // A fetch is answered once it has 64 KiB of events or has waited 100 ms: under load a
      // consumer then gets events in batches of hundreds instead of one fetch per handful, which
      // cost the broker and every consumer more CPU than the events themselves. Derived views
      // lag by at most the wait; a stopping consumer waits for the fetch in flight.
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 100,
      retry: {
        initialRetryTime: 200,
        maxRetryTime: 5_000,
        retries: 5,
        // A consumer that lost Kafka keeps rejoining until it is back: a derived view must catch up.
        restartOnFailure: async (err) => {
          this.log.warn({ err, group }, 'event consumer failed; restarting');
          return true;
        },
      },
    });
  }

  private async createTopic(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.topic,
            numPartitions: this.options.partitions ?? 12,
            ...(this.options.replicationFactor ? { replicationFactor: this.options.replicationFactor } : {}),
          },
        ],
      });
      if (created) this.log.info({ topic: this.topic }, 'created the event topic');
    } finally {
      await admin.disconnect();
    }
  }

  private producer(): Promise<Producer> {
    if (!this.producerReady) {
      const ready = (async () => {
        await this.ensureTopic();
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          // murmur2 of the key, as the Java client: every producer puts a document in the same partition.
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        try {
          await producer.connect();
        } catch (err) {
          await producer.disconnect().catch(() => undefined);
          throw err;
        }
        return producer;
      })();
      ready.catch(() => {
        if (this.producerReady === ready) this.producerReady = undefined;
      });
      this.producerReady = ready;
    }
    return this.producerReady;
  }

  private dropProducer(): void {
    const dropped = this.producerReady;
    this.producerReady = undefined;
    dropped?.then((p) => p.disconnect()).catch(() => undefined);
  }
}

/** The events as messages keyed by document, in sends of at most MAX_SEND_BYTES. */
function chunks(events: readonly TandemEvent[]): Message[][] {
  const sends: Message[][] = [[]];
  let bytes = 0;
  for (const event of events) {
    const value = JSON.stringify(event);
    const size = Buffer.byteLength(value);
    const current = sends[sends.length - 1] as Message[];
    if (bytes > 0 && bytes + size > MAX_SEND_BYTES) {
      sends.push([{ key: event.docId, value }]);
      bytes = 0;
    } else {
      current.push({ key: event.docId, value });
    }
    bytes += size;
  }
  return sends;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** What a subscription needs of its bus. */
interface SubscriptionContext {
  topic: string;
  log: Logger;
  ensureTopic(): Promise<void>;
  consumer(): Consumer;
  /** How many events of a partition the group has yet to handle. */
  reportLag(partition: number, lag: number): void;
}

/** One consumer of a group: started (and restarted while Kafka is unreachable) until stopped. */
class Subscription {
  private readonly stopping = new AbortController();
  private consumer: Consumer | undefined;
  private readonly running: Promise<void>;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly context: SubscriptionContext,
    private readonly group: string,
    private readonly handler: (event: TandemEvent) => Promise<void>,
  ) {
    this.running = this.run();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort();
      await this.running;
      await this.consumer?.disconnect();
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    for (let delay = CONNECT_RETRY_MS.first; !this.stopping.signal.aborted; ) {
      const consumer = this.context.consumer();
      this.consumer = consumer;
      try {
        await this.context.ensureTopic();
        await consumer.connect();
        await consumer.subscribe({ topics: [this.context.topic], fromBeginning: true });
        await consumer.run({
          eachBatchAutoResolve: false,
          autoCommitInterval: 1_000,
          eachBatch: (payload) => this.consume(payload),
        });
        return;
      } catch (err) {
        this.context.log.warn({ err, group: this.group }, 'could not start an event consumer; will retry');
        await consumer.disconnect().catch(() => undefined);
        this.consumer = undefined;
        await pause(delay, this.stopping.signal);
        delay = Math.min(delay * 2, CONNECT_RETRY_MS.max);
      }
    }
  }

  private async consume({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    const highWatermark = Number(batch.highWatermark);
    let handled = Number(batch.firstOffset());
    this.context.reportLag(batch.partition, highWatermark - handled);
    // kafkajs heartbeats only when asked: without this a batch slower than the session timeout
    // would be dropped from the group, and its events handed to another consumer. A failed
    // heartbeat (a rebalance) shows in isRunning/isStale before the next event.
    const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || this.stopping.signal.aborted) return;
        const event = this.decode(message.value, batch.partition, message.offset);
        if (event && !(await this.handle(event, heartbeat, isRunning))) return;
        resolveOffset(message.offset);
        handled = Number(message.offset) + 1;
        await commitOffsetsIfNecessary();
      }
    } finally {
      clearInterval(keepAlive);
      this.context.reportLag(batch.partition, highWatermark - handled);
    }
  }

  /** Runs the handler until it succeeds (true), or until the consumer stops (false: the event stays uncommitted). */
  private async handle(event: TandemEvent, heartbeat: () => Promise<void>, isRunning: () => boolean) {
    for (let attempt = 1, delay = HANDLER_RETRY_MS.first; ; attempt++) {
      try {
        await this.handler(event);
        return true;
      } catch (err) {
        if (!isRunning()) return false;
        this.context.log.warn(
          { err, group: this.group, docId: event.docId, type: event.type, attempt },
          'event handler failed; will retry',
        );
        await pause(delay, this.stopping.signal);
        delay = Math.min(delay * 2, HANDLER_RETRY_MS.max);
        if (!isRunning() || this.stopping.signal.aborted) return false;
        await heartbeat();
      }
    }
  }

  /** The event of a message; a message that is not one (no retry could make it one) is logged and skipped. */
  private decode(value: Buffer | null, partition: number, offset: string): TandemEvent | undefined {
    try {
      const event = JSON.parse(value?.toString('utf8') ?? 'null') as TandemEvent | null;
      if (event && typeof event.type === 'string' && typeof event.docId === 'string') return event;
    } catch {
      // Reported below with the message's position.
    }
    this.context.log.error(
      { group: this.group, partition, offset },
      'skipped a message that is not an event',
    );
    return undefined;
  }
}
