-- Read models of playlists and favorites (projections "playlists" and "favorites");
-- rebuildable from the Playlist and Library events alone. Deleted playlists have no rows:
-- their history stays in the events table.
create table playlists (
    id          uuid primary key,
    owner_id    uuid not null,
    name        text not null,
    description text not null,
    is_public   boolean not null,
    cover_key   text,
    track_count integer not null default 0,
    -- the number of the playlist's events applied: its ETag and If-Match version
    version     bigint not null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);

create index playlists_by_owner on playlists (owner_id, created_at desc, id desc);
create index playlists_public on playlists (created_at desc, id desc) where is_public;

create table playlist_tracks (
    playlist_id uuid not null references playlists (id) on delete cascade,
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
    added_at    timestamptz not null,
    primary key (playlist_id, track_id),
    -- Checked at commit: shifting a range of positions by one passes through duplicates.
    constraint playlist_tracks_dense unique (playlist_id, position) deferrable initially deferred
);

create table favorites (
    user_id        uuid not null,
    entry_id       uuid not null,
    track_id       bigint not null,
    title          text not null,
    artist_id      bigint not null,
    artist_name    text not null,
    album_id       bigint,
    album_title    text not null,
    album_cover    text not null,
    duration       integer not null,
    added_at       timestamptz not null,
    -- the event's global position: newest first, even within one transaction
    event_position bigint not null,
    primary key (user_id, track_id)
);

create index favorites_recent on favorites (user_id, event_position desc);
