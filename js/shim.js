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

module.exports = { load, engineCache, orThrow, auditLine, failureLine };
