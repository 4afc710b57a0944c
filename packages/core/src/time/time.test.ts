import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { toEpoch } from './time.js';

describe('toEpoch', () => {
  it('reads instants as records write them exactly, and agrees with the full ISO reader on the rest', () => {
    const inputs = [
      '2026-11-30T20:55:10.123Z',
      '0001-01-01T00:00:00.000Z',
      '2026-02-28T23:59:59.999Z',
      '2024-02-29T12:00:00.000Z',
      '2026-02-30T00:00:00.000Z', // no such day: Date.parse alone would roll it over to March 2
      '2026-01-01T24:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.5Z',
      '2026-03-29T02:30:00',
    ];
    for (const input of inputs) {
      const full = DateTime.fromISO(input, { zone: 'Europe/Berlin', setZone: true });
      expect(toEpoch(input, 'Europe/Berlin'), input).toBe(full.isValid ? full.toMillis() : undefined);
    }
    expect(toEpoch('2026-02-30T00:00:00.000Z', 'UTC')).toBeUndefined();
  });
});
