'use strict';
// The period of a report, from a person's words: `--since 7d` (a duration before
// `until`: 30m, 24h, 7d, 2w), or a date or time (`2026-11-09`, `2026-11-09T12:00:00Z`);
// `--until` likewise (a duration before now), now by default. The core checks the rest
// (until after since, at most 366 days).

const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const DURATION = /^(\d{1,6})([mhdw])$/;
// A date, or a date and time with a zone (what Date.parse reads the same everywhere).
const ABSOLUTE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * @param {string} text
 * @param {number} fromMs what a duration counts back from
 * @param {string} name the option, for the message
 * @returns {number} ms since the epoch
 */
function instant(text, fromMs, name) {
  const d = DURATION.exec(text);
  if (d) return fromMs - Number(d[1]) * UNITS[/** @type {keyof typeof UNITS} */ (d[2])];
  const ms = ABSOLUTE.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms))
    throw Object.assign(new Error(`${name} is a duration (30m, 24h, 7d, 2w) or a date (2026-11-09, 2026-11-09T12:00:00Z)`), { exit: 2, code: 'invalid_period' });
  return ms;
}

/**
 * `{ since, until }` as ISO strings.
 * @param {{ since?: string, until?: string }} words
 * @param {number} nowMs
 */
function periodOf({ since = '7d', until }, nowMs) {
  const untilMs = until === undefined ? nowMs : instant(until, nowMs, '--until');
  const sinceMs = instant(since, untilMs, '--since');
  const iso = (/** @type {number} */ ms) => {
    const d = new Date(ms);
    if (Number.isNaN(d.getTime())) throw Object.assign(new Error('the period is out of range'), { exit: 2, code: 'invalid_period' });
    return d.toISOString();
  };
  return { since: iso(sinceMs), until: iso(untilMs) };
}

/** The end of the UTC day of `ms`: the next midnight after it (a period ends before its `until`). */
function endOfDay(/** @type {number} */ ms) {
  const day = 86_400_000;
  return Math.floor(ms / day) * day + day;
}

module.exports = { periodOf, instant, endOfDay };
