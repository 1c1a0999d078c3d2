-- The latest value in force of an indicator, found by one index seek for every value reported.
-- Points sort as T1 < T2 < annual, which is their order within a year.
CREATE INDEX values_latest ON "values" (indicator, year, point, seq) WHERE corrected_by = '' AND value IS NOT NULL;
