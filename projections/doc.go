/*
Package projections turns a tenant's log into read models in SQLite: the current state a dashboard
shows, the history of every entity, and bitemporal as-of views. It implements [domain.Queries].

# Files and connections

Each tenant has one SQLite file, a [DB]. It runs in WAL mode with its migrations embedded and
recorded in the migrations table. The projector writes through a single connection; queries read
through a pool of their own, each in a read transaction, so a read sees one snapshot and never
holds up the projector.

	db := projections.NewDB("/var/lib/takt/eskilstuna.db")
	db.Tenant = "eskilstuna"
	err := db.Open(ctx)
	defer db.Close()

# The projector

A [Projector] reads the log from the checkpoint + 1 in order and applies what it finds in batches.
[DB.Apply] writes each batch and the checkpoint (the last stream sequence applied) in one
transaction, so a crash never applies an event twice or skips one. When the log is a [Follower] the
projector follows it live; otherwise it polls.

	p := projections.NewProjector(db, store, "eskilstuna")
	go p.Run(ctx)

A record that cannot be applied — a message that is not a takt event, an event about an aggregate
that does not exist — is set aside in the quarantine table with its sequence, subject, raw data and
the reason, counted ([DB.Quarantined]) and logged. The checkpoint moves past it; the projector
never stops on one.

# Reading your writes

A command answers with the stream sequences of its events. A read whose [domain.ReadOptions] name
one in MinSeq waits, without polling, until the projection has applied it ([DB.WaitFor]).

# History and time

Every event writes a new version of the entity it changes — an organ, a period, a vision, a goal,
an indicator, one of its targets (by year, or for the end of the term), one of its values, a
commitment, a follow-up — into the history table: the entity's state after the event, a
before/after diff of the fields that changed, the decision that made it, who recorded it, and two
times:

  - valid time: valid_from is the date the decision applies from (the event's effective date), and
    valid_to the date the next version applies from (computed as it is read, among the versions
    the read knows of: a row of history, once written, is never changed);
  - recording time: the stream sequence and the time at which the ledger learnt it.

A read's AsOf picks, for each entity, the latest version recorded that applies on that date; its
KnownAt (a sequence, or a recording time) leaves out whatever was recorded later. So "what was in
force on 2024-06-30" and "what did the ledger say when the annual report was signed" are both one
read, and a follow-up report reopens exactly as it was adopted: the goal tree as known just before
its event, in force on its as-of date. Values are facts about the part of their year they describe
(T1 January to April, T2 January to August, annual the year): which of them the ledger held depends
on recording time only, and a read as of a date takes those whose part of the year had ended then
(docs/adr/0005-values-as-of.md). A correction never overwrites a value; the corrected one stays,
marked with its correction.

Nothing here calls time.Now: the time of a projection comes from its events. [DB.Now] only supplies
the default AsOf of a read.

# Rebuild and check

[Rebuild] replays a log from sequence 1 into a fresh file and renames it over the old one.
[Compare] compares two projection files table by table; an incremental projection and a rebuilt one
are identical, and a check proves it.
*/
package projections
