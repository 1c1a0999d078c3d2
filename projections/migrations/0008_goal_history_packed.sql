-- goal_history keeps a version's columns other than its key, diff and state packed in one text,
-- meta: each of version, agg_kind, agg_id, event_id, event_type, actor, organ, period, recorded_at,
-- valid_from, decision_organ, meeting_date, paragraph, case_number and reason, in that order, as its
-- length in bytes, a colon and its text, or a dash for NULL (projections.packedMeta writes the same).
-- A goal's history of a thousand versions was read as twenty columns a row: SQLite stepped through
-- each, and the driver copied seventeen strings a row out of it. Six columns a row now, and one
-- string that the version's fields share.
CREATE TABLE goal_history_packed (
	goal  TEXT NOT NULL,
	seq   INTEGER NOT NULL,
	kind  TEXT NOT NULL,
	id    TEXT NOT NULL,
	meta  TEXT NOT NULL,
	diff  TEXT NOT NULL,
	state TEXT NOT NULL,
	PRIMARY KEY (goal, seq, kind, id)
) WITHOUT ROWID;
INSERT INTO goal_history_packed SELECT g.goal, g.seq, g.kind, g.id,
	CASE WHEN g.version IS NULL THEN '-' ELSE length(CAST(g.version AS BLOB)) || ':' || g.version END
	|| CASE WHEN g.agg_kind IS NULL THEN '-' ELSE length(CAST(g.agg_kind AS BLOB)) || ':' || g.agg_kind END
	|| CASE WHEN g.agg_id IS NULL THEN '-' ELSE length(CAST(g.agg_id AS BLOB)) || ':' || g.agg_id END
	|| CASE WHEN g.event_id IS NULL THEN '-' ELSE length(CAST(g.event_id AS BLOB)) || ':' || g.event_id END
	|| CASE WHEN g.event_type IS NULL THEN '-' ELSE length(CAST(g.event_type AS BLOB)) || ':' || g.event_type END
	|| CASE WHEN g.actor IS NULL THEN '-' ELSE length(CAST(g.actor AS BLOB)) || ':' || g.actor END
	|| CASE WHEN g.organ IS NULL THEN '-' ELSE length(CAST(g.organ AS BLOB)) || ':' || g.organ END
	|| CASE WHEN g.period IS NULL THEN '-' ELSE length(CAST(g.period AS BLOB)) || ':' || g.period END
	|| CASE WHEN g.recorded_at IS NULL THEN '-' ELSE length(CAST(g.recorded_at AS BLOB)) || ':' || g.recorded_at END
	|| CASE WHEN g.valid_from IS NULL THEN '-' ELSE length(CAST(g.valid_from AS BLOB)) || ':' || g.valid_from END
	|| CASE WHEN g.decision_organ IS NULL THEN '-' ELSE length(CAST(g.decision_organ AS BLOB)) || ':' || g.decision_organ END
	|| CASE WHEN g.meeting_date IS NULL THEN '-' ELSE length(CAST(g.meeting_date AS BLOB)) || ':' || g.meeting_date END
	|| CASE WHEN g.paragraph IS NULL THEN '-' ELSE length(CAST(g.paragraph AS BLOB)) || ':' || g.paragraph END
	|| CASE WHEN g.case_number IS NULL THEN '-' ELSE length(CAST(g.case_number AS BLOB)) || ':' || g.case_number END
	|| CASE WHEN g.reason IS NULL THEN '-' ELSE length(CAST(g.reason AS BLOB)) || ':' || g.reason END,
	g.diff, g.state
	FROM goal_history g ORDER BY g.goal, g.seq, g.kind, g.id;
DROP TABLE goal_history;
ALTER TABLE goal_history_packed RENAME TO goal_history;
