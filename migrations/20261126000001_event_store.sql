-- The event store: postgres-es's tables plus a global order.
-- `position` orders events within a transaction; `tx_id` lets readers take only the
-- events of transactions that have finished (below the snapshot's xmin), so a reader
-- never skips an event whose transaction commits after a later position.
create table events (
    aggregate_type text not null,
    aggregate_id   text not null,
    sequence       bigint not null check (sequence >= 0),
    event_type     text not null,
    event_version  text not null,
    payload        jsonb not null,
    metadata       jsonb not null,
    position       bigint generated always as identity unique,
    tx_id          xid8 not null default pg_current_xact_id(),
    recorded_at    timestamptz not null default now(),
    primary key (aggregate_type, aggregate_id, sequence)
);

create index events_global_order on events (tx_id, position);
create index events_type_order on events (event_type, position);

create function events_are_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'events are append-only: % is not allowed', tg_op;
end $$;

create trigger events_no_update before update or delete on events
    for each row execute function events_are_immutable();
create trigger events_no_truncate before truncate on events
    for each statement execute function events_are_immutable();

create function events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('playpod_events', '');
    return null;
end $$;

create trigger events_notify after insert on events
    for each statement execute function events_notify();

create table snapshots (
    aggregate_type   text not null,
    aggregate_id     text not null,
    last_sequence    bigint not null check (last_sequence >= 0),
    current_snapshot bigint not null check (current_snapshot >= 0),
    payload          jsonb not null,
    primary key (aggregate_type, aggregate_id, last_sequence)
);

create table projection_checkpoints (
    name     text primary key,
    tx_id    xid8 not null default '0',
    position bigint not null default 0
);
