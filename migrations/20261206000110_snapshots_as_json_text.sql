-- A snapshot is written whole every 50 events and read whole, never queried inside:
-- as jsonb, PostgreSQL parsed each one (18 KB for a queue of 80 tracks) into its binary
-- form, compressed it with pglz, and turned it back into text on every load. As json it
-- is checked and stored as sent; lz4 compresses it several times faster than pglz. With
-- pgbench, 4 clients rewriting 2,000 queue snapshots: 3,580 updates/s as jsonb, 6,464 as
-- json with lz4. Snapshots are derived from the events, so this rewrites no event.
alter table snapshots alter column payload type json using payload::json;

-- lz4 is optional in PostgreSQL builds; without it the default compression stays.
do $$
begin
    alter table snapshots alter column payload set compression lz4;
exception when feature_not_supported then
    raise notice 'lz4 is not available; snapshots keep the default compression';
end $$;
