/**
 * Point-to-point messages to one member of a fleet: a gateway sends a submitted op to the
 * inbox of the worker that owns its document, and the worker answers to the inbox of the
 * gateway, which the message names. Messages cross processes as JSON, so they must be
 * JSON-serializable (no undefined, Date, Map or class instance survives), and a receiver
 * validates what it gets, as any input from another process.
 *
 * At most once, in send order from one sender to one member: a message to a member that
 * is not receiving is dropped, and one in flight when its receiver dies is lost. Senders
 * time out and retry; an op carries (clientId, seq), so a retried op is never applied twice.
 */
export interface Inbox<M = unknown> {
  /** Sends `message` to the inbox of `memberId`; resolves to whether a receiver was there to take it. */
  send(memberId: string, message: M): Promise<boolean>;
  /**
   * Hands `handler` every message sent to `memberId` from the moment it resolves. A worker
   * awaits this before it joins the membership, so nothing is routed to it before it
   * listens. Resolves to the function that stops receiving, which resolves once the
   * broker has stopped delivering (so a send after it finds no receiver).
   */
  receive(memberId: string, handler: (message: M) => void): Promise<() => Promise<void>>;
}
