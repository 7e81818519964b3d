-- A NOTIFY takes one database-wide lock at commit and holds it through the WAL flush, so
-- notifying on every append serialised the commits of all commands: under load,
-- pg_stat_activity showed most commits waiting on `Lock:object`. A command now wakes the
-- projectors it waits for in its own process, and the leading projectors also look for
-- new events every second (projections/src/engine.rs).
drop trigger events_notify on events;
drop function events_notify();
