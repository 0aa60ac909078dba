'use strict';
// Where a report's logs and audit records come from: the control plane's store (the
// period and the one before it, a page at a time: bounded memory whatever the store
// holds), or a file of Auth0 logs read as `logs import` reads it, with no store. Both
// feed the core's ReportBuilder, which decides everything; this module does I/O.

const core = require('actionguard/control-plane');
const { bodiesOf } = require('../import.js');
const { endOfDay, instant } = require('./period.js');

/** Rows read from the store at once (one body for the core: under its 10,000 logs). */
const PAGE = 5000;
/** Lines of a file handed to the core at once (as `logs analyze` reads it). */
const FILE_CHUNK = 5000;

/**
 * @typedef {{ since: string, until: string, organization?: string | null, top?: number }} ReportRequest
 * @typedef {{ report: import('actionguard').Report, markdown: string, analysis?: import('actionguard').Analysis }} Built
 */

/** @param {ReportRequest} request */
function builderFor(request) {
  const made = core.newReportBuilder({ since: request.since, until: request.until, organization: request.organization ?? null, top: request.top ?? 10 });
  if (made.type !== 'success') {
    const [first] = made.errors;
    throw Object.assign(new Error(first.message), { code: first.code, path: first.path, exit: 2 });
  }
  return made.builder;
}

/**
 * The success of a core answer, or an Error with its first error's code.
 * @template {import('actionguard').LogFeedAnswer | import('actionguard').ReportAnswer} A
 * @param {A} answer
 * @returns {Extract<A, { type: 'success' }>}
 */
function check(answer) {
  if (answer.type !== 'success') {
    const [first] = /** @type {import('actionguard').Failure} */ (answer).errors;
    throw Object.assign(new Error(first?.message ?? 'the core refused'), { code: first?.code });
  }
  return /** @type {Extract<A, { type: 'success' }>} */ (answer);
}

/**
 * The report of the store's logs and audit records over the request's period (and the
 * one before it, for the trend). Every organization's logs are read: detection sees
 * campaigns across them; the core counts the rest for the organization asked.
 * @param {any} store
 * @param {ReportRequest} request
 * @returns {Promise<Built>}
 */
async function reportFromStore(store, request) {
  const builder = builderFor(request);
  try {
    const untilMs = Date.parse(request.until);
    const fromMs = Date.parse(request.since) - (untilMs - Date.parse(request.since));
    /** @type {{ ms: number, key: string } | null} */
    let after = null;
    for (;;) {
      const rows = await store.readLogs({ fromMs, untilMs, after, limit: PAGE });
      if (rows.length === 0) break;
      check(builder.feedLines(rows.map((/** @type {any} */ r) => r.raw).join('\n')));
      const last = rows[rows.length - 1];
      after = { ms: Number(last.date_ms), key: last.log_id };
      if (rows.length < PAGE) break;
    }
    after = null;
    for (;;) {
      const rows = await store.readAuditRecords({ fromMs, untilMs, after, limit: PAGE });
      if (rows.length === 0) break;
      check(builder.feedAudit(rows.map((/** @type {any} */ r) => r.raw).join('\n')));
      const last = rows[rows.length - 1];
      after = { ms: Number(last.at), key: last.id };
      if (rows.length < PAGE) break;
    }
    const { report, markdown } = check(builder.finish(false));
    return withAccessReview({ report, markdown }, await require('../governance/review.js').latest(store), request.organization ?? null);
  } finally {
    builder.free();
  }
}

/**
 * The latest access review (`actionguard review members`) as the report's last
 * section: the flagged organizations (or the one reported on) and their findings.
 * @param {Built} built
 * @param {any} review review.js latest(): null before the first review
 * @param {string | null} organization
 * @returns {Built}
 */
function withAccessReview(built, review, organization) {
  if (!review || !Array.isArray(review.organizations)) return built;
  const organizations = review.organizations.filter((/** @type {any} */ o) => organization === null || o.id === organization);
  const section = { generated_at: new Date(review.generated_ms).toISOString(), stale_days: review.stale_days, summary: review.summary, organizations };
  const md = ['', '## Access review', '', `From the review of ${section.generated_at} (stale: no successful login in ${review.stale_days} days).`, ''];
  if (organizations.length === 0) md.push(organization === null ? 'No organization flagged.' : 'This organization was not flagged.');
  else {
    md.push('| Organization | Members | Findings |', '|---|---|---|');
    const cell = (/** @type {unknown} */ t) =>
      String(t)
        .replace(/[|\\`*_[\]<>#]/g, (c) => `\\${c}`)
        .replace(/\p{Cc}/gu, '');
    for (const o of organizations) {
      const findings = Object.entries(o.findings)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      md.push(`| ${cell(o.name || o.id)} (${cell(o.id)}) | ${o.members} | ${cell(findings)} |`);
    }
  }
  return { report: /** @type {any} */ ({ ...built.report, access_review: section }), markdown: `${built.markdown}\n${md.join('\n')}` };
}

/**
 * The report of a file of Auth0 logs, with no store. `until` (a date, or a duration
 * before now) is by default the end of the UTC day of the file's last log (found in a
 * first pass over the file); `since` (a date, or a duration before `until`) 7 days
 * before it. Also answers `logs analyze`'s analysis of the whole file.
 * @param {string} file
 * @param {{ since?: string, until?: string, organization?: string | null, top?: number, nowMs?: number }} request
 * @returns {Promise<Built & { analysis: import('actionguard').Analysis }>}
 */
async function reportFromFile(file, request) {
  const nowMs = request.nowMs ?? Date.now();
  let untilMs;
  if (request.until === undefined) {
    /** @type {number | null} */
    let last = null;
    for await (const { body } of bodiesOf(file, FILE_CHUNK)) {
      const span = core.logSpan(body);
      if (span.type === 'success' && span.last_ms !== null) last = Math.max(last ?? span.last_ms, span.last_ms);
    }
    untilMs = endOfDay(last ?? nowMs);
  } else {
    untilMs = instant(request.until, nowMs, '--until');
  }
  const sinceMs = instant(request.since ?? '7d', untilMs, '--since');
  const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();
  const builder = builderFor({ ...request, since: iso(sinceMs), until: iso(untilMs) });
  try {
    for await (const { body } of bodiesOf(file, FILE_CHUNK)) check(builder.feed(body));
    const { report, markdown, analysis } = check(builder.finish(true));
    return { report, markdown, analysis: /** @type {import('actionguard').Analysis} */ (analysis) };
  } finally {
    builder.free();
  }
}

module.exports = { reportFromStore, reportFromFile };
