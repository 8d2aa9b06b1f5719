#!/usr/bin/env bash
# One docker round trip against the registry a stack deployed (.github/workflows/e2e.yml):
#
#   e2e/roundtrip.sh STACK TAG [EARLIER_TAG]
#
# Reads the stack's outputs, trusts REGISTRY_CA_CERT, logs in (password on stdin),
# builds a tiny image unique to this run and TAG, pushes it, deletes it locally, pulls
# it back and checks the digest. With EARLIER_TAG, also pulls the image an earlier
# round trip pushed and checks it still has the digest recorded then.
set -euo pipefail
stack="$1"
tag="$2"
earlier="${3:-}"
records="${RUNNER_TEMP:-/tmp}/e2e-digests-$stack"
mkdir -p "$records"

registry="$(pulumi stack output -s "$stack" REGISTRY)"
user="$(pulumi stack output -s "$stack" REGISTRY_USERNAME)"
ca="$(pulumi stack output -s "$stack" REGISTRY_CA_CERT)"
host="${registry%%/*}"
# The workflow's last step logs out of this host, even after a failure or a destroy.
if [ -n "${GITHUB_ENV:-}" ]; then echo "REGISTRY_HOST=$host" >>"$GITHUB_ENV"; fi
if [ -n "$ca" ]; then
  sudo mkdir -p "/etc/docker/certs.d/$host"
  printf '%s\n' "$ca" | sudo tee "/etc/docker/certs.d/$host/ca.crt" >/dev/null
fi
pulumi stack output -s "$stack" --show-secrets REGISTRY_PASSWORD |
  docker login "$host" -u "$user" --password-stdin

digest_of() { docker image inspect --format '{{index .RepoDigests 0}}' "$1" | sed 's/.*@//'; }

context="$(mktemp -d)"
printf '%s %s %s\n' "$stack" "$tag" "${GITHUB_RUN_ID:-local}" >"$context/marker"
printf 'FROM scratch\nCOPY marker /marker\n' >"$context/Dockerfile"
ref="$registry/e2e/app:$tag"
docker build --tag "$ref" "$context"
docker push "$ref"
pushed="$(digest_of "$ref")"
echo "$pushed" >"$records/$tag"
docker image rm "$ref"
docker pull "$ref"
pulled="$(digest_of "$ref")"
if [ "$pulled" != "$pushed" ]; then
  echo "::error::$ref pulled back as $pulled, pushed as $pushed"
  exit 1
fi
echo "pushed and pulled $ref ($pushed)"

if [ -n "$earlier" ]; then
  old="$registry/e2e/app:$earlier"
  docker image rm "$old" 2>/dev/null || true
  docker pull "$old"
  want="$(cat "$records/$earlier")"
  got="$(digest_of "$old")"
  if [ "$got" != "$want" ]; then
    echo "::error::$old is $got after the change, was $want"
    exit 1
  fi
  echo "the earlier $old is still there ($got)"
fi
