// Package api is takt's HTTP interface: a route per command of the ledger under
// /v1/tenants/{tenant}, strict JSON decoding, If-Match/ETag and Idempotency-Key, and RFC 9457
// problem+json errors that name the field and the rule that was broken.
//
// It speaks to the ledger through [domain.Recorder] and holds the only table from error codes to
// HTTP statuses.
package api
