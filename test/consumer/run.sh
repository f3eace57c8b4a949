#!/usr/bin/env bash
# The consumer test (CI, after the unit tests): pack ringfence as npm would publish it,
# install the tarball into a fresh project, and use it as a user would: import every
# entry from ESM (the four that do not need fast-check before fast-check is installed),
# type-check a TypeScript consumer, count `any` in the public declarations, run the CLI
# bundle from the installed bin (replay, the explorer's and the fuzzer's worker threads:
# modules it names at run time), and run a user-style property test with
# ringfence/testing. Any step failing fails the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ringfence-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Versions the project pins (the consumer installs them from the npm cache when it can).
ver() { node -p "require('$root/package.json').devDependencies['$1']"; }

echo "== npm pack (runs the build)"
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
tar tzf "$work/$tarball" | sed 's#^package/##' | sort > "$work/files.txt"
bin="$(node -p "require('$root/package.json').bin.ringfence")"
for f in package.json LICENSE README.md "$bin" dist/cli/sim/explore/worker.js dist/cli/sim/fuzz/worker.js \
         dist/cli/sim/cli/commands/replay.js \
         scenarios/legacy-ring.trace scenarios/recorded/7.3/legacy-ring.jsonl \
         sim/oracle/guest/guest.c sim/oracle/guest/abi.h sim/oracle/kernels/pins.json docs/api/README.md; do
  grep -qx "$f" "$work/files.txt" || { echo "missing from the tarball: $f"; exit 1; }
done
for e in index bpf kernel policy testing; do
  for x in js d.ts; do grep -qx "dist/sim/api/$e.$x" "$work/files.txt" || { echo "missing from the tarball: dist/sim/api/$e.$x"; exit 1; }; done
done
if grep -E '^(test/|\.ci/|node_modules/|sim/web/)|\.test\.' "$work/files.txt"; then echo "the tarball ships files it should not (above)"; exit 1; fi
echo "tarball: $(wc -l < "$work/files.txt") files, $(du -k "$work/$tarball" | cut -f1) kB packed"

echo "== install into a fresh project"
mkdir "$work/app"
cd "$work/app"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$work/$tarball"
echo "installed: $(du -sk node_modules/ringfence | cut -f1) kB; production dependencies: $(npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | grep -vc '/node_modules/ringfence$')"

echo "== ESM imports, without fast-check"
node --input-type=module -e "
  const want = { ringfence: ['parseTraces', 'replay', 'compareWithRecording'], 'ringfence/bpf': ['assemble', 'validate', 'runFilter'],
    'ringfence/kernel': ['createKernel', 'blankSqe'], 'ringfence/policy': ['policyOf'] };
  for (const [spec, names] of Object.entries(want)) {
    const m = await import(spec);
    for (const n of names) if (typeof m[n] !== 'function') throw new Error(spec + ' has no function ' + n);
  }
  console.log('4 entries import without fast-check');
"

echo "== fast-check and TypeScript for the user's own code"
npm install --prefer-offline --no-audit --no-fund --loglevel=error \
  "fast-check@$(ver fast-check)" "typescript@$(ver typescript)" "@types/node@$(ver @types/node)"
node --input-type=module -e "const m = await import('ringfence/testing'); if (typeof m.replayProperty !== 'function') throw new Error('ringfence/testing has no replayProperty'); console.log('ringfence/testing imports')"

echo "== tsc --noEmit on a consumer file"
cp "$here/consumer.ts" .
printf '%s\n' '{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "files": ["consumer.ts"] }' > tsconfig.json
npx tsc -p tsconfig.json
echo "consumer.ts type-checks"
node "$here/count-any.mjs"

echo "== the CLI from the installed package"
npx ringfence help > help.txt
grep -q '^  replay ' help.txt
npx ringfence replay node_modules/ringfence/scenarios/legacy-ring.trace | tail -n 1
npx ringfence explore --depth 3 --workers 2 | tail -n 1
npx ringfence fuzz --inputs --entry replay,asm --count 4 --workers 2 | tail -n 1
set +e
npx ringfence replay no-such-file.trace 2> err.txt; code=$?
set -e
[ "$code" -eq 2 ] || { echo "a missing trace file should exit 2, got $code"; exit 1; }

echo "== a user's property test with ringfence/testing"
cp "$here/property.test.mjs" .
node property.test.mjs
echo "consumer test passed"
