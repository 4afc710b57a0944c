import type { Scheduler } from '@horae/core';

type Step = () => Promise<void> | void;

/**
 * What happens around the scheduler's start at application bootstrap: steps other parts of the
 * module register (the `@nestjs/schedule` drop-in times its jobs from this moment) run before
 * `start()` and after it, in the order registered. One object per `HoraeModule`, so that the
 * order does not depend on which provider Nest bootstraps first.
 */
export class Bootstrap {
  private readonly before: Step[] = [];
  private readonly after: Step[] = [];

  /** Runs `step` just before the scheduler starts. */
  beforeStart(step: Step): void {
    this.before.push(step);
  }

  /** Runs `step` once the scheduler has started. */
  afterStart(step: Step): void {
    this.after.push(step);
  }

  /** Starts the scheduler between the registered steps. */
  async start(scheduler: Scheduler): Promise<void> {
    for (const step of this.before) await step();
    await scheduler.start();
    for (const step of this.after) await step();
  }
}
