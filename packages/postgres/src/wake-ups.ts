/**
 * Wake-ups: how a store tells its scheduler to look for due work that another instance added or
 * moved earlier. Writes that can do that send a notification on the store's channel in the same
 * statement (see {@link WakeUps.notice}); every store `LISTEN`s on a connection of its own and
 * wakes its scheduler for other stores' notifications, not its own. A poll every `pollInterval`
 * covers notifications lost while the listening connection was down. Both are background work of
 * one start, which a later start or a shutdown stops.
 */
import { randomUUID } from 'node:crypto';
import { isHoraeError, type StoreContext } from '@horae/core/store';
import pg from 'pg';
import type { Connection } from './connection.js';
import { logs } from './messages.js';

/** A connection that listens, and how to let go of it. */
interface Listener {
  readonly client: pg.ClientBase;
  close(): Promise<void>;
}

/** Wakes the scheduler when another store changed what is due: the listening connection, and the poll. */
export class WakeUps {
  /** Tells this store's own notifications from other stores': unique per store object. */
  private readonly token = randomUUID();
  private listener: Listener | undefined;
  private poller: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Bumped by every start and stop, so that work of an earlier start stops itself. */
  private generation = 0;

  constructor(
    private readonly connection: Connection,
    private readonly settings: { readonly notify: boolean; readonly pollInterval: number },
  ) {}

  /** The channel and payload of this store's notifications, as the last two parameters of a write. */
  notice(): [string, string] {
    return [this.connection.names.channel, this.token];
  }

  /**
   * Migrates the tables and listens, and polls. Does not fail when PostgreSQL cannot be reached:
   * it logs a warning and tries again in the background, polling meanwhile (the scheduler starts
   * and retries its store calls until PostgreSQL answers). Fails on what trying again cannot mend:
   * tables of a newer version, a table that is not the store's.
   */
  async start(context: StoreContext): Promise<void> {
    await this.stop();
    const generation = ++this.generation;
    this.poller = setInterval(() => context.wake(), this.settings.pollInterval);
    this.poller.unref();
    try {
      await this.connect(context, generation);
    } catch (error) {
      if (isHoraeError(error)) {
        await this.stop();
        throw error;
      }
      this.connection.logger.warn(logs.unreachableAtStart(this.connection.alias, error, this.settings.notify, this.settings.pollInterval));
      this.tryAgain(context, generation);
    }
  }

  /** Stops the poll, the retries and the listening connection. */
  async stop(): Promise<void> {
    this.generation++;
    if (this.poller !== undefined) clearInterval(this.poller);
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.poller = this.retry = undefined;
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) await listener.close();
  }

  /** Migrates (once) and opens the listening connection, unless `notify` is off. */
  private async connect(context: StoreContext, generation: number): Promise<void> {
    await this.connection.ready();
    if (!this.settings.notify || generation !== this.generation) return;
    const listener = await this.openListener();
    if (generation !== this.generation) {
      await listener.close();
      return;
    }
    let lost = false;
    const onLost = (error: unknown): void => {
      if (lost || generation !== this.generation) return;
      lost = true;
      this.connection.logger.debug(logs.listenLost(this.connection.alias, error, this.settings.pollInterval));
      if (this.listener === listener) this.listener = undefined;
      void listener.close();
      this.tryAgain(context, generation);
    };
    listener.client.on('error', onLost);
    listener.client.on('end', () => onLost(new Error('the connection was closed')));
    listener.client.on('notification', (message) => {
      if (message.channel === this.connection.names.channel && message.payload !== this.token) context.wake();
    });
    this.listener = listener;
    try {
      await listener.client.query(`LISTEN ${pg.escapeIdentifier(this.connection.names.channel)}`);
    } catch (error) {
      onLost(error);
    }
  }

  /** Tries to connect again in a moment; once connected, wakes the scheduler (changes may have been missed). */
  private tryAgain(context: StoreContext, generation: number): void {
    if (generation !== this.generation) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect(context, generation).then(
        () => {
          if (generation === this.generation) context.wake();
        },
        (error: unknown) => {
          if (generation !== this.generation) return;
          this.connection.logger.debug(logs.stillUnreachable(this.connection.alias, error));
          this.tryAgain(context, generation);
        },
      );
    }, Math.min(this.settings.pollInterval, 1_000));
    this.retry.unref();
  }

  /** A connection of its own: one of the given pool's (held while listening), or a client beside the store's pool. */
  private async openListener(): Promise<Listener> {
    const given = this.connection.settings.pool;
    if (given !== undefined) {
      const client = await given.connect();
      return {
        client,
        close: () => {
          client.removeAllListeners('notification');
          // Destroyed, not returned: a connection still listening must not serve queries.
          client.release(true);
          return Promise.resolve();
        },
      };
    }
    const client = new pg.Client(this.connection.clientConfig());
    // Errors before the listeners above are attached (a refused connection) reject connect().
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return {
      client,
      close: async () => {
        client.removeAllListeners('notification');
        await client.end().catch(() => undefined);
      },
    };
  }
}
