#!/usr/bin/env bash
# The queue mode on one machine: a private redis-server on a free loopback port (no
# persistence), WORKERS `ringfence worker` processes, then the coordinator command
# given after `--` with `--queue URL` appended. Everything started here is stopped on
# exit, whatever happens. KILL_ONE_AFTER=S kills one worker S seconds in (its job runs
# again on another: the output must not change). WORKER_ARGS adds options to every
# worker (e.g. WORKER_ARGS='--lock-seconds 300 --jobs 2'), WORKER_NODE_ARGS options to
# node for every worker (default: --single-threaded-gc when WORKERS >= the cores).
#
#   docs/deploy/one-machine.sh 3 -- oracle --random 10000 --kernel 7.2,7.3 --out /tmp/mm
#   KILL_ONE_AFTER=60 docs/deploy/one-machine.sh 3 -- oracle --random 2000 --kernel 7.2,7.3
#   docs/deploy/one-machine.sh 3 -- explore --depth 6 --json
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:?usage: one-machine.sh WORKERS -- COMMAND ARGS...}
shift
[ "${1:-}" = "--" ] && shift
command -v redis-server >/dev/null || { echo "one-machine.sh: redis-server is not installed (apt-get install -y redis-server)" >&2; exit 2; }

pids=()
dir=$(mktemp -d)
stop() {
  # Workers finish the job in hand on SIGTERM (a qemu boot); the queue is going away, so no.
  # Their qemu guests first (by parent pid), or they would outlive them.
  for p in "${pids[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 143' INT TERM

# The package's bin (the esbuild bundle `npm run build` makes, dist/cli/) when it is up
# to date, as `npx ringfence` would run it; else the sources through tsx. Not tsc's
# dist/sim/: what is measured against the single-machine command is the same build.
bin=$(node -p "require('./package.json').bin.ringfence")
entry=sim/cli/ringfence.mjs
if [ -f "$bin" ] && [ -z "$(find sim model -name '*.ts' -newer "$bin" -print -quit)" ]; then
  entry=$bin
elif [ -d dist ]; then
  echo "one-machine.sh: $bin is older than the sources: running them through tsx (npm run build to use the build)" >&2
fi
# An exploration has one part per worker unless it says otherwise.
args=("$@")
if [ "${1:-}" = explore ] && ! printf '%s\n' "$@" | grep -q '^--parts'; then args+=(--parts "$workers"); fi

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
url="redis://127.0.0.1:$port"

# As many workers as cores or more: V8's collector threads would only take cores from the
# other workers, so each collects on its own thread (half the collector time at depth 6;
# docs/distributed.md, "Depth 6: the collector"). WORKER_NODE_ARGS overrides it.
gc=()
if [ "$workers" -ge "$(nproc)" ]; then gc=(--single-threaded-gc); fi
# shellcheck disable=SC2206
node_args=(${WORKER_NODE_ARGS-${gc[@]}})

# The one place that says how a worker starts (as the tests do: test/distributed/servers.ts).
for i in $(seq "$workers"); do
  # shellcheck disable=SC2086
  node "${node_args[@]}" "$entry" worker --queue "$url" ${WORKER_ARGS:-} 2>"$dir/worker-$i.log" &
  pids+=($!)
done
if [ -n "${KILL_ONE_AFTER:-}" ]; then
  victim=${pids[1]}
  ( sleep "$KILL_ONE_AFTER"; kill -9 "$victim" 2>/dev/null && echo "one-machine.sh: killed worker $victim" >&2 ) &
fi
# In the background and waited for, so a signal to this script stops it too (the trap).
node "$entry" "${args[@]}" --queue "$url" &
coordinator=$!
pids+=("$coordinator")
status=0
wait "$coordinator" || status=$?
exit "$status"
