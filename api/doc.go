/*
Package api is takt's HTTP interface: one route per command of the ledger, strict decoding, and
errors that say which field broke which rule.

A [Server] is configured by its fields and serves [Server.Handler]:

	srv := api.NewServer(ledger)
	srv.Logger = logger
	http.ListenAndServe(addr, srv.Handler())

It speaks to the ledger only through [domain.Recorder], so it knows nothing of NATS.

# Commands

Every command is a POST under /v1/tenants/{tenant} with a JSON body, listed in one route table
(routes.go) from which the OpenAPI document is generated. Ids in the path go into the command's
fields tagged `json:"-"`. A command is answered with the target aggregate's id, its new version as
the ETag, and the id, type, subject and stream sequence of every event it appended; 201 and a
Location header when it created the aggregate, 200 otherwise.

# Concurrency and retries

If-Match carries the version a client read ("12" or 12; weak ETags are refused): a command on an
aggregate that has moved since is refused with 409 and writes nothing. Idempotency-Key makes a
retry harmless: the ledger stores the request once and answers a retry with the first answer and
the header Idempotent-Replayed: true.

# Errors

Errors are RFC 9457 problem+json, with takt's code and, where one is at fault, the field as a JSON
path ("indicators[1].targets[0].year") and the rule it broke ("required", "date", "type",
"unknown_field", "within_period"). Malformed input is refused here, before the ledger is asked;
rules that need the ledger's state are the ledger's. This package holds the only table from error
codes to HTTP statuses, and logs only internal errors.
*/
package api
