-- The versions an aggregate's events wrote, by event type: a goal's history asks for the targets and
-- the corrections of its indicators, a commitment for its progress reports, among the many values
-- reported on the same indicators.
DROP INDEX history_aggregate;
CREATE INDEX history_aggregate ON history (agg_kind, agg_id, event_type, seq);
