-- The number of public playlists, kept by the playlists projection in the transactions
-- that change `playlists`, so a list's total need not count them on every request.
-- One row while there is a public playlist and none otherwise: the row then depends on
-- the count alone, not on the history that led to it, and a replay builds exactly it.
create table playlist_counts (
    only_row boolean primary key default true check (only_row),
    public   bigint not null check (public >= 0)
);

-- Seeded from the read model as it stands, which no projector may change meanwhile. An
-- instance of an older version left projecting after this would not keep the count:
-- stop those first, or rebuild the playlists projection afterwards.
lock table playlists in share mode;
insert into playlist_counts (public)
select count(*) from playlists where is_public having count(*) > 0;
