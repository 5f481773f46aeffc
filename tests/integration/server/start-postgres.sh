#!/usr/bin/env bash
# Starts a local PostgreSQL for the relay's test suite and prints its URL on stdout, e.g.
#   export TEST_DATABASE_URL=$(bash tests/integration/server/start-postgres.sh)
# Idempotent: installs Debian's postgresql when missing (needs root), starts the first cluster,
# creates the role and database if absent. Everything else goes to stderr.
set -euo pipefail

ROLE=enamel_test
PASSWORD=enamel_test
DB=enamel_relay_test

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

cluster=$(pg_lsclusters --no-header | head -n 1)
if [ -z "$cluster" ]; then
  echo "No PostgreSQL cluster found (pg_lsclusters is empty)" >&2
  exit 1
fi
version=$(echo "$cluster" | awk '{print $1}')
name=$(echo "$cluster" | awk '{print $2}')
port=$(echo "$cluster" | awk '{print $3}')
status=$(echo "$cluster" | awk '{print $4}')
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$name" start >&2
fi

for _ in $(seq 1 50); do
  if su postgres -c "psql -p $port -Atqc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 0.2
done

su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SQL
if ! su postgres -c "psql -p $port -Atqc \"select 1 from pg_database where datname = '$DB'\"" | grep -q 1; then
  su postgres -c "createdb -p $port -O $ROLE $DB" >&2
fi

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DB"
