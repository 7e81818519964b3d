-- The position of the last event applied to each queue: the version a reader compares
-- with the answer it kept. Queues untouched since this migration stay at 0 until their
-- next event, which is always at a higher position.
alter table queues add column last_event bigint not null default 0;
