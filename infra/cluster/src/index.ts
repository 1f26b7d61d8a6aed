export { type Cluster, type ClusterOptions, clusterEnv, startCluster } from './cluster.js';
export { freePort, type ServiceName, type ServiceProcess, startService } from './service-process.js';
