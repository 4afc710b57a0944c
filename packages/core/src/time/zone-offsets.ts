/**
 * UTC offsets of an IANA zone at any instant, from a table built as it is asked: one day of the
 * zone at a time, each day known by the offsets at its two ends and, when they differ, the
 * instant of the change between them (found to the millisecond). A cron schedule asks for the
 * offsets around every fire time; with the table, all but the first question of a day cost a
 * lookup instead of a call into `Intl`.
 *
 * The formatter is the one `Intl` had when this module loaded: test doubles installed later
 * (fake timers replace `Date` and wrap `Intl.DateTimeFormat`) would make each call far slower.
 */
const NativeDateTimeFormat = Intl.DateTimeFormat;
const NativeDate = Date;

const DAY = 86_400_000;
/** Days kept per zone; older ones are dropped all at once (they are cheap to build again). */
const MAX_DAYS = 16_384;
/** The longest stretch {@link ZoneOffsets.steady} looks through, days. */
const MAX_STEADY_DAYS = 400;

/** One day of a zone: its offset at the start, and the instant it changes within it, if it does. */
interface Day {
  readonly first: number;
  /** The first instant with the later offset, or null when the offset holds all day. */
  readonly change: number | null;
  readonly last: number;
}

/**
 * A zone's offsets (ms to add to an instant to get its wall time). Days whose two ends agree are
 * taken as constant: no zone changes its offset twice within one day and back.
 */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, Day>();
  private readonly last = { day: Number.NaN, entry: undefined as Day | undefined };

  constructor(zone: string) {
    this.format = new NativeDateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The offset at `instant`, ms. */
  offset(instant: number): number {
    const index = Math.floor(instant / DAY);
    let day = this.last.day === index ? this.last.entry : this.days.get(index);
    if (day === undefined) {
      day = this.build(index);
      if (this.days.size >= MAX_DAYS) this.days.clear();
      this.days.set(index, day);
    }
    this.last.day = index;
    this.last.entry = day;
    return day.change === null || instant < day.change ? day.first : day.last;
  }

  /**
   * Whether the offset is one and the same from `from` to `to` (false past `MAX_STEADY_DAYS`,
   * where the caller looks the long way instead).
   */
  steady(from: number, to: number): boolean {
    const first = Math.floor(from / DAY);
    const last = Math.floor(to / DAY);
    if (last - first > MAX_STEADY_DAYS) return false;
    const offset = this.offset(from);
    for (let index = first; index <= last; index++) {
      this.offset(index * DAY);
      const day = this.last.entry!;
      if (day.change !== null || day.first !== offset) return false;
    }
    return true;
  }

  private build(index: number): Day {
    const start = index * DAY;
    const end = start + DAY - 1;
    const first = this.read(start);
    const last = this.read(end);
    if (first === last) return { first, change: null, last };
    // The first instant showing the later offset: a binary search over the day, to the ms.
    let low = start;
    let high = end;
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (this.read(middle) === first) low = middle;
      else high = middle;
    }
    return { first, change: high, last };
  }

  /** The offset at `instant` as `Intl` tells it: the wall time it shows, less the instant. */
  private read(instant: number): number {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(instant)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          // Some engines print midnight as 24 even with hourCycle h23.
          hour = Number(part.value) % 24;
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value.startsWith('B');
          break;
        default:
          break;
      }
    }
    const wall = new NativeDate(0);
    wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
    wall.setUTCHours(hour, minute, second, 0);
    // The wall time is read to the second: compare with the instant floored to the second.
    return wall.getTime() - (instant - (((instant % 1000) + 1000) % 1000));
  }
}

const zones = new Map<string, ZoneOffsets>();

/** The offsets of a zone, shared by every schedule in it. */
export function zoneOffsets(zone: string): ZoneOffsets {
  let offsets = zones.get(zone);
  if (offsets === undefined) {
    offsets = new ZoneOffsets(zone);
    zones.set(zone, offsets);
  }
  return offsets;
}
