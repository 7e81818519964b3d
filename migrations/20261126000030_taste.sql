-- Read model of listening taste (projection "taste"): per user, artists and albums scored
-- by plays, favorites and playlist additions; rebuildable from the Queue, Library and
-- Playlist events alone.
--
-- Scores are kept in a fixed-epoch scale: an event recorded at t adds
-- weight * 2^((t - 2026-01-01) / 30 days). Decaying every score to any "now" divides them
-- all by the same number, so ordering by the stored score is ordering by the decayed one,
-- and no clock is needed to fold the events.
create table taste_artists (
    user_id       uuid not null,
    artist_id     bigint not null,
    artist_name   text not null,
    -- the artist's track the user engaged with last: where related tracks start from
    seed_track_id bigint not null,
    score         double precision not null,
    primary key (user_id, artist_id)
);

create index taste_artists_top on taste_artists (user_id, score desc);

create table taste_albums (
    user_id  uuid not null,
    album_id bigint not null,
    score    double precision not null,
    primary key (user_id, album_id)
);

create index taste_albums_top on taste_albums (user_id, score desc);

-- What each live favorite or playlist entry added to a user's scores, so removing it takes
-- back exactly that; source is the aggregate (Library or Playlist) holding the entry.
create table taste_contributions (
    source_type text not null,
    source_id   text not null,
    track_id    bigint not null,
    user_id     uuid not null,
    artist_id   bigint not null,
    album_id    bigint,
    score       double precision not null,
    primary key (source_type, source_id, track_id)
);
