import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactDir, resolveArtifacts } from '../maven.js';
import { cqlReady } from '../probes.js';
import type { Instance, ServerDef } from '../server.js';
import { classpath } from './jvm.js';

const nativePort = (inst: Instance): number => inst.ports[0] as number;
const storagePort = (inst: Instance): number => inst.ports[1] as number;

/**
 * From conf/jvm-server.options and conf/jvm17-server.options of Cassandra 5.0, less what only
 * matters for big production heaps (AlwaysPreTouch, NUMA); the heap is small, as for tests.
 */
const JVM_OPTIONS = [
  '-Xms512m',
  '-Xmx1g',
  '-Xss256k',
  '-ea',
  '-da:net.openhft...',
  '-XX:+UseThreadPriorities',
  '-XX:+UseTLAB',
  '-XX:+ResizeTLAB',
  '-XX:+PerfDisableSharedMem',
  '-Djava.net.preferIPv4Stack=true',
  '-XX:+UseG1GC',
  '-XX:+ParallelRefProcEnabled',
  '-XX:MaxTenuringThreshold=1',
  '-XX:G1RSetUpdatingPauseTimePercent=5',
  '-XX:MaxGCPauseMillis=300',
  '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports=java.sql/java.sql=ALL-UNNAMED',
  '--add-exports=java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
  '-XX:+ExitOnOutOfMemoryError',
  // One node, its own seed: no gossip to settle and no ring to learn before joining it (the
  // default waits 30 s).
  '-Dcassandra.skip_wait_for_gossip_to_settle=0',
  '-Dcassandra.ring_delay_ms=1000',
];

function writeConfig(inst: Instance): { yaml: string; logback: string } {
  const dir = (name: string) => join(inst.dataDir, name);
  const yaml = join(inst.dataDir, 'cassandra.yaml');
  writeFileSync(
    yaml,
    [
      'cluster_name: tandem',
      'num_tokens: 16',
      'allocate_tokens_for_local_replication_factor: 1',
      'partitioner: org.apache.cassandra.dht.Murmur3Partitioner',
      'endpoint_snitch: SimpleSnitch',
      'seed_provider:',
      '  - class_name: org.apache.cassandra.locator.SimpleSeedProvider',
      '    parameters:',
      `      - seeds: "127.0.0.1:${storagePort(inst)}"`,
      'listen_address: 127.0.0.1',
      'rpc_address: 127.0.0.1',
      `storage_port: ${storagePort(inst)}`,
      `native_transport_port: ${nativePort(inst)}`,
      'start_native_transport: true',
      'commitlog_sync: periodic',
      'commitlog_sync_period: 10000ms',
      `data_file_directories: [${dir('data')}]`,
      `commitlog_directory: ${dir('commitlog')}`,
      `saved_caches_directory: ${dir('saved_caches')}`,
      `hints_directory: ${dir('hints')}`,
      `cdc_raw_directory: ${dir('cdc_raw')}`,
      // Tests drop and truncate tables often; a snapshot of each would cost time and disk.
      'auto_snapshot: false',
      'concurrent_compactors: 1',
      // A new cluster with nothing to upgrade from: the 5.0 storage formats from the start.
      'storage_compatibility_mode: NONE',
      '',
    ].join('\n'),
  );
  const logback = join(inst.dataDir, 'logback.xml');
  writeFileSync(
    logback,
    `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`,
  );
  return { yaml, logback };
}

/**
 * Cassandra 5.0 from cassandra-all and its dependencies on Maven Central, one node, CQL on the
 * first port. The slowest server to start (about 20 s on 2 cores).
 */
export const cassandra: ServerDef<'cassandra'> = {
  key: 'cassandra',
  name: 'cassandra',
  heavy: true,
  portCount: 2,
  startTimeoutMs: 180_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 30_000,
  prepare: (progress) => resolveArtifacts('cassandra', progress).then(() => {}),
  async launch({ inst, launch }) {
    const { yaml, logback } = writeConfig(inst);
    const lib = join(artifactDir('cassandra'), 'lib');
    const jamm = readdirSync(lib).find((name) => /^jamm-.*\.jar$/.test(name));
    launch({
      label: 'cassandra',
      command: 'java',
      args: [
        ...JVM_OPTIONS,
        // Cassandra measures the memory its objects take with jamm, as an agent.
        ...(jamm === undefined ? [] : [`-javaagent:${join(lib, jamm)}`]),
        `-Dcassandra.config=file://${yaml}`,
        `-Dlogback.configurationFile=${logback}`,
        `-Dcassandra.storagedir=${inst.dataDir}`,
        `-Dcassandra.logdir=${inst.logDir}`,
        '-Dcassandra-foreground=yes',
        '-cp',
        classpath('cassandra'),
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      cwd: inst.dataDir,
    });
  },
  ready: (inst) => cqlReady(nativePort(inst)),
  endpoint: async (inst) => ({
    contactPoints: [`127.0.0.1:${nativePort(inst)}`],
    localDataCenter: 'datacenter1',
  }),
};
