-- The read models of one tenant. Everything here is derived from the log and can be rebuilt from it.

-- Progress: the last stream sequence applied. Written in the same transaction as what it covers.
CREATE TABLE checkpoint (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT INTO checkpoint (id, seq) VALUES (1, 0);

-- Every record applied from the log, with the ids it was stored under (the read model remembers
-- processed event and command ids for good).
CREATE TABLE events (
	seq         INTEGER PRIMARY KEY,
	event_id    TEXT NOT NULL,
	msg_id      TEXT NOT NULL,
	type        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	period      TEXT NOT NULL,
	organ       TEXT NOT NULL,
	actor       TEXT NOT NULL,
	effective   TEXT NOT NULL,
	recorded_at TEXT NOT NULL
);
CREATE INDEX events_event_id ON events (event_id);
CREATE INDEX events_msg_id ON events (msg_id);
CREATE INDEX events_recorded_at ON events (recorded_at, seq);

-- Records that could not be applied: set aside with why, never retried silently.
CREATE TABLE quarantine (
	seq       INTEGER PRIMARY KEY,
	subject   TEXT NOT NULL,
	msg_id    TEXT NOT NULL,
	stored_at TEXT NOT NULL,
	data      BLOB NOT NULL,
	error     TEXT NOT NULL
);

-- Every version of every entity. valid_from/valid_to are valid time (from the decision);
-- seq/recorded_at are recording time. state is the entity after the version, diff what changed.
CREATE TABLE history (
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
	state          TEXT NOT NULL,
	PRIMARY KEY (kind, id, seq)
) WITHOUT ROWID;
CREATE INDEX history_aggregate ON history (agg_kind, agg_id, seq);
CREATE INDEX history_period ON history (period, seq);
CREATE INDEX history_seq ON history (seq);
CREATE INDEX history_goal ON history (kind, goal);

-- Which goals each version of a goal contributes to, to find a goal's contributors fast.
CREATE TABLE history_links (
	parent TEXT NOT NULL,
	goal   TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	PRIMARY KEY (parent, goal, seq)
) WITHOUT ROWID;

-- Current state, for dashboards and plain SQL.

CREATE TABLE periods (
	id         TEXT PRIMARY KEY,
	first_year INTEGER NOT NULL,
	last_year  INTEGER NOT NULL,
	closed     INTEGER NOT NULL,
	valid_from TEXT NOT NULL,
	seq        INTEGER NOT NULL
);

CREATE TABLE organs (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	kind         TEXT NOT NULL,
	parent       TEXT NOT NULL,
	dissolved    INTEGER NOT NULL,
	dissolved_on TEXT NOT NULL,
	successor    TEXT NOT NULL,
	valid_from   TEXT NOT NULL,
	seq          INTEGER NOT NULL
);

CREATE TABLE visions (
	id         TEXT PRIMARY KEY,
	period     TEXT NOT NULL,
	text       TEXT NOT NULL,
	horizon    TEXT NOT NULL,
	valid_from TEXT NOT NULL,
	seq        INTEGER NOT NULL
);

CREATE TABLE goals (
	id          TEXT PRIMARY KEY,
	period      TEXT NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	level       TEXT NOT NULL,
	owner       TEXT NOT NULL,
	goal_area   TEXT NOT NULL,
	status      TEXT NOT NULL,
	attainment  TEXT NOT NULL, -- of the latest assessment
	valid_from  TEXT NOT NULL,
	seq         INTEGER NOT NULL
);
CREATE INDEX goals_period ON goals (period, owner, level);

CREATE TABLE goal_links (
	goal   TEXT NOT NULL,
	parent TEXT NOT NULL,
	weight REAL,
	PRIMARY KEY (goal, parent)
) WITHOUT ROWID;
CREATE INDEX goal_links_parent ON goal_links (parent);

CREATE TABLE goal_sdgs (
	goal     TEXT NOT NULL,
	sdg      INTEGER NOT NULL,
	strength TEXT NOT NULL,
	PRIMARY KEY (goal, sdg)
) WITHOUT ROWID;

CREATE TABLE assessments (
	goal       TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	point      TEXT NOT NULL,
	year       INTEGER NOT NULL,
	attainment TEXT NOT NULL,
	suggested  TEXT NOT NULL,
	basis      TEXT NOT NULL,
	motivation TEXT NOT NULL,
	late       INTEGER NOT NULL,
	valid_from TEXT NOT NULL,
	PRIMARY KEY (goal, seq)
) WITHOUT ROWID;

CREATE TABLE indicators (
	id             TEXT PRIMARY KEY,
	goal           TEXT NOT NULL,
	period         TEXT NOT NULL,
	name           TEXT NOT NULL,
	unit           TEXT NOT NULL,
	measure        TEXT NOT NULL,
	direction      TEXT NOT NULL,
	source         TEXT NOT NULL,
	baseline_value REAL,
	baseline_year  INTEGER,
	gender_divided INTEGER NOT NULL,
	retired        INTEGER NOT NULL,
	latest_value   TEXT,    -- value id of the latest value in force
	latest_year    INTEGER,
	latest_number  REAL,
	target_value   REAL,    -- the target in force for latest_year
	comparison     TEXT,
	status         TEXT NOT NULL, -- on_track, off_track, no_target, no_value
	valid_from     TEXT NOT NULL,
	seq            INTEGER NOT NULL
);
CREATE INDEX indicators_goal ON indicators (goal);

-- Every target ever set; current marks the one in force for its year (or the term end).
CREATE TABLE targets (
	indicator  TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	year       INTEGER NOT NULL, -- 0 with term_end
	term_end   INTEGER NOT NULL,
	value      REAL NOT NULL,
	comparison TEXT NOT NULL,
	current    INTEGER NOT NULL,
	valid_from TEXT NOT NULL,
	PRIMARY KEY (indicator, seq)
) WITHOUT ROWID;

-- Every value ever reported; a correction is a new row and the corrected one keeps its number.
CREATE TABLE "values" (
	indicator    TEXT NOT NULL,
	id           TEXT NOT NULL,
	year         INTEGER NOT NULL,
	point        TEXT NOT NULL,
	value        REAL,
	text         TEXT NOT NULL,
	women        REAL,
	men          REAL,
	status       TEXT NOT NULL,
	late         INTEGER NOT NULL,
	corrects     TEXT NOT NULL,
	corrected_by TEXT NOT NULL,
	valid_from   TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	PRIMARY KEY (indicator, id)
) WITHOUT ROWID;
CREATE INDEX values_year ON "values" (indicator, year, seq);

CREATE TABLE method_breaks (
	indicator   TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	from_year   INTEGER NOT NULL,
	description TEXT NOT NULL,
	PRIMARY KEY (indicator, seq)
) WITHOUT ROWID;

CREATE TABLE commitments (
	id              TEXT PRIMARY KEY,
	period          TEXT NOT NULL,
	text            TEXT NOT NULL,
	responsible     TEXT NOT NULL,
	goal            TEXT NOT NULL,
	measure         TEXT NOT NULL,
	target          REAL,
	year            INTEGER NOT NULL,
	due             TEXT NOT NULL,
	status          TEXT NOT NULL,
	progress_value  REAL,
	progress_status TEXT NOT NULL,
	valid_from      TEXT NOT NULL,
	seq             INTEGER NOT NULL
);
CREATE INDEX commitments_year ON commitments (year, responsible);

CREATE TABLE progress (
	commitment TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	value      REAL,
	status     TEXT NOT NULL,
	comment    TEXT NOT NULL,
	organ      TEXT NOT NULL,
	valid_from TEXT NOT NULL,
	PRIMARY KEY (commitment, seq)
) WITHOUT ROWID;

CREATE TABLE followups (
	id         TEXT PRIMARY KEY,
	period     TEXT NOT NULL,
	point      TEXT NOT NULL,
	year       INTEGER NOT NULL,
	title      TEXT NOT NULL,
	as_of      TEXT NOT NULL,
	valid_from TEXT NOT NULL,
	seq        INTEGER NOT NULL
);
