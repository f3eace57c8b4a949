// Each command's one-line summary, as its module's `command.summary` says (a test
// keeps the two equal). `ringfence help` lists them from here, so it loads no
// command module at all: loading all of them is most of the cost of a help run.
// A command missing here is still listed: help loads its module for the summary.

export const SUMMARIES: Readonly<Record<string, string>> = {
  main: 'replay every bundled scenario under its profiles: the scenario × profile table (npm start)',
  replay: 'replay trace files: pass/fail per trace, or the JSONL records (--records)',
  diff: 'replay under two kernel profiles and show the commands whose records differ',
  explain: 'narrate a trace step by step: what each step changed (text, --json, --dot, --mermaid or --svg)',
  asm: 'assemble bpf_asm text into quads, a C array, bpf_asm decimal or binary',
  disasm: 'disassemble a cBPF program (binary, C array, decimal, quads) into bpf_asm text',
  check: "the kernel's verdict on registering a cBPF filter program (ret, rule, instruction)",
  run: 'run a cBPF filter on one request context: the result, allow or deny, and the path',
  oracle: 'replay traces on real kernels in qemu; compare with the simulator, re-record scenarios',
  explore: 'explore every call sequence of a small universe; --diff finds profile differences',
  policy: 'what a task or ring may still do: per opcode allowed, denied, or on which conditions',
  compile: 'compile a policy into proven filters, C, JSON, a probing trace or a summary',
  fuzz: 'random call sequences, kernel model against the reference model, for as long as asked',
  bench: 'run the benchmarks (figures and ratios; never part of npm test)',
  worker: 'take oracle batches and exploration parts off a Redis queue (--queue URL)',
  merge: 'combine the outputs of --shard slices into what one run prints',
  matrix: 'write docs/compatibility.md: each scenario behaviour against each recorded kernel (--check: is it up to date)',
};
