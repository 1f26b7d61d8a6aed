import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveArtifacts } from '../maven.js';
import { kafkaReady } from '../probes.js';
import type { Instance, ServerDef } from '../server.js';
import { classpath } from './jvm.js';

const port = (inst: Instance): number => inst.ports[0] as number;
const controllerPort = (inst: Instance): number => inst.ports[1] as number;

const JVM_OPTIONS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-Djava.awt.headless=true',
];

/** A Kafka cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` prints. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka reserves ids that start with a dash (they would read as command-line flags).
    if (!id.startsWith('-')) return id;
  }
}

function writeConfig(inst: Instance): { properties: string; log4j: string } {
  const properties = join(inst.dataDir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort(inst)}`,
      `listeners=PLAINTEXT://127.0.0.1:${port(inst)},CONTROLLER://127.0.0.1:${controllerPort(inst)}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port(inst)}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(inst.dataDir, 'kraft')}`,
      // One broker: every internal topic with one replica, and consumer groups that form at once.
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'num.partitions=1',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'),
  );
  const log4j = join(inst.dataDir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=INFO',
      '',
    ].join('\n'),
  );
  return { properties, log4j };
}

/**
 * Kafka in KRaft mode (one process as broker and controller), from its artifacts on Maven
 * Central. The storage is formatted on first start only: a restart keeps topics and offsets.
 */
export const kafka: ServerDef<'kafka'> = {
  key: 'kafka',
  name: 'kafka',
  heavy: true,
  portCount: 2,
  startTimeoutMs: 90_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 30_000,
  prepare: (progress) => resolveArtifacts('kafka', progress).then(() => {}),
  async launch({ inst, launch, run }) {
    const { properties, log4j } = writeConfig(inst);
    const java = ['-cp', classpath('kafka'), `-Dlog4j.configuration=file:${log4j}`];
    if (!existsSync(join(inst.dataDir, 'kraft', 'meta.properties'))) {
      await run({
        label: 'kafka-format',
        command: 'java',
        args: ['-Xmx256m', ...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties],
        cwd: inst.dataDir,
      });
    }
    launch({
      label: 'kafka',
      command: 'java',
      args: [...JVM_OPTIONS, ...java, 'kafka.Kafka', properties],
      cwd: inst.dataDir,
    });
  },
  ready: (inst) => kafkaReady(port(inst)),
  endpoint: async (inst) => ({ brokers: [`127.0.0.1:${port(inst)}`] }),
};
