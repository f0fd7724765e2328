#!/usr/bin/env bash
# The "login+push" contender: what a workflow does without the action, with
# the Debian docker CLI (/usr/bin/docker; /usr/local/bin/docker is another
# client). The caller sets DOCKER_CONFIG to a fresh directory, so the login
# is really made every time and ~/.docker is never touched.
#
# Usage: login-push.sh PASSWORD_FILE HOST IMAGE REPOSITORY TAG...
#   REPOSITORY   registry host and path, e.g. 1234....amazonaws.com/bench-x
set -euo pipefail

docker=/usr/bin/docker

password_file=$1 host=$2 image=$3 repository=$4
shift 4

"$docker" login -u AWS --password-stdin "$host" <"$password_file"
for tag in "$@"; do
  # Tagging is timed too: the action does it as well.
  "$docker" tag "$image" "$repository:$tag"
  "$docker" push "$repository:$tag"
done
