#!/bin/sh
# The official redis image is built with protected mode off (a container is reached from other
# containers, not from loopback); Debian's redis-server has it on, so it is turned off here, for the
# same command lines (docker-compose.yml's) to work on both.
# A configuration file, when given, must stay the first argument.
if [ "$1" = redis-server ]; then
  shift
  case "${1:-}" in
    '' | -*) set -- redis-server --protected-mode no "$@" ;;
    *)
      conf=$1
      shift
      set -- redis-server "$conf" --protected-mode no "$@"
      ;;
  esac
fi
exec "$@"
