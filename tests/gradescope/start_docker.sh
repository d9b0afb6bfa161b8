#!/usr/bin/env bash
# `make test` runs this before the suite: tests/gradescope/test_docker.py needs a Docker engine
# and debootstrap. As root with apt-get, it installs Debian's docker.io and debootstrap when
# missing and starts dockerd when none answers (its log: /tmp/nn-course-dockerd.log). Anywhere it
# cannot (not root, no apt-get, offline), it says so and succeeds: the Docker test is then
# skipped with the reason.
set -u
answers() { timeout 20 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null && answers && command -v debootstrap >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: no Docker engine or no debootstrap here, and not root with apt-get: the Docker test will be skipped"
    exit 0
fi
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "installing Debian's docker.io and debootstrap (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q docker.io debootstrap >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q docker.io debootstrap >/dev/null; } \
        || { echo "note: apt-get could not install docker.io: the Docker test will be skipped"; exit 0; }
fi
if ! answers; then
    echo "starting dockerd (log: /tmp/nn-course-dockerd.log)"
    setsid dockerd >/tmp/nn-course-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 60); do answers && exit 0; sleep 1; done
    echo "note: dockerd did not answer within 60 s (see /tmp/nn-course-dockerd.log): the Docker test will be skipped"
fi
exit 0
