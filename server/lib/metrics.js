'use strict';
// Prometheus metrics (prom-client): counters for what this instance did, and the
// approval queue by state read from the store at scrape time, so that several
// instances behind a load balancer report the same queue.

const client = require('prom-client');

/** @param {import('./store/index.js').Store} store */
function createMetrics(store) {
  const registry = new client.Registry();
  const counter = (name, help, labelNames = []) => new client.Counter({ name, help, labelNames, registers: [registry] });
  const m = {
    registry,
    logsIngested: counter('actionguard_logs_ingested_total', 'Distinct Auth0 logs stored (a log_id already stored is a duplicate, not counted here)', ['source']),
    logsDuplicates: counter('actionguard_logs_duplicates_total', 'Logs received again (same log_id): within a batch or already stored', ['source']),
    logsRejected: counter('actionguard_logs_rejected_total', 'Log lines that could not be read, stored as rejects with their reason', ['source']),
    auditStored: counter('actionguard_audit_records_stored_total', 'Audit records stored (once per record id)'),
    auditDuplicates: counter('actionguard_audit_records_duplicates_total', 'Audit records received again'),
    auditRejected: counter('actionguard_audit_records_rejected_total', 'Audit webhook lines that were not audit records'),
    approvalsReceived: counter('actionguard_approval_requests_total', 'Approval requests received (repeats included)'),
    requests: counter('actionguard_http_requests_total', 'Requests answered, by route and status', ['route', 'status']),
    alertsChanged: counter('actionguard_alerts_total', 'Live detection: alerts stored, new or updated', ['kind', 'change']),
    detectionErrors: counter('actionguard_detection_errors_total', 'Live detection: batches or alert flushes that failed (ingestion itself unaffected)', ['stage']),
    notices: counter('actionguard_alert_notices_total', 'Alert webhook notices, by outcome (sent, failed, dropped: queue full)', ['outcome']),
    noticeAttempts: counter('actionguard_alert_notice_attempts_total', 'Alert webhook requests, by result (2xx, 429, 5xx, 4xx, network)', ['result']),
    responsesProposed: counter('actionguard_responses_proposed_total', 'Responses proposed as approval requests, by kind', ['kind']),
    feedBuilds: counter('actionguard_threat_feed_builds_total', 'Threat feed payloads built and signed'),
    ingestLatency: new client.Histogram({
      name: 'actionguard_ingest_duration_seconds',
      help: 'From a log batch fully received to its commit (what Auth0 waits for)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
  // Read at each scrape: approvals by state only (a small table). Row counts of the
  // logs and audit tables would scan them (and better-sqlite3 would block the event
  // loop meanwhile); the counters above say what this instance stored. While the
  // database is away the gauge keeps its last values and the counters still answer.
  new client.Gauge({
    name: 'actionguard_approvals',
    help: 'Approval requests by state, in the store',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const byState = await store.approvalStats().catch(() => null);
      if (byState) for (const [state, n] of Object.entries(byState)) this.set({ state }, Number(n));
    },
  });
  return m;
}

module.exports = { createMetrics };
