'use strict';
// What every ActionGuard Action shim does the same way (`require('actionguard/shim')`):
// keep one engine per Action instance, rebuilt only when the POLICY secret changes,
// and write the audit line of a decision that could not be made. Plain JavaScript
// that loads the WebAssembly only when first asked, so that a module that fails to
// instantiate becomes an error with a code (and the fail mode), not a broken Action.

function load() {
  try {
    return require('./actionguard.js');
  } catch (cause) {
    throw Object.assign(new Error('actionguard failed to load'), { code: 'load_failed', cause });
  }
}

/** A function `(policy) => Engine` that reuses the engine while `policy` is unchanged. */
function engineCache() {
  let engine;
  let builtFor;
  return (policy) => {
    if (!engine || builtFor !== policy) {
      engine = new (load().Engine)(policy);
      builtFor = policy;
    }
    return engine;
  };
}

/** Throws a failure answer as an Error carrying its code and path; returns a success. */
function orThrow(answer) {
  if (answer.type !== 'success') throw Object.assign(new Error(answer.errors[0].message), answer.errors[0]);
  return answer;
}

/** An audit line written by a shim (the core writes those of its decisions). */
function auditLine(trigger, event, fields) {
  return JSON.stringify({ actionguard_audit: 1, trigger, tenant: typeof event?.tenant?.id === 'string' ? event.tenant.id : null, ...fields });
}

/**
 * The audit line for an execution ActionGuard could not decide. Only the error's
 * code, field path and HTTP status are kept: messages may quote event values.
 */
function failureLine(trigger, event, err, fields) {
  return auditLine(trigger, event, { ...fields, error: { code: err?.code || 'internal', path: err?.path || null, status: err?.statusCode ?? null } });
}

// A log stream is the record; the webhook is a copy, and never worth a slow login.
const AUDIT_WEBHOOK_BUDGET_MS = 300;

/**
 * The audit trail of one execution: `log(line)` writes it to the Action's console
 * (Auth0 real-time logs and log streams) and keeps it; `flush()` posts the lines
 * (newline-delimited JSON, signed with AUDIT_WEBHOOK_SECRET when set) to
 * AUDIT_WEBHOOK_URL within a small budget, and never throws.
 */
function auditTrail(event, actionConsole) {
  const lines = [];
  const secrets = event?.secrets || {};
  return {
    log(line) {
      actionConsole.log(line);
      lines.push(line);
    },
    async flush() {
      const url = secrets.AUDIT_WEBHOOK_URL;
      if (!url || lines.length === 0) return;
      const body = `${lines.join('\n')}\n`;
      const headers = { 'content-type': 'application/x-ndjson' };
      if (secrets.AUDIT_WEBHOOK_SECRET) {
        headers['x-actionguard-signature'] = `sha256=${require('node:crypto').createHmac('sha256', secrets.AUDIT_WEBHOOK_SECRET).update(body).digest('hex')}`;
      }
      try {
        await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(AUDIT_WEBHOOK_BUDGET_MS) });
      } catch {
        // Late or down: the console line stays the record.
      }
    },
  };
}

module.exports = { load, engineCache, orThrow, auditLine, failureLine, auditTrail };
