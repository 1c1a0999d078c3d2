-- The events table goes: every event applied writes at least one history row, which already holds
-- its sequence, id, type, period, organ, actor, effective date and recording time. The two columns
-- only the events table had move to history. One row and three indexes fewer per event; nothing
-- read the event and message ids by index (idempotency is the log's and the ledger's).
ALTER TABLE history ADD COLUMN msg_id TEXT NOT NULL DEFAULT '';
ALTER TABLE history ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE history SET (msg_id, subject) = (SELECT e.msg_id, e.subject FROM events e WHERE e.seq = history.seq)
	WHERE seq IN (SELECT seq FROM events);
DROP TABLE events;
-- What the ledger knew at a time (known_at as a time) is the last sequence recorded by then.
CREATE INDEX history_recorded_at ON history (recorded_at, seq);
-- Nothing reads values by year through an index: the values of an indicator are read by its key.
DROP INDEX values_year;
