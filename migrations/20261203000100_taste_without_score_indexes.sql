-- The score indexes made every change of a score a non-HOT update: each play wrote a new
-- tuple into both tables and an entry into both of each table's indexes, on pages spread
-- over every user's rows, and after each checkpoint each such page went into the WAL
-- whole (next wrote 8.8 KB of WAL a command at --scale 1). A user's taste is a few
-- hundred rows (291 artists at most at --scale 1), read through the primary key and
-- sorted: 0.2-0.4 ms for the largest, where the index took 0.1 ms. Free space on each page
-- lets a changed score stay on its page, with no index entry at all.
drop index taste_artists_top;
drop index taste_albums_top;
alter table taste_artists set (fillfactor = 90);
alter table taste_albums set (fillfactor = 90);
