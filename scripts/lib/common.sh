# Shared by scripts/run, scripts/test and scripts/bench: make sure the tools and a
# PostgreSQL server are there, installing Debian's packages when they are not.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
# The password is ignored by servers that trust local connections and set by us on
# clusters this script creates.
PG_SERVER_URL=${PG_SERVER_URL:-postgres://postgres:postgres@${PG_HOST}:${PG_PORT}}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    say "installing $* (Debian packages)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
    if command -v cargo >/dev/null 2>&1; then return; fi
    if [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; return; fi
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
    command -v cc >/dev/null 2>&1 || apt_install build-essential
    say "installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
}

pg_reachable() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    else
        (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
    fi
}

ensure_postgres() {
    if pg_reachable; then return; fi
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-client
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        as_root pg_createcluster "$version" main >/dev/null
    fi
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_reachable && break; sleep 1; done
    pg_reachable || { echo "PostgreSQL did not come up on $PG_HOST:$PG_PORT" >&2; exit 1; }
    as_root su postgres -c "psql -q -c \"alter user postgres password 'postgres'\"" >/dev/null
}

psql_server() {
    command -v psql >/dev/null 2>&1 || apt_install postgresql-client
    psql "$PG_SERVER_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"
}

ensure_database() {
    local name=$1
    if [ "$(psql_server -c "select 1 from pg_database where datname = '$name'")" != 1 ]; then
        say "creating database $name"
        psql_server -c "create database $name"
    fi
}

# schemathesis (PyPI) for the spec fuzzing test, in a venv under target/ so that it goes
# with the build and never touches the system's Python. Pinned: a newer release may add
# checks, and the suite should only change when this line does.
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}

ensure_schemathesis() {
    local venv=target/schemathesis-venv
    if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
        # Debian splits venv support (ensurepip) out of python3 into python3-venv.
        python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3 python3-venv
        say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    fi
    export SCHEMATHESIS="$PWD/$venv/bin/schemathesis"
}
