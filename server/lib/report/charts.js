'use strict';
// The report's charts: Vega-Lite specifications compiled to Vega and rendered to SVG
// here, on the server (headless: vega's SVG renderer needs no canvas and no browser).
// The page that carries them loads nothing. Data goes in as inline values only, never
// a URL, and the loader refuses any URL anyway; vega writes text into the SVG escaped.
// Every chart has a title and both axes a title.

/** @type {Promise<{ vega: any, vl: any }> | null} */
let modules = null;

/**
 * vega and vega-lite are ES modules: imported once, on first use. Their names go through
 * a variable so that the JSDoc check does not read their typings, which assume a
 * browser's DOM (this code never touches one).
 */
function load() {
  const [vegaName, vlName] = ['vega', 'vega-lite'];
  modules ??= Promise.all([import(vegaName), import(vlName)]).then(([vega, vl]) => ({ vega, vl }));
  return modules;
}

const THIS = 'This period';
const BEFORE = 'Previous period';
const PERIOD_SCALE = { domain: [THIS, BEFORE], range: ['#2f6fb3', '#a9c4e4'] };
const WIDTH = 560;
/** Counts: whole ticks, never `0.000000`. */
const COUNT_AXIS = { tickMinStep: 1, format: 'd' };

/**
 * A grouped bar chart of categories in both periods.
 * @param {string} title
 * @param {string} xTitle
 * @param {string} yTitle
 * @param {{ label: string, current: number, previous: number }[]} rows
 */
function periodBars(title, xTitle, yTitle, rows) {
  const values = rows.flatMap((r) => [
    { label: r.label, period: THIS, count: r.current },
    { label: r.label, period: BEFORE, count: r.previous },
  ]);
  return {
    title,
    width: WIDTH,
    height: 220,
    data: { values },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      x: { field: 'label', type: 'nominal', title: xTitle, sort: rows.map((r) => r.label), axis: { labelAngle: 0, labelLimit: 0 } },
      xOffset: { field: 'period', type: 'nominal', sort: [THIS, BEFORE] },
      y: { field: 'count', type: 'quantitative', title: yTitle, axis: COUNT_AXIS },
      color: { field: 'period', type: 'nominal', title: 'Period', scale: PERIOD_SCALE, sort: [THIS, BEFORE] },
    },
  };
}

/**
 * A horizontal bar chart of the top rows of a list, in both periods.
 * @param {string} title
 * @param {string} xTitle
 * @param {string} yTitle
 * @param {{ label: string, current: number, previous: number }[]} rows
 */
function topBars(title, xTitle, yTitle, rows) {
  // An empty list still draws its axes, with one row saying so.
  const shown = rows.length > 0 ? rows : [{ label: '(none in either period)', current: 0, previous: 0 }];
  const values = shown.flatMap((r) => [
    { label: r.label, period: THIS, count: r.current },
    { label: r.label, period: BEFORE, count: r.previous },
  ]);
  return {
    title,
    width: WIDTH - 200,
    height: { step: 14 },
    data: { values },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      y: { field: 'label', type: 'nominal', title: yTitle, sort: shown.map((r) => r.label), axis: { labelLimit: 0 } },
      yOffset: { field: 'period', type: 'nominal', sort: [THIS, BEFORE] },
      x: { field: 'count', type: 'quantitative', title: xTitle, axis: COUNT_AXIS },
      color: { field: 'period', type: 'nominal', title: 'Period', scale: PERIOD_SCALE, sort: [THIS, BEFORE] },
    },
  };
}

const words = (/** @type {string} */ code) => code.replaceAll('_', ' ');

/**
 * A client's label: its id, and the audience's host when the client asked for several
 * (the table beside the chart has the audiences whole).
 * @param {{ client_id: string, audience: string }} c
 * @param {{ client_id: string }[]} all
 */
function clientLabel(c, all) {
  if (all.filter((x) => x.client_id === c.client_id).length < 2) return c.client_id || '(no client)';
  let host = c.audience;
  try {
    host = new URL(c.audience).host || c.audience;
  } catch {
    // Not a URL: the audience as it is.
  }
  return `${c.client_id} (${host || 'no audience'})`;
}

/**
 * The charts of a report: `{ id, title, spec }` each, in the page's order.
 * @param {import('actionguard').Report} r
 */
