import { execFile } from 'node:child_process';
import { connect } from 'node:net';

/**
 * Health probes that speak each server's own protocol, so "healthy" means the server answers
 * requests, not only that its port is open. They need no client library.
 */

/** Sends `request` and resolves with the reply once `complete` says it is whole. */
function exchange(
  port: number,
  request: Buffer,
  complete: (reply: Buffer) => boolean,
  timeoutMs = 2_000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply on port ${port}`)));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`port ${port} closed the connection`)));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      if (complete(reply)) {
        socket.removeAllListeners('close');
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

const succeeds = (probe: () => Promise<boolean>): Promise<boolean> => probe().catch(() => false);

function encodeResp(args: readonly string[]): Buffer {
  return Buffer.from(
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
  );
}

/** One Redis command; the reply as text (simple string, integer or bulk string). */
export async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const reply = await exchange(port, encodeResp(args), (buf) => {
    const eol = buf.indexOf('\r\n');
    if (eol < 0) return false;
    if (buf[0] !== 0x24 /* $ */) return true;
    const length = Number(buf.subarray(1, eol).toString());
    return length < 0 || buf.length >= eol + 2 + length + 2;
  });
  const eol = reply.indexOf('\r\n');
  const head = reply.subarray(1, eol).toString();
  switch (String.fromCharCode(reply[0] ?? 0)) {
    case '+':
    case ':':
      return head;
    case '$':
      return reply.subarray(eol + 2, eol + 2 + Number(head)).toString();
    default:
      throw new Error(`redis on port ${port}: ${reply.toString().trim()}`);
  }
}

export const redisReady = (port: number): Promise<boolean> =>
  succeeds(async () => (await redisCommand(port, 'PING')) === 'PONG');

/** CQL native protocol v4 OPTIONS; Cassandra opens this port last, once it serves queries. */
export const cqlReady = (port: number): Promise<boolean> =>
  succeeds(async () => {
    const options = Buffer.from([0x04, 0, 0, 0, 0x05, 0, 0, 0, 0]);
    const reply = await exchange(
      port,
      options,
      (buf) => buf.length >= 9 && buf.length >= 9 + buf.readInt32BE(5),
    );
    return reply[4] === 0x06; // SUPPORTED
  });

/**
 * Kafka Metadata v1 for no topics: a broker answers only once it has finished starting, and the
 * reply lists at least itself.
 */
export const kafkaReady = (port: number): Promise<boolean> =>
  succeeds(async () => {
    const clientId = Buffer.from('tandem-infra');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
    let at = body.writeInt16BE(3, 0); // api key: Metadata
    at = body.writeInt16BE(1, at); // api version
    at = body.writeInt32BE(1, at); // correlation id
    at = body.writeInt16BE(clientId.length, at);
    at += clientId.copy(body, at);
    body.writeInt32BE(0, at); // topics: none
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const reply = await exchange(
      port,
      Buffer.concat([size, body]),
      (buf) => buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0),
    );
    return reply.readInt32BE(8) >= 1; // after size and correlation id: the number of brokers
  });

/** Any HTTP answer, or with `statuses`, one of those. */
export const httpReady = (url: string, statuses?: readonly number[]): Promise<boolean> =>
  succeeds(async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return statuses === undefined || statuses.includes(response.status);
  });

export const pgReady = (pgIsReady: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    execFile(pgIsReady, ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '2'], (err) =>
      resolve(err === null),
    );
  });
