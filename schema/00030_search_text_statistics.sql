-- A finer sample of leads.search_text for the planner. A search in
-- probability order either walks lead_rank's score order or, for a rare
-- term, starts from the trigram index (queries/leads.sql), chosen on the
-- estimated share of matches; from the default sample that estimate swung
-- run to run (q=silva, 1 lead in 30: 59 to 2,900 of 41k), and with the low
-- ones every such page took the trigram path, 7-15 ms instead of 1 ms.
-- ANALYZE reads 75,000 rows instead of 30,000 (all of them below that):
-- about as long at a million leads (0.6 s; 1.8 s with 150,000).

-- +goose Up
ALTER TABLE leads ALTER COLUMN search_text SET STATISTICS 250;
ANALYZE leads;

-- +goose Down
ALTER TABLE leads ALTER COLUMN search_text SET STATISTICS -1;
