-- Read models of the play queue and the listening history (projections "queue" and
-- "listening_history"); rebuildable from the Queue events alone.
create table queues (
    user_id          uuid primary key,
    current_position integer,
    track_count      integer not null default 0,
    is_radio         boolean not null default false,
    updated_at       timestamptz not null
);

create table queue_entries (
    user_id     uuid not null,
    entry_id    uuid not null,
    position    integer not null,
    track_id    bigint not null,
    title       text not null,
    artist_id   bigint not null,
    artist_name text not null,
    album_id    bigint,
    album_title text not null,
    album_cover text not null,
    duration    integer not null,
    primary key (user_id, entry_id)
);

create index queue_entries_order on queue_entries (user_id, position);

create table playback_history (
    play_id        uuid primary key,
    user_id        uuid not null,
    track_id       bigint not null,
    title          text not null,
    artist_id      bigint not null,
    artist_name    text not null,
    album_id       bigint,
    album_title    text not null,
    album_cover    text not null,
    duration       integer not null,
    played_at      timestamptz not null,
    event_position bigint not null
);

create index playback_history_recent on playback_history (user_id, event_position desc);
