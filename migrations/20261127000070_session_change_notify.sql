-- Instances remember which logins are valid (src/auth/session_cache.rs); this tells them
-- when that may have changed. Statement-level: a bulk change notifies once. Such changes
-- are rare, so NOTIFY's commit-time lock costs nothing here (unlike on events, 0060).
create function notify_session_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('playpod_sessions', '');
    return null;
end
$$;

create trigger users_session_change
    after update of roles, deleted_at or delete on users
    for each statement execute function notify_session_change();

create trigger revoked_token_families_session_change
    after insert or update or delete on revoked_token_families
    for each statement execute function notify_session_change();
