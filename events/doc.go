/*
Package events is takt's log: the planning decisions of each municipality, stored as CloudEvents on
NATS JetStream, never changed and never deleted.

# Events on the wire

Every event is a CloudEvents 1.0 event in JSON structured mode: the message body is the whole event
([Envelope]), with the headers Content-Type: application/cloudevents+json and Nats-Msg-Id.

	{"specversion":"1.0","id":"0193a5e4-…","source":"/tenants/demo/organs/kf",
	 "type":"se.takt.goal.adopted.v2","subject":"goal/kf-trygghet","time":"2025-03-01T09:12:44.318Z",
	 "datacontenttype":"application/json","taktperiod":"2023-2026","takteffective":"2025-01-01",
	 "taktactor":"anna.secretary","data":{…}}

Any CloudEvents SDK reads a takt event off the stream unchanged. [Encode] and [Decode] turn a
[domain.Event] into such a body and back; [Registry.EncodeMsg] and [Registry.DecodeMsg] add the NATS
subject and headers.

# Versions and upcasters

A [Registry] knows the current version of every event type. A schema change bumps the version in
type and registers an [Upcaster] that lifts the raw data of the old version to the new one. Stored
events are never rewritten: they are upcast each time they are read, so a log written years ago still
replays. [Types] is the registry of takt's catalogue; goal.adopted is at v2, since SDG links gained a
strength.

# The store

[Store] implements [domain.Log] on JetStream. Each tenant has one stream, TAKT_{TENANT}
([StreamName]), holding the events of an aggregate on takt.{tenant}.{kind}.{id} ([Subject]). The
stream denies deletes and purges, has no rollups, TTLs or limits, and allows atomic batches.

	nc, _ := nats.Connect(url)
	store := events.NewStore(nc)
	err := store.EnsureTenant(ctx, "eskilstuna")
	acks, err := store.Append(ctx, "eskilstuna", []domain.Append{{Event: e, Expect: true, Expected: 0}})

An append carries Nats-Expected-Last-Subject-Sequence, so a decision taken on a stale view of its
aggregate is refused ([domain.ECONFLICT]) and never stored. A decision of several events is one
JetStream atomic batch: all of it is stored, or nothing. The message id (the client's idempotency key,
or the event id) makes a retried append harmless within the stream's duplicate window.

[Store.Read] replays a tenant's log up to its head with an ordered consumer; a message it cannot
decode is passed on as a [domain.Record] with Err set, and the records after it are read as usual.
[Store.Follow] goes on reading as events arrive.

# The embedded server

[Server] runs a nats-server with JetStream inside the process, for a single node that needs no
external NATS. It syncs every write to disk before it acknowledges it, so an acknowledged decision
survives a crash of the machine.

	srv := events.NewServer()
	srv.StoreDir = filepath.Join(dataDir, "jetstream")
	if err := srv.Open(ctx); err != nil { … }
	defer srv.Close()
	nc, err := srv.InProcessConn()

Tests in other packages start one the same way, with StoreDir set to t.TempDir().

The package events/logtest holds the contract that every implementation of [domain.Log] passes.
*/
package events
