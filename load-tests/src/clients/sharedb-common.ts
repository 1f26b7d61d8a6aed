/** The ShareDB collection that holds the load test's documents (server and client agree on it). */
export const SHAREDB_COLLECTION = 'docs';
