'use strict';
// The WebAssembly core, the same package and code the Actions run (its control-plane
// module, which adds the control plane's exports): every reading of a
// log, an audit record or an approval request, and every approval move, is its
// decision. This host does I/O only.

const core = require('actionguard/control-plane');

/**
 * The success of a tagged answer, or an Error carrying the first error's code.
 * @template {{ type: string }} A
 * @param {A} answer
 * @returns {Extract<A, { type: 'success' }>}
 */
function orThrow(answer) {
  if (answer.type !== 'success') {
    const [first] = /** @type {any} */ (answer).errors || [{ code: 'internal', message: 'no answer' }];
    throw Object.assign(new Error(first.message), { code: first.code, path: first.path });
  }
  return /** @type {any} */ (answer);
}

/** @param {string} body @returns {import('actionguard').LogBatchAnswer} */
const parseLogBatch = (body) => core.parseLogBatch(body);
/** @param {string} body @returns {import('actionguard').AuditRecordsAnswer} */
const readAuditRecords = (body) => core.readAuditRecords(body);
/** @param {string} body @returns {import('actionguard').ApprovalRequestAnswer} */
const readApprovalRequest = (body) => core.readApprovalRequest(body);
/** @param {import('actionguard').ResponseRequest | string} request @returns {import('actionguard').ResponseRequestAnswer} */
const checkResponseRequest = (request) => core.checkResponseRequest(request);

/** @param {import('actionguard').GovernanceRequest | string} request @returns {import('actionguard').GovernanceCheckAnswer} */
const governanceCheck = (request) => core.governanceCheck(request);
/** @param {import('actionguard').GovernanceWrite} write @returns {import('actionguard').GovernanceAuditRecordAnswer} */
const governanceAuditRecord = (write) => core.governanceAuditRecord(write);

/**
 * The move an approval action makes (from which states, to which), for the store's
 * conditional update.
 * @param {import('actionguard').ApprovalAction} action
 * @returns {import('actionguard').ApprovalMove}
 */
function approvalMove(action) {
  return orThrow(core.approvalStep({ action })).move;
}

/**
 * Why `action` is refused for an approval in `state` (the core's words), or null when legal.
 * @param {import('actionguard').ApprovalState} state
 * @param {import('actionguard').ApprovalAction} action
 * @param {boolean} leaseExpired
 * @returns {{ code: string, message: string } | null}
 */
function approvalRefusal(state, action, leaseExpired = false) {
  const answer = core.approvalStep({ action, state, lease_expired: leaseExpired });
  return answer.type === 'success' ? null : answer.errors[0];
}

module.exports = {
  parseLogBatch,
  readAuditRecords,
  readApprovalRequest,
  checkResponseRequest,
  governanceCheck,
  governanceAuditRecord,
  approvalMove,
  approvalRefusal,
  orThrow,
  version: core.version,
};
