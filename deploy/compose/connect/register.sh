#!/bin/sh
# Registers every connector config in a directory on a Kafka Connect worker (POST /connectors with
# the file as it is). A connector already registered is left as it runs; to change one, PUT its
# new config to /connectors/<name>/config.
# Usage: register.sh CONNECT_URL CONFIG_DIR
set -eu
connect="$1"
dir="$2"

for file in "$dir"/*.json; do
    name=$(sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' "$file" | head -n 1)
    [ -n "$name" ] || { echo "no connector name in $file" >&2; exit 1; }
    status=$(curl -s -o /dev/null -w '%{http_code}' "$connect/connectors/$name")
    if [ "$status" = "200" ]; then
        echo "$name: already registered"
    else
        echo "$name: registering $file"
        curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "@$file" \
            "$connect/connectors" > /dev/null
    fi
done
for file in "$dir"/*.json; do
    name=$(sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' "$file" | head -n 1)
    curl -fsS "$connect/connectors/$name/status"
    echo
done
