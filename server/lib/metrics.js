'use strict';
// Prometheus metrics (prom-client): counters for what this instance did, and gauges
// read from the store at scrape time (approvals by state, audit records), so that
// several instances behind a load balancer report the same queue.

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
    ingestLatency: new client.Histogram({
      name: 'actionguard_ingest_duration_seconds',
      help: 'From a log batch fully received to its commit (what Auth0 waits for)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
  // prom-client collects every gauge at once: one read of the store per scrape serves all.
  /** @type {Promise<any> | null} */
  let scrape = null;
  // While the database is away the gauges keep their last values: this instance's own
  // counters still answer, when they matter most.
  const stats = () => {
    scrape ??= store
      .stats()
      .catch(() => null)
      .finally(() => setTimeout(() => (scrape = null), 1000).unref());
    return scrape;
  };
  new client.Gauge({
    name: 'actionguard_approvals',
    help: 'Approval requests by state, in the store',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const s = await stats();
      if (s) for (const [state, n] of Object.entries(s.approvals)) this.set({ state }, Number(n));
    },
  });
  new client.Gauge({
    name: 'actionguard_audit_records',
    help: 'Audit records in the store',
    registers: [registry],
    async collect() {
      const s = await stats();
      if (s) this.set(s.audit);
    },
  });
  new client.Gauge({
    name: 'actionguard_logs_stored',
    help: 'Auth0 logs in the store (after retention)',
    registers: [registry],
    async collect() {
      const s = await stats();
      if (s) this.set(s.logs);
    },
  });
  return m;
}

module.exports = { createMetrics };
