#!/usr/bin/env bash
# Crosswalk's two entry points on a fresh clone (see README):
#   ./crosswalk.sh app    install, ingest + index the default corpus, match US->UK, score retrieval on the
#                         gold's test half, start the app on 127.0.0.1
#   ./crosswalk.sh test   install (with test extras, Debian's chromium and postgresql), run the whole test suite
# Anything after the first word goes to the app (streamlit) or to pytest.
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${CROSSWALK_VENV:-.venv}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

install() {  # $1: extras ("" or "test")
  local want stamp="$VENV/.crosswalk-installed"
  want="$(cat pyproject.toml | sha256sum | cut -c1-16)-$1"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first: 2.13.0 is the CPU build on local disk; unpinned, pip would pull a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install -q torch==2.13.0
  if [ -n "$1" ]; then "$VENV/bin/python" -m pip install -q -e ".[$1]"; else "$VENV/bin/python" -m pip install -q -e .; fi
  echo "$want" > "$stamp"
}

apt_install() {  # apt_install PACKAGE NOTE: Debian's PACKAGE, as root or through sudo; else NOTE on stderr
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    echo "note: $2" >&2
  fi
}

chromium() {  # Debian's chromium for the end-to-end browser test (never `playwright install`)
  [ -x /usr/bin/chromium ] && return
  apt_install chromium "/usr/bin/chromium missing and no root: the browser test will fail"
}

postgresql() {  # Debian's PostgreSQL server: the tests start their own throwaway one (tests/pg_server.py)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return
  apt_install postgresql "PostgreSQL (initdb) missing and no root: the PostgreSQL tests will fail"
}

cmd=${1:-app}
shift || true
case "$cmd" in
  app)
    SECONDS=0
    install ""
    CW="$VENV/bin/crosswalk"
    declare -a took=()
    step() {  # $1: label; the rest: the command. Times it for the one-line summary below.
      local label=$1 start=$SECONDS
      shift
      "$@" || return $?
      took+=("$label $((SECONDS - start)) s")
    }
    took+=("install $SECONDS s")
    # the embedding model's one-time ONNX export runs beside the ingest (which leaves a core idle at its end)
    "$CW" index --prepare >/dev/null 2>&1 &
    prepared=$!
    if [ -f ../shared/corpus/manifest.csv ]; then
      step ingest "$CW" ingest ../shared/corpus || echo "some documents failed (listed above); going on with the rest" >&2
    else
      step fetch "$CW" fetch || echo "some sources could not be fetched (listed above); going on with the rest" >&2
      step ingest "$CW" ingest --from-cache || echo "some documents failed (listed above); going on with the rest" >&2
    fi
    wait "$prepared" || true  # a failed export is retried, with its error shown, by `crosswalk index`
    step index "$CW" index
    step match "$CW" match --from US --to UK
    WS=${CROSSWALK_WORKSPACE:-workspace}
    mkdir -p "$WS/eval"
    # the evaluation page's figures (the gold's test half, every retriever; the matching path is left to
    # `crosswalk eval --pairs`): scored in the background while the app starts, which only reads the store
    # and shows the figures once they are saved
    ( "$CW" eval --pairs --split test --no-match >"$WS/eval/first-run.log" 2>&1 \
      || echo "the evaluation did not run ($WS/eval/first-run.log); the app's evaluation page says how to run it" >&2 ) &
    ( IFS=,; echo "first run: ${took[*]}; total $SECONDS s; evaluation scoring in the background" | sed 's/,/, /g' ) >&2
    exec "$CW" app "$@"
    ;;
  test)
    install test
    chromium
    postgresql
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./crosswalk.sh app|test [args]" >&2
    exit 2
    ;;
esac
