-- A read model fed by one aggregate type reads that type's events in global order: with
-- this index the read is a range scan that stops after one batch, however rare the type
-- and whatever the planner's statistics say (seen without it: a bitmap scan of every
-- event of the type and a sort, seconds per batch on a freshly loaded store).
create index events_type_global_order on events (aggregate_type, tx_id, position);
