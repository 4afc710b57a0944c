/**
 * Wake-ups: how a store tells its scheduler to look for due work that another instance added or
 * moved earlier. Every write publishes a change message on the store's channel (its
 * {@link WakeUps.announcement}), which wakes the schedulers of the other stores subscribed to it,
 * not the writer's own. A poll every `pollInterval` covers messages lost while reconnecting. Both
 * are background work of one start, which a later start or a shutdown stops.
 */
import { randomUUID } from 'node:crypto';
import type { StoreContext } from '@horae/core/store';
import type { Cluster, Redis } from 'ioredis';
import { describe, isCluster, type Connection } from './connection.js';

/** Wakes the scheduler when another store changed what is due: the subscription, and the poll. */
export class WakeUps {
  /** Tells this store's own change messages from other stores': unique per store object. */
  private readonly token = randomUUID();
  private subscriber: Redis | Cluster | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly pollInterval: number,
  ) {}

  /**
   * Subscribes to change messages and polls. Does not fail when Redis cannot be reached: it logs
   * a warning, and subscribes once Redis answers, polling meanwhile.
   */
  async start(context: StoreContext): Promise<void> {
    const { connection } = this;
    const subscriber = connection.openSubscriber();
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === connection.keys.channel && !this.isOwnMessage(message)) context.wake();
    });
    const subscribe = (): Promise<void> =>
      subscriber.subscribe(connection.keys.channel).then(
        () => undefined,
        (error: unknown) => {
          // Rejected only when the connection was closed: by shutdown, or for good.
          if (this.subscriber === subscriber) connection.logger.error(`Store "${connection.alias}" could not subscribe to change messages; it polls every ${this.pollInterval} ms.`, error);
        },
      );
    let connectedBefore = false;
    let readyBefore = false;
    subscriber.on('ready', () => {
      // A reconnection: subscribe again (a Cluster's subscriber does so by itself), here rather
      // than by ioredis's autoResubscribe, whose SUBSCRIBE nobody awaits: cut short by shutdown,
      // it was an unhandled "Connection is closed." rejection.
      if (readyBefore && !isCluster(subscriber)) void subscribe();
      readyBefore = true;
      // After a reconnection changes may have been missed.
      if (connectedBefore) context.wake();
      connectedBefore = true;
    });
    const subscribed = subscribe();
    // Redis down at start: the scheduler starts anyway and retries its store calls; the
    // subscription is made as soon as Redis answers (the command waits in the offline queue).
    let onError: (error: unknown) => void = () => undefined;
    const failed = new Promise<unknown>((resolve) => {
      onError = resolve;
      subscriber.once('error', onError);
    });
    const outcome = await Promise.race([subscribed, failed]);
    subscriber.off('error', onError);
    if (outcome !== undefined) {
      // Whatever changed before Redis answers, the first connection should be news too.
      connectedBefore = true;
      connection.logger.warn(
        `Store "${connection.alias}" cannot reach Redis yet (${describe(outcome)}); it will subscribe to change messages once Redis answers, and polls every ${this.pollInterval} ms meanwhile.`,
      );
    }
    this.poller = setInterval(() => context.wake(), this.pollInterval);
    this.poller.unref();
  }

  /** Stops the poll and closes the subscriber. */
  async stop(): Promise<void> {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber !== undefined) {
      subscriber.removeAllListeners('message');
      subscriber.removeAllListeners('ready');
      // No QUIT: the subscription holds nothing to flush, and QUIT would wait for a reconnection.
      subscriber.disconnect();
      await Promise.resolve();
    }
  }

  /** The channel and message every write publishes: the writer's instance id and store token. */
  announcement(): [string, string] {
    return [this.connection.keys.channel, JSON.stringify({ instance: this.connection.instanceId, store: this.token })];
  }

  private isOwnMessage(message: string): boolean {
    try {
      return (JSON.parse(message) as { store?: unknown }).store === this.token;
    } catch {
      return false; // not ours, whatever it is: waking up is harmless
    }
  }
}