function chartSpecs(r) {
  const midnight = r.period.since.endsWith('T00:00:00.000Z');
  const day = (/** @type {string} */ iso) => (midnight ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' '));
  const series = [
    ['Successful logins', 'logins'],
    ['Failed logins', 'failed_logins'],
    ['Silent-auth failures', 'silent_auth_failures'],
    ['Sign-ups', 'signups'],
  ];
  const daily = r.daily.flatMap((d) => series.map(([name, key]) => ({ day: day(d.start), series: name, count: /** @type {any} */ (d)[key] })));
  // Short labels under the bars; the tables beside them say it in full.
  const causes = { user_error: 'User errors', integration_error: 'Integration', denied: 'Denied', other: 'Other' };
  return [
    {
      id: 'activity',
      title: 'Logins per day',
      spec: {
        title: 'Logins per day',
        width: WIDTH,
        height: 220,
        data: { values: daily },
        mark: { type: 'line', point: true, tooltip: false },
        encoding: {
          x: { field: 'day', type: 'ordinal', title: 'Day (UTC)', sort: r.daily.map((d) => day(d.start)), axis: { labelAngle: -30 } },
          y: { field: 'count', type: 'quantitative', title: 'Events', axis: COUNT_AXIS },
          color: { field: 'series', type: 'nominal', title: 'Event', sort: series.map(([name]) => name), legend: { labelLimit: 0 } },
        },
      },
    },
    {
      id: 'mfa',
      title: 'Users, MFA and enrolment',
      spec: periodBars('Users, MFA and enrolment', 'Measure', 'Users or enrolments', [
        { label: 'Active users', ...r.users.active },
        { label: 'Users with MFA', ...r.users.mfa },
        { label: 'Enrolments started', ...r.enrolment.started },
        { label: 'Enrolments completed', ...r.enrolment.completed },
      ]),
    },
    {
      id: 'failures',
      title: 'Failed logins by cause',
      spec: periodBars('Failed logins by cause', 'Cause', 'Failed logins', [
        ...r.logins.by_cause.map((c) => ({ label: causes[c.cause] ?? words(c.cause), current: c.current, previous: c.previous })),
        { label: 'Silent auth (noise)', ...r.logins.silent_auth_failures },
      ]),
    },
    {
      id: 'attacks',
      title: 'Attack indicators',
      spec: periodBars(
        'Attack indicators',
        'Alert kind',
        'Alerts',
        r.attacks.by_kind.map((k) => ({ label: words(k.kind), current: k.current, previous: k.previous })),
      ),
    },
    {
      id: 'signups',
      title: 'Sign-ups by domain class',
      spec: periodBars('Sign-ups by domain class', 'Domain class', 'Sign-ups', [
        ...r.signups.by_class.map((c) => ({ label: words(c.class), current: c.succeeded.current, previous: c.succeeded.previous })),
        { label: 'no valid domain', ...r.signups.without_domain },
      ]),
    },
    {
      id: 'm2m',
      title: 'Machine-to-machine tokens by client',
      spec: topBars(
        'Machine-to-machine tokens by client',
        'Tokens issued',
        'Client',
        r.m2m.clients.map((c) => ({ label: clientLabel(c, r.m2m.clients), current: c.tokens.current, previous: c.tokens.previous })),
      ),
    },
    {
      id: 'decisions',
      title: "ActionGuard's decisions by reason",
      spec: topBars(
        "ActionGuard's decisions by reason",
        'Decisions',
        'Reason',
        r.actionguard.reasons.map((x) => ({ label: `${x.code} (${x.trigger})`, current: x.current, previous: x.previous })),
      ),
    },
  ];
}

/**
 * A Vega-Lite specification as SVG text.
 * @param {object} spec
 * @returns {Promise<string>}
 */
async function toSvg(spec) {
  const { vega, vl } = await load();
  const compiled = vl.compile(/** @type {any} */ ({ $schema: undefined, config: { font: 'sans-serif', view: { stroke: null } }, ...spec })).spec;
  const loader = vega.loader();
  // Inline values only: whatever asks for a URL or a file is refused.
  loader.load = async () => {
    throw new Error('the report loads nothing');
  };
  loader.sanitize = async () => {
    throw new Error('the report loads nothing');
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader, logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

module.exports = { chartSpecs, toSvg };
