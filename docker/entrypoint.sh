#!/bin/sh
# Web containers migrate before serving (set DJANGO_MIGRATE=0 for workers and beat).
set -eu
if [ "${DJANGO_MIGRATE:-1}" = "1" ]; then
  python manage.py migrate --noinput
fi
exec "$@"
