-- values was keyed by (indicator, id), with the index values_latest on (indicator, year, point, seq)
-- of the values with a number that are not corrected: two b-trees, in each of which most values of a
-- batch have a page of their own to write. Keyed by (indicator, year, point, seq, id), the table is
-- its own index of the latest values, and a read of them passes over the few corrected ones. A
-- value's id is unique within its indicator as its versions in history are: the projector looks
-- there before it adds one (projections: newValue).
CREATE TABLE values_0011 (
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
	PRIMARY KEY (indicator, year, point, seq, id)
) WITHOUT ROWID;
INSERT INTO values_0011 (indicator, id, year, point, value, text, women, men, status, late, corrects, corrected_by,
		valid_from, seq)
	SELECT indicator, id, year, point, value, text, women, men, status, late, corrects, corrected_by, valid_from, seq
	FROM "values";
DROP TABLE "values";
ALTER TABLE values_0011 RENAME TO "values";
