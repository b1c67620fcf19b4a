#!/usr/bin/env bash
# Install (if missing) and start PostgreSQL and Redis on loopback, without systemd. Idempotent.
# Run as root. Prints the URLs to use as DAB_TEST_DATABASE_URL / DAB_TEST_REDIS_URL.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
DB_USER=${DAB_PG_USER:-dab}
DB_PASS=${DAB_PG_PASSWORD:-dab}
DB_NAME=${DAB_PG_DB:-dab}
PG_PORT=${DAB_PG_PORT:-5432}
REDIS_PORT=${DAB_REDIS_PORT:-6379}

missing=()
[ -x "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -1)" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
fi
pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main" || pg_createcluster "$version" main >/dev/null
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p "$PG_PORT"

su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -p $PG_PORT" <<SQL >/dev/null
DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASS';
  ELSE
    ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASS';
  END IF;
END\$\$;
SQL
su postgres -c "psql -qtA -p $PG_PORT -c \"SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'\"" | grep -q 1 \
  || su postgres -c "createdb -p $PG_PORT -O $DB_USER $DB_NAME"

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --logfile /tmp/dab-redis.log --pidfile /tmp/dab-redis.pid --dir /tmp
fi
for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null

echo "DATABASE_URL=postgresql+asyncpg://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME"
echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
