-- The version of each entity in force on a date as known at a sequence is found in this index alone;
-- only the winning rows are then read for their state.
CREATE INDEX history_as_of ON history (kind, id, seq, valid_from);
