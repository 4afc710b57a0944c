/**
 * The scheduler's one timer. It calls `onWake` at (never before) the target time: Node's
 * `setTimeout` may fire a millisecond early and cannot wait longer than 2^31-1 ms, so an early
 * or chunked wake-up just re-arms for the rest.
 */
export declare class WakeTimer {
    private readonly onWake;
    private readonly unref;
    private readonly clock;
    private handle;
    private at;
    constructor(onWake: () => void, unref: boolean, clock?: () => number);
    /** The time the timer is set for, or null. */
    get target(): number | null;
    /** Sets the timer for `at` (epoch ms), replacing any earlier setting; null clears it. */
    set(at: number | null): void;
    clear(): void;
    private arm;
}
