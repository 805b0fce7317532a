#!/bin/sh
# The official redis image's entrypoint contract (docker-library/redis docker-entrypoint.sh),
# re-implemented for the Debian 13 test image: arguments starting with `-` (or a *.conf file) go to
# redis-server; as root it takes ownership of /data and drops to the redis user; umask 0077.
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

um="$(umask)"
if [ "$um" = '0022' ]; then
  umask 0077
fi

# The official image compiles redis with protected mode off (its Dockerfile patches the default);
# Debian's binary keeps it on, so it is turned off here unless the arguments or a config file set it.
if [ "$1" = 'redis-server' ]; then
  case " $* " in
    *protected-mode* | *.conf\ *) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi

exec "$@"
