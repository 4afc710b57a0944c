/**
 * Wake-ups: how a store tells its scheduler to look for due work that another instance added or
 * moved earlier. A change stream of the tasks collection where the deployment has them (a replica
 * set or a sharded cluster), and a poll every `pollInterval` beside it (the only news on a
 * standalone server). Both are background work of one start, which a later start or a shutdown
 * stops.
 */
import type { StoreContext } from '@horae/core/store';
import type { ChangeStream, Document, Timestamp } from 'mongodb';
import type { Connection } from './connection.js';
import { logs } from './messages.js';

/** The longest wait between tries to create the indexes and open the change stream, ms. */
const RETRY_INTERVAL = 1_000;

/** Change stream events that can make work due earlier: new tasks and changed schedules. */
const CHANGES_THAT_WAKE: Document[] = [
  {
    $match: {
      $or: [
        { operationType: { $in: ['insert', 'replace', 'drop', 'rename', 'dropDatabase', 'invalidate'] } },
        // Not a release (marked releasedBy): it only moves a run time later, and the instance that
        // released will run the next fire (should it die, the others find it by their poll).
        // Waking every instance for every release cost each of them a claim round per batch.
        { operationType: 'update', 'updateDescription.updatedFields.revision': { $exists: true }, 'updateDescription.updatedFields.releasedBy': { $exists: false } },
        { operationType: 'update', 'updateDescription.updatedFields.nextRunTime': { $exists: true }, 'updateDescription.updatedFields.releasedBy': { $exists: false } },
      ],
    },
  },
  // Only the fact of a change is needed.
  { $project: { operationType: 1 } },
];

/** Wakes the scheduler when another instance changed what is due: the change stream, and the poll. */
export class WakeUps {
  private stream: ChangeStream | undefined;
  /** The stream is closed while this instance drains due tasks (see {@link drainingChanged}). */
  private streamSuspended = false;
  /** Suspending and reopening the stream, one after another. */
  private streamTransition: Promise<void> = Promise.resolve();
  /** Whether the deployment has change streams; asked once per start. */
  private hasChangeStreams: boolean | undefined;
  private poller: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Raised by every start and shutdown: background work of an earlier start stops. */
  private generation = 0;
  private wake: () => void = () => undefined;

  constructor(
    private readonly connection: Connection,
    private readonly settings: { readonly watchChanges: boolean; readonly pollInterval: number },
  ) {}

  /** Stops what an earlier start began; resolves to the new start's generation. */
  async newGeneration(): Promise<number> {
    await this.stopListening();
    return ++this.generation;
  }

  /**
   * Polls, creates the indexes and opens the change stream. Does not fail when MongoDB cannot be
   * reached: it logs a warning and tries again in the background, polling meanwhile.
   */
  async start(context: StoreContext, generation: number): Promise<void> {
    const { pollInterval, watchChanges } = this.settings;
    this.wake = () => context.wake();
    this.poller = setInterval(() => context.wake(), pollInterval);
    this.poller.unref();
    try {
      await this.connection.ready();
      await this.listen(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.connection.logger.warn(logs.unreachableAtStart(this.connection.alias, error, watchChanges, pollInterval));
      this.listenLater(generation);
    }
  }

  /** Stops the poll and the change stream, and whatever background work is still to come. */
  async stop(): Promise<void> {
    this.generation++;
    await this.stopListening();
  }

  /**
   * A claim that took a full batch, or that saw more due tasks than it won, is followed by another
   * at once (the scheduler claims again while it dispatches, or as soon as it finds due work left),
   * so an instance draining due tasks needs no news of changes. Each write costs every open change
   * stream work on the server (a wake-up and a look at the oplog; with three instances draining,
   * about a quarter of mongod's CPU), so the stream is closed for the drain, and opened again by
   * the first claim that finds no more due tasks, before that claim returns: the scheduler reads
   * when its next work is only after it, so nothing that changed meanwhile is missed.
   */
  async drainingChanged(draining: boolean): Promise<void> {
    // The state changes at once, in call order; only the closing and opening wait their turn.
    if (draining) {
      const stream = this.stream;
      if (stream === undefined) return;
      this.stream = undefined; // so that follow() takes the close for ours
      this.streamSuspended = true;
      this.streamTransition = this.streamTransition.then(() => stream.close().catch(() => undefined));
      return;
    }
    if (this.streamSuspended) {
      this.streamSuspended = false;
      const generation = this.generation;
      this.streamTransition = this.streamTransition.then(async () => {
        if (generation !== this.generation) return;
        try {
          await this.listen(generation);
        } catch (error) {
          if (generation !== this.generation) return;
          this.connection.logger.debug(logs.streamNotReopened(this.connection.alias, error, this.settings.pollInterval));
          this.listenLater(generation);
        }
      });
    }
    // Opening must be done (this call's, or a concurrent claim's) before the scheduler reads its next work.
    await this.streamTransition;
  }

  /**
   * Opens the change stream where wanted and supported. It starts at the server's time of a
   * command sent first, so every change from that moment on is seen, and this need not wait for
   * the cursor (whose first read waits up to a second for news).
   */
  private async listen(generation: number): Promise<void> {
    if (!this.settings.watchChanges || this.hasChangeStreams === false) return;
    const reply = await this.connection.client().db('admin').command(this.hasChangeStreams === undefined ? { hello: 1 } : { ping: 1 });
    if (generation !== this.generation) return;
    if (this.hasChangeStreams === undefined) {
      this.hasChangeStreams = typeof reply.setName === 'string' || reply.msg === 'isdbgrid';
      if (!this.hasChangeStreams) {
        this.connection.logger.info(logs.standalone(this.connection.alias, this.settings.pollInterval));
        return;
      }
    }
    const since = reply.operationTime as Timestamp | undefined;
    const stream = this.connection.tasks().watch(CHANGES_THAT_WAKE, since === undefined ? {} : { startAtOperationTime: since });
    this.stream = stream;
    void this.follow(stream, generation);
  }

  /** Wakes the scheduler at every change. The driver resumes the stream across brief failures. */
  private async follow(stream: ChangeStream, generation: number): Promise<void> {
    try {
      for (;;) {
        await stream.next();
        // A read under way when the stream was closed (shutdown, or a drain) may still bring news.
        if (this.stream !== stream) return;
        this.wake();
      }
    } catch (error) {
      if (this.stream !== stream || generation !== this.generation) return; // closed by shutdown or a drain
      this.stream = undefined;
      void stream.close().catch(() => undefined);
      this.connection.logger.debug(logs.streamFailed(this.connection.alias, error, this.settings.pollInterval));
      // Changes may have been missed meanwhile.
      this.wake();
      this.listenLater(generation);
    }
  }

  /**
   * Tries to create the indexes and open the change stream again, every `pollInterval` (at most
   * every second), until it works.
   */
  private listenLater(generation: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.connection
        .ready()
        .then(() => this.listen(generation))
        .then(
          () => {
            if (generation === this.generation) this.wake(); // whatever changed meanwhile
          },
          (error: unknown) => {
            if (generation !== this.generation) return;
            this.connection.logger.debug(logs.stillUnreachable(this.connection.alias, error));
            this.listenLater(generation);
          },
        );
    }, Math.min(this.settings.pollInterval, RETRY_INTERVAL));
    this.retryTimer.unref();
  }

  private async stopListening(): Promise<void> {
    this.streamSuspended = false;
    this.hasChangeStreams = undefined;
    clearInterval(this.poller);
    clearTimeout(this.retryTimer);
    this.poller = undefined;
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined) await stream.close().catch(() => undefined);
  }
}
