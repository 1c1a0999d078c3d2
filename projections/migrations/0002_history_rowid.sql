-- history becomes an ordinary rowid table. Its rows carry the entity's whole state and diff, and a
-- WITHOUT ROWID table keeps whole rows in its primary-key b-tree, which suits rows of a few dozen
-- bytes, not of a kilobyte: every insert moved large cells around. (kind, id, seq) stays unique.
CREATE TABLE history_rowid (
	kind           TEXT NOT NULL,
	id             TEXT NOT NULL,
	seq            INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	agg_kind       TEXT NOT NULL,
	agg_id         TEXT NOT NULL,
	goal           TEXT NOT NULL, -- the goal an indicator or commitment belongs to
	event_id       TEXT NOT NULL,
	event_type     TEXT NOT NULL,
	actor          TEXT NOT NULL,
	organ          TEXT NOT NULL,
	period         TEXT NOT NULL,
	recorded_at    TEXT NOT NULL,
	valid_from     TEXT NOT NULL,
	valid_to       TEXT,
	decision_organ TEXT,
	meeting_date   TEXT,
	paragraph      TEXT,
	case_number    TEXT,
	reason         TEXT NOT NULL,
	diff           TEXT NOT NULL,
	state          TEXT NOT NULL
);
INSERT INTO history_rowid SELECT kind, id, seq, version, agg_kind, agg_id, goal, event_id, event_type, actor, organ,
	period, recorded_at, valid_from, valid_to, decision_organ, meeting_date, paragraph, case_number, reason, diff, state
	FROM history ORDER BY seq, kind, id;
DROP TABLE history;
ALTER TABLE history_rowid RENAME TO history;
CREATE UNIQUE INDEX history_entity ON history (kind, id, seq);
CREATE INDEX history_aggregate ON history (agg_kind, agg_id, seq);
CREATE INDEX history_period ON history (period, seq);
CREATE INDEX history_seq ON history (seq);
CREATE INDEX history_goal ON history (kind, goal);
