import { MAX_TIMER_DELAY } from '../time/time.js';

/**
 * The scheduler's one timer. It calls `onWake` at (never before) the target time: Node's
 * `setTimeout` may fire a millisecond early and cannot wait longer than 2^31-1 ms, so an early
 * or chunked wake-up just re-arms for the rest.
 */
export class WakeTimer {
  private handle: NodeJS.Timeout | undefined;
  private at: number | null = null;

  constructor(
    private readonly onWake: () => void,
    private readonly unref: boolean,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** The time the timer is set for, or null. */
  get target(): number | null {
    return this.at;
  }

  /** Sets the timer for `at` (epoch ms), replacing any earlier setting; null clears it. */
  set(at: number | null): void {
    this.clear();
    this.at = at;
    if (at !== null) this.arm();
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.at = null;
  }

  private arm(): void {
    const at = this.at!;
    const delay = Math.min(Math.max(at - this.clock(), 0), MAX_TIMER_DELAY);
    this.handle = setTimeout(() => {
      this.handle = undefined;
      if (this.at !== at) return;
      if (this.clock() < at) {
        this.arm();
        return;
      }
      this.at = null;
      this.onWake();
    }, delay);
    if (this.unref) (this.handle as { unref?: () => void }).unref?.();
  }
}
