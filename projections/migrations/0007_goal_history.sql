-- A goal's history — the versions of the goal, of its indicators and commitments, and the targets
-- and corrections of its indicators — kept once more, together, by goal and sequence. In history a
-- goal's thousand versions lie on as many pages spread over the file, among the values reported;
-- in goal_history they are read from a few pages in a row, in the order the history is told. Not
-- kept: the valid_to of a version, which a history reads from the version after it.
--
-- Written row by row into goal_history, a batch would rewrite a page for nearly every goal. So a
-- batch appends its versions' keys to goal_history_recent, and they are copied from history into
-- goal_history, in order, once every goalHistoryRun sequences (projections/apply.go): goal_history
-- holds the versions up to the checkpoint rounded down to a multiple of it, goal_history_recent the
-- keys of those after them, whatever the batches were.
CREATE TABLE goal_history (
	goal           TEXT NOT NULL,
	seq            INTEGER NOT NULL,
	kind           TEXT NOT NULL,
	id             TEXT NOT NULL,
	version        INTEGER NOT NULL,
	agg_kind       TEXT NOT NULL,
	agg_id         TEXT NOT NULL,
	event_id       TEXT NOT NULL,
	event_type     TEXT NOT NULL,
	actor          TEXT NOT NULL,
	organ          TEXT NOT NULL,
	period         TEXT NOT NULL,
	recorded_at    TEXT NOT NULL,
	valid_from     TEXT NOT NULL,
	decision_organ TEXT,
	meeting_date   TEXT,
	paragraph      TEXT,
	case_number    TEXT,
	reason         TEXT NOT NULL,
	diff           TEXT NOT NULL,
	state          TEXT NOT NULL,
	PRIMARY KEY (goal, seq, kind, id)
) WITHOUT ROWID;
CREATE TABLE goal_history_recent (
	seq  INTEGER NOT NULL,
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	goal TEXT NOT NULL,
	PRIMARY KEY (seq, kind, id)
) WITHOUT ROWID;
-- The versions there are: all noted as recent, and moved when the file is opened.
INSERT INTO goal_history_recent
	SELECT seq, kind, id, id FROM history WHERE kind = 'goal'
	UNION ALL SELECT seq, kind, id, goal FROM history WHERE kind IN ('indicator', 'commitment')
	UNION ALL SELECT t.seq, t.kind, t.id, i.goal FROM history t
		JOIN history i ON i.kind = 'indicator' AND i.id = t.agg_id AND i.version = 1
		WHERE t.agg_kind = 'indicator' AND t.event_type IN ('indicator.target_set', 'indicator.value_corrected')
		AND t.kind NOT IN ('indicator', 'commitment', 'goal');
