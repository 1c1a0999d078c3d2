// Package domain is the language of the takt ledger: the organs, mandate periods, visions, goals,
// indicators, commitments and follow-up reports of a municipality's goal governance ("målstyrning"),
// the commands that record a decision about them, the events those decisions become, and the rules
// that decide between the two.
//
// The rules are pure. [Decide] takes the ledger's [State] and a [Command] and answers with the events
// the decision produces, or an [*Error] that names the field and the rule that was broken. Each
// aggregate's Evolve applies one of its events to its state. Neither does any I/O, so both are tested
// as tables: given these events, when this command, then these events or this error code.
//
// [Ledger] is the thin shell around them: it keeps each tenant's state current from a [Log], checks
// If-Match and idempotency keys, decides, and appends the events as one decision.
//
// The package imports nothing but the standard library. The adapters — events (NATS JetStream),
// projections (SQLite), api (HTTP) — depend on it, never the other way round.
package domain
