/*
Takt records the planning decisions of Swedish municipalities and regions as events on NATS
JetStream, and serves them over HTTP.

Usage:

	takt <command> [flags]

The commands are:

	serve    serve the HTTP API
	help     describe a command

# Serve

takt serve runs the ledger for one or more tenants (--tenant falun,haninge). By default it starts a
nats-server with JetStream inside the process, storing under --data (in data/nats) with every message
synced to disk before it is acknowledged, and publishes to it over an in-process connection. Given
--nats-url (and --nats-creds) it uses that NATS server or cluster instead and starts none.

Once it is listening it prints one line to standard output, for people and scripts alike:

	takt: listening on http://127.0.0.1:8080 (tenants: demo)

It logs JSON to standard error. SIGINT or SIGTERM stops it gracefully: requests in flight are
answered, then NATS is closed; a second signal ends it at once.
*/
package main
