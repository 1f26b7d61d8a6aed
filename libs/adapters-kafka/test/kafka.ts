import { randomBytes } from 'node:crypto';
import { readEndpoints } from '@tandem/testkit';
import { Kafka } from 'kafkajs';

/** The brokers of `pnpm infra:up` (readEndpoints fails, naming Kafka, when it was not started). */
export function brokers(): string[] {
  return readEndpoints().kafka.brokers;
}

/** A name no other test or run uses, for topics and groups. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers(), logLevel: 0 }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once `check` holds, polling it; rejects after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
