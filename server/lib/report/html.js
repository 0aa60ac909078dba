'use strict';
// The report as one self-contained HTML page: inline CSS, the charts as inline SVG
// drawn on the server (charts.js), every number also in a table (for screen readers,
// printing and copying), no script, and a Content-Security-Policy that lets it load
// nothing at all. Every string that came from the logs or the audit records
// (organization ids, domains, clients, audiences, subjects, reason codes) is escaped.

const { chartSpecs, toSvg } = require('./charts.js');

/** The page's policy: nothing is fetched, nothing runs; styles are inline. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** Text as HTML text or attribute value. */
function esc(/** @type {unknown} */ value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const num = (/** @type {number} */ n) => n.toLocaleString('en-US');
const words = (/** @type {string} */ code) => code.replaceAll('_', ' ');

/** `+20%`, `-25%`, `new`, or `–` (as the Markdown renderer writes them). */
function change(/** @type {{ current: number, previous: number }} */ t) {
  if (t.previous === 0) return t.current > 0 ? 'new' : '–';
  const p = Math.round(((t.current - t.previous) / t.previous) * 100);
  return p > 0 ? `+${p}%` : `${p}%`;
}

const pct = (/** @type {number | null} */ s) => (s === null ? '–' : `${(s * 100).toFixed(1)}%`);

function points(/** @type {{ current: number | null, previous: number | null }} */ r) {
  if (r.current === null || r.previous === null) return '–';
  const d = Math.round((r.current - r.previous) * 1000) / 10;
  return `${d > 0 ? '+' : ''}${d.toFixed(1)} pts`;
}

/**
 * A table; `numeric` marks the columns aligned right.
 * @param {string} caption
 * @param {string[]} head
 * @param {(string|number)[][]} rows cells as text (escaped here)
 */
function table(caption, head, rows) {
  const numeric = head.map((_, i) => i > 0 && rows.every((r) => /^[-+]?[\d,.]*%?( pts)?$|^new$|^–$/.test(String(r[i]))));
  const cell = (/** @type {string|number} */ v, /** @type {number} */ i, tag = 'td') => `<${tag}${numeric[i] ? ' class="n"' : ''}>${esc(v)}</${tag}>`;
  const body =
    rows.length > 0
      ? rows.map((r) => `<tr>${r.map((v, i) => cell(v, i)).join('')}</tr>`).join('\n')
      : `<tr><td colspan="${head.length}" class="none">None in this period.</td></tr>`;
  return `<table><caption>${esc(caption)}</caption>
<thead><tr>${head.map((h, i) => cell(h, i, 'th')).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>`;
}

/** @param {string} name @param {{ current: number, previous: number }} t */
const trendRow = (name, t) => [name, num(t.current), num(t.previous), change(t)];
const TREND = ['', 'This period', 'Previous period', 'Change'];

/**
 * @param {import('actionguard').Report} r
 * @param {{ generatedAt?: string, version?: string }} [about]
 * @returns {Promise<string>}
 */
async function renderHtml(r, about = {}) {
  const charts = new Map();
  for (const c of chartSpecs(r)) {
    charts.set(c.id, `<figure class="chart" data-chart="${esc(c.id)}" aria-label="${esc(c.title)}">${await toSvg(c.spec)}</figure>`);
  }
  const who = r.organization === null ? 'All organizations' : `Organization ${r.organization}`;
  const midnight = r.period.since.endsWith('T00:00:00.000Z') && r.period.until.endsWith('T00:00:00.000Z');
  const when = (/** @type {string} */ iso) => (midnight ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')}`);
  const alertsNow = r.attacks.by_kind.reduce((n, k) => n + k.current, 0);
  const alertsBefore = r.attacks.by_kind.reduce((n, k) => n + k.previous, 0);
  const card = (/** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ note) =>
    `<div class="card"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="note">${esc(note)}</div></div>`;
  const causes = { user_error: 'User errors', integration_error: 'Integration errors', denied: 'Denied by a rule or an Action', other: 'Other' };

  const sections = [];
  sections.push(`<section id="activity"><h2>Activity</h2>
${charts.get('activity')}
${table(
  'Day by day (UTC)',
  ['Day', 'Successful logins', 'Failed logins', 'Silent-auth failures', 'Sign-ups', 'M2M tokens'],
  r.daily.map((d) => [when(d.start), num(d.logins), num(d.failed_logins), num(d.silent_auth_failures), num(d.signups), num(d.m2m_tokens)]),
)}
</section>`);
  sections.push(`<section id="users"><h2>Users and MFA</h2>
${charts.get('mfa')}
${table('Users, MFA coverage and enrolment', TREND, [
  trendRow('Active users', r.users.active),
  trendRow('Users who performed MFA', r.users.mfa),
  ['MFA coverage', pct(r.users.mfa_coverage.current), pct(r.users.mfa_coverage.previous), points(r.users.mfa_coverage)],
  trendRow('Enrolments started', r.enrolment.started),
  trendRow('Enrolments completed', r.enrolment.completed),
  trendRow('Enrolments failed', r.enrolment.failed),
  ['Enrolment completion', pct(r.enrolment.completion.current), pct(r.enrolment.completion.previous), points(r.enrolment.completion)],
])}
</section>`);
  sections.push(`<section id="logins"><h2>Logins and failures</h2>
${charts.get('failures')}
${table('Logins', TREND, [
  trendRow('Successful logins', r.logins.succeeded),
  trendRow('Failed logins', r.logins.failed),
  ...r.logins.by_cause.map((c) => trendRow(`– ${causes[c.cause] ?? words(c.cause)}`, c)),
  trendRow('Silent-auth failures (noise, not failed logins)', r.logins.silent_auth_failures),
])}
${table(
  'Failed logins by reason',
  ['Cause', 'Reason', 'This period', 'Previous period'],
  r.logins.reasons.map((x) => [causes[x.cause] ?? words(x.cause), words(x.reason), num(x.current), num(x.previous)]),
)}
</section>`);
  sections.push(`<section id="attacks"><h2>Attack indicators</h2>
${charts.get('attacks')}
${table(
  'Alerts active in each period, by kind',
  TREND,
  r.attacks.by_kind.map((k) => trendRow(words(k.kind), k)),
)}
${table(
  `Alerts of this period${r.attacks.alerts_not_listed > 0 ? ` (${r.attacks.alerts_not_listed} more not listed)` : ''}`,
  ['Severity', 'Kind', 'Subject', 'Organizations', 'Events', 'Users', 'First seen (UTC)', 'Last seen (UTC)', 'Reasons'],
  r.attacks.alerts.map((a) => [
    a.severity,
    words(a.kind),
    `${a.subject_type} ${a.subject}`,
    a.organizations.join(', '),
    num(a.events),
    num(a.users),
    a.first_seen.slice(0, 16).replace('T', ' '),
    a.last_seen.slice(0, 16).replace('T', ' '),
    a.reasons.join(', '),
  ]),
)}
</section>`);
  sections.push(`<section id="signups"><h2>Sign-ups</h2>
${charts.get('signups')}
${table('Sign-ups by domain class', TREND, [
  trendRow('Sign-ups', r.signups.succeeded),
  trendRow('Failed sign-ups', r.signups.failed),
  ...r.signups.by_class.map((c) => trendRow(`${words(c.class)} domains`, c.succeeded)),
  trendRow('Without a valid domain', r.signups.without_domain),
])}
${table(
  'Sign-ups by domain',
  ['Domain', 'Class', 'Sign-ups', 'Failed', 'Sign-ups before'],
  r.signups.domains.map((d) => [d.domain, words(d.class), num(d.succeeded.current), num(d.failed.current), num(d.succeeded.previous)]),
)}
</section>`);
  sections.push(`<section id="m2m"><h2>Machine-to-machine</h2>
${charts.get('m2m')}
${table('Client-credentials exchanges', TREND, [trendRow('Tokens issued', r.m2m.tokens), trendRow('Failed exchanges', r.m2m.failures)])}
${table(
  'By client and audience',
  ['Client', 'Audience', 'Tokens', 'Failed', 'Tokens before'],
  r.m2m.clients.map((c) => [c.client_id, c.audience, num(c.tokens.current), num(c.failures.current), num(c.tokens.previous)]),
)}
</section>`);
  sections.push(`<section id="actionguard"><h2>ActionGuard's decisions</h2>
${charts.get('decisions')}
${table('Decisions recorded', TREND, [trendRow('Decisions', r.actionguard.records), trendRow('Only watched (not enforced)', r.actionguard.watched)])}
${table(
  'By trigger and outcome',
  ['Trigger', 'Outcome', 'This period', 'Previous period'],
  r.actionguard.outcomes.map((x) => [x.trigger, x.outcome, num(x.current), num(x.previous)]),
)}
${table(
  'By reason',
  ['Reason', 'Trigger', 'This period', 'Previous period'],
  r.actionguard.reasons.map((x) => [x.code, x.trigger, num(x.current), num(x.previous)]),
)}
</section>`);
  if (r.organization === null) {
    sections.push(`<section id="organizations"><h2>Organizations</h2>
${table(
  'Organizations with the most active users this period',
  ['Organization', 'Active users', 'MFA coverage', 'Logins', 'Failed logins', 'Sign-ups', 'M2M tokens'],
  r.organizations.map((o) => [
    o.id,
    num(o.active_users),
    pct(o.active_users > 0 ? o.mfa_users / o.active_users : null),
    num(o.logins),
    num(o.failed_logins),
    num(o.signups),
    num(o.m2m_tokens),
  ]),
)}
</section>`);
  }
  // The latest access review (`actionguard review members`), when one ran.
  const review = /** @type {any} */ (r).access_review;
  if (review) {
    sections.push(`<section id="access-review"><h2>Access review</h2>
<p>From the review of ${esc(review.generated_at)}; stale: no successful login in ${esc(review.stale_days)} days.</p>
${table(
  'Organizations the latest access review flagged',
  ['Organization', 'Members', 'Findings'],
  review.organizations.map((/** @type {any} */ o) => [
    `${o.name || o.id} (${o.id})`,
    num(o.members),
    Object.entries(o.findings)
      .map(([code, n]) => `${words(code)}: ${n}`)
      .join(', '),
  ]),
)}
</section>`);
  }
  const i = r.input;
  const b = r.bounds;
  const bounds =
    b.users_untracked + b.keys_untracked + b.detection_state_overflow + b.detection_alerts_dropped > 0
      ? `<p class="warn">Bounds reached: ${num(b.users_untracked)} logins of users beyond those tracked, ${num(b.keys_untracked)} events of keys beyond those tracked, ${num(b.detection_state_overflow)} events detection could not track, ${num(b.detection_alerts_dropped)} alerts dropped.</p>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ActionGuard health report: ${esc(who)}</title>
<style>
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6575; --line: #d9dee7; --accent: #2f6fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 16px 24px; }
header h1 { margin: 8px 0 0; font-size: 24px; }
header .who { margin: 2px 0; font-size: 18px; color: var(--accent); overflow-wrap: anywhere; }
header p { margin: 4px 0; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 26px; font-weight: 600; }
.card .note { color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 20px 16px; margin: 16px 0; }
section h2 { font-size: 18px; margin: 12px 0; }
figure.chart { margin: 0 0 12px; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f3f7; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.none { color: var(--muted); font-style: italic; }
.warn { color: #8a4b00; }
footer { color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } }
</style>
</head>
<body>
<header>
<h1>ActionGuard health report</h1>
<p class="who">${esc(who)}</p>
<p>${esc(when(r.period.since))} to ${esc(when(r.period.until))} UTC (${r.period.days} day${r.period.days === 1 ? '' : 's'}), compared with ${esc(when(r.previous.since))} to ${esc(when(r.previous.until))}.</p>
</header>
<main>
<div class="cards">
${card('Active users', num(r.users.active.current), `${change(r.users.active)} vs previous period`)}
${card('MFA coverage', pct(r.users.mfa_coverage.current), `${points(r.users.mfa_coverage)} vs previous period`)}
${card('Failed logins', num(r.logins.failed.current), `${change(r.logins.failed)}; ${num(r.logins.by_cause.find((c) => c.cause === 'integration_error')?.current ?? 0)} integration errors`)}
${card('Attack indicators', num(alertsNow), `${change({ current: alertsNow, previous: alertsBefore })} vs previous period`)}
</div>
${sections.join('\n')}
${bounds}
</main>
<footer>
<p>Read ${num(i.events)} logs (${num(i.in_period)} in the period, ${num(i.in_previous)} in the previous one), ${num(i.duplicates)} duplicates, ${num(i.rejected)} rejected; ${num(i.audit_records)} audit records. Report format ${esc(r.format)}${about.version ? `, ActionGuard ${esc(about.version)}` : ''}${about.generatedAt ? `, generated ${esc(about.generatedAt)}` : ''}.</p>
</footer>
</body>
</html>
`;
}

module.exports = { renderHtml, esc, CSP };
