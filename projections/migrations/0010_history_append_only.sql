-- A version's valid_to is the valid_from of the next version of its entity. It was stored, and each
-- new version updated the row of the one before it: a page of history, anywhere in the file,
-- rewritten for a quarter of the events, and the one write that changed a row of history once
-- written. Nothing read it back: every read computes valid_to from the versions it selects, as far
-- as it knows (projections.validTo). History is now written once and never changed; the view
-- history_valid gives each version the valid_to the column held, as far as the file knows.
ALTER TABLE history DROP COLUMN valid_to;
CREATE VIEW history_valid AS
	SELECT h.*, lead(h.valid_from) OVER (PARTITION BY h.kind, h.id ORDER BY h.seq) AS valid_to FROM history h;
