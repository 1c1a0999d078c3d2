-- goal_history keeps a goal's versions in blocks: one row per goal for each run of goalHistoryRun
-- sequences (projections/apply.go), its versions packed one after the other in the order recorded
-- (projections.packedVersion: each of seq, kind, id, version, agg_kind, agg_id, event_id,
-- event_type, actor, organ, period, recorded_at, valid_from, decision_organ, meeting_date,
-- paragraph, case_number, reason, diff and state as its length in bytes, a colon and its text, or a
-- dash for NULL). first and last are the sequences of its first and last version, size how many
-- versions it holds.
--
-- A goal's history of a thousand versions was a thousand rows, that SQLite stepped through and the
-- driver copied out one column at a time; it is now a row per run, read as one text each.
--
-- goal_history_recent is keyed by goal first: a history read looked for its goal's few versions
-- among all those noted since the last run, up to 65 536 of them.
--
-- The versions goal_history held are noted as recent again, and the file's opening packs them into
-- blocks, as the projector does (projections.settleGoalHistory).
CREATE TABLE goal_history_recent_0009 (
	seq  INTEGER NOT NULL,
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	goal TEXT NOT NULL,
	PRIMARY KEY (goal, seq, kind, id)
) WITHOUT ROWID;
INSERT INTO goal_history_recent_0009
	SELECT seq, kind, id, goal FROM goal_history_recent UNION ALL SELECT seq, kind, id, goal FROM goal_history;
DROP TABLE goal_history_recent;
ALTER TABLE goal_history_recent_0009 RENAME TO goal_history_recent;
DROP TABLE goal_history;
CREATE TABLE goal_history (
	goal     TEXT NOT NULL,
	first    INTEGER NOT NULL,
	last     INTEGER NOT NULL,
	size     INTEGER NOT NULL,
	versions TEXT NOT NULL,
	PRIMARY KEY (goal, last)
);
