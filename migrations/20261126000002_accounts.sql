create table users (
    id            uuid primary key,
    username      text not null,
    email         text not null,
    password_hash text not null,
    bio           text not null default '',
    avatar_key    text,
    roles         text[] not null default '{}',
    created_at    timestamptz not null default now(),
    deleted_at    timestamptz
);

create unique index users_username_key on users (lower(username));
create unique index users_email_key on users (lower(email));

-- One row per refresh token handed out; a family is one login and everything refreshed from it.
create table refresh_tokens (
    jti        uuid primary key,
    family_id  uuid not null,
    user_id    uuid not null references users (id),
    issued_at  timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at    timestamptz
);

create index refresh_tokens_family on refresh_tokens (family_id);

create table revoked_token_families (
    family_id  uuid primary key,
    revoked_at timestamptz not null default now()
);
