'use strict';
// The per-organization health report: built by the core from the store or a file
// (source.js), as JSON, Markdown (the core's renderer) or a self-contained HTML page
// (html.js, charts drawn here with Vega-Lite).

const { reportFromStore, reportFromFile } = require('./source.js');
const { renderHtml, CSP } = require('./html.js');
const { periodOf } = require('./period.js');

const FORMATS = Object.freeze(['json', 'markdown', 'html']);

/**
 * The body of a report in a format, and its content type.
 * @param {{ report: import('actionguard').Report, markdown: string }} built
 * @param {'json'|'markdown'|'html'} format
 * @param {{ generatedAt?: string, version?: string }} [about]
 * @returns {Promise<{ body: string, contentType: string }>}
 */
async function renderAs(built, format, about) {
  if (format === 'json') return { body: `${JSON.stringify(built.report)}\n`, contentType: 'application/json' };
  if (format === 'markdown') return { body: `${built.markdown}\n`, contentType: 'text/markdown; charset=utf-8' };
  return { body: await renderHtml(built.report, about), contentType: 'text/html; charset=utf-8' };
}

module.exports = { reportFromStore, reportFromFile, renderAs, renderHtml, periodOf, FORMATS, CSP };
