import type { TriggerSpec } from '@horae/core';
import { CliError, EXIT } from './exit.js';

const UNITS: Record<string, 'seconds' | 'minutes' | 'hours' | 'days' | 'weeks'> = {
  s: 'seconds', sec: 'seconds', secs: 'seconds', second: 'seconds', seconds: 'seconds',
  m: 'minutes', min: 'minutes', mins: 'minutes', minute: 'minutes', minutes: 'minutes',
  h: 'hours', hr: 'hours', hrs: 'hours', hour: 'hours', hours: 'hours',
  d: 'days', day: 'days', days: 'days',
  w: 'weeks', week: 'weeks', weeks: 'weeks',
};

/**
 * A trigger written on a command line: a cron expression (`"0 3 * * *"`, `@daily`), an
 * interval (`every 15m`, `2h`, `every 30 seconds`), a date (`2026-12-24T18:00:00Z`), or the
 * trigger's JSON form (`'{"type":"cron","expression":"0 3 * * 1-5"}'`). The scheduler validates
 * what this returns, as `addTask` does.
 */
export function parseTriggerSpec(text: string, timezone: string | undefined): TriggerSpec {
  const spec = text.trim();
  const zone = timezone === undefined ? {} : { timezone };
  if (spec.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec);
    } catch (error) {
      throw new CliError(`the trigger ${spec} is not valid JSON: ${(error as Error).message}`, EXIT.usage);
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') {
      throw new CliError(`the trigger ${spec} has no "type": give e.g. {"type":"cron","expression":"0 3 * * *"}`, EXIT.usage);
    }
    return { ...zone, ...(parsed as TriggerSpec) };
  }
  const interval = /^(?:every\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(spec);
  if (interval !== null) {
    const unit = UNITS[interval[2]!.toLowerCase()];
    if (unit === undefined) throw new CliError(`unknown unit "${interval[2]!}" in ${JSON.stringify(spec)}: use s, m, h, d or w (every 15m, every 2 hours)`, EXIT.usage);
    return { type: 'interval', [unit]: Number(interval[1]), ...zone };
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(spec)) return { type: 'date', runAt: spec, ...zone };
  if (spec.startsWith('@') || spec.split(/\s+/).length >= 5) return { type: 'cron', expression: spec, ...zone };
  throw new CliError(
    `${JSON.stringify(spec)} is not a trigger: give a cron expression ("0 3 * * *", @daily), an interval (every 15m), a date (2026-12-24T18:00:00Z) or JSON ({"type":"cron",...})`,
    EXIT.usage,
  );
}
