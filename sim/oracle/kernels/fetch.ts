// Fetch the Debian cloud kernel pinned for a profile and turn it into the ELF vmlinux
// the oracle boots. No root and no change to /etc/apt: apt runs with a private state
// directory under the cache, the mirror comes from the machine's own apt sources,
// and Debian's archive keyring checks the signatures. Results are cached per package
// version, so a second run costs nothing.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rfError, type Result } from '../../../model/errors.ts';
import { debianMirror } from './mirror.ts';
import { extractVmlinux } from './vmlinux.ts';
import { assetPath } from '../../package/layout.ts';

export const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface KernelPin {
  suite: string;
  package: string;
  version: string;
  /** The kernel release (uname -r). */
  release: string;
  sha256: string;
}

export interface FetchedKernel {
  profile: string;
  pin: KernelPin;
  dir: string;
  vmlinux: string;
}

const PINS_FILE = assetPath('sim', 'oracle', 'kernels', 'pins.json');

export function loadPins(): Record<string, KernelPin> {
  return (JSON.parse(readFileSync(PINS_FILE, 'utf8')) as { kernels: Record<string, KernelPin> }).kernels;
}

export function cacheRoot(env = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ringfence');
}

/** The cache directory of one pinned package: kernels/<package>_<version>/. */
export function kernelDir(pin: KernelPin, env = process.env): string {
  return join(cacheRoot(env), 'kernels', `${pin.package}_${pin.version}`.replace(/[^A-Za-z0-9.+~_-]/g, '_'));
}

/**
 * The kernel for a profile if it is in the cache and still what was extracted: the
 * sha256 of the vmlinux, recorded at extraction next to the package's pinned hash, is
 * checked on every use (about 0.2 s of CPU for 60 MB; docs/oracle.md). A file that
 * changed, an entry from before hashes were recorded, or one extracted from another
 * package hash than pins.json now names is not trusted: `log` says why and the
 * caller fetches it again.
 */
export function cachedKernel(profile: string, env = process.env, log: (s: string) => void = () => {}): FetchedKernel | undefined {
  const pin = loadPins()[profile];
  if (!pin) return undefined;
  const dir = kernelDir(pin, env);
  const vmlinux = join(dir, 'vmlinux');
  if (!existsSync(vmlinux)) return undefined;
  let meta: { sha256?: string; vmlinuxSha256?: string } = {};
  try {
    meta = JSON.parse(readFileSync(join(dir, 'pin.json'), 'utf8')) as typeof meta;
  } catch {
    // unreadable: not trusted below
  }
  if (meta.sha256 !== pin.sha256 || typeof meta.vmlinuxSha256 !== 'string') {
    log(`${profile}: the cached kernel in ${dir} has no recorded hash for the pinned package; fetching it again`);
    return undefined;
  }
  const sum = sha256(vmlinux);
  if (sum !== meta.vmlinuxSha256) {
    log(`${profile}: the cached ${vmlinux} has sha256 ${sum}, not the ${meta.vmlinuxSha256} recorded when it was extracted; fetching it again`);
    return undefined;
  }
  return { profile, pin, dir, vmlinux };
}

function fail(message: string, todo: string): Result<never> {
  return { ok: false, error: rfError('io', message, undefined, todo) };
}

function run(cmd: string, args: string[], cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { ok: false, out: `${cmd}: ${r.error.message}` };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** apt-get options for a private state directory (lists, cache, sources) under `aptDir`. */
function aptOptions(aptDir: string): string[] {
  const o = [
    `Dir::Etc::SourceList=${join(aptDir, 'sources.list')}`,
    'Dir::Etc::SourceParts=/dev/null',
    `Dir::State::Lists=${join(aptDir, 'lists')}`,
    `Dir::State::status=/dev/null`,
    `Dir::Cache=${join(aptDir, 'cache')}`,
    'Debug::NoLocking=1',
    'APT::Architecture=amd64',
    'Acquire::Languages=none',
  ];
  // As root apt hands downloads to the _apt user, who cannot write into the cache.
  if (process.getuid?.() === 0) o.push('APT::Sandbox::User=root');
  return o.flatMap((x) => ['-o', x]);
}

/** Whether apt's private lists hold a signed index of `suite` from `mirror` (apt names them host_path_dists_suite_InRelease). */
function hasIndex(aptDir: string, mirror: string, suite: string): boolean {
  const prefix = `${mirror.replace(/^[a-z]+:\/\//, '').replace(/\//g, '_')}_dists_${suite}_`;
  try {
    return readdirSync(join(aptDir, 'lists')).some((f) => f.startsWith(prefix) && /Release$/.test(f));
  } catch {
    return false;
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Make sure the pinned kernel for `profile` is in the cache and return where it is.
 * `log` receives progress lines.
 */
export function fetchKernel(profile: string, log: (s: string) => void = () => {}, env = process.env): Result<FetchedKernel> {
  const pins = loadPins();
  const pin = pins[profile];
  if (!pin) {
    return fail(`no kernel is pinned for profile '${profile}'`, `one of ${Object.keys(pins).join(', ')} (sim/oracle/kernels/pins.json)`);
  }
  const cached = cachedKernel(profile, env, log);
  if (cached) return { ok: true, value: cached };

  if (!existsSync(KEYRING)) {
    return fail(`Debian's archive keyring ${KEYRING} is missing`, 'apt-get install debian-archive-keyring');
  }
  for (const tool of ['apt-get', 'dpkg-deb', 'tar', 'zstd']) {
    if (!run('sh', ['-c', `command -v ${tool}`]).ok) {
      return fail(`the '${tool}' command is missing`, tool === 'zstd' ? 'apt-get install zstd' : 'a Debian-based system with apt and dpkg');
    }
  }
  const mirror = debianMirror(env);
  if (!mirror.ok) return mirror;

  const aptDir = join(cacheRoot(env), 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(aptDir, d), { recursive: true });
  const suites = [...new Set(Object.values(pins).map((p) => p.suite))].sort();
  const sources = suites.map((s) => `deb [signed-by=${KEYRING}] ${mirror.value} ${s} main`).join('\n') + '\n';
  const sourcesFile = join(aptDir, 'sources.list');
  const sourcesChanged = !existsSync(sourcesFile) || readFileSync(sourcesFile, 'utf8') !== sources;
  if (sourcesChanged) writeFileSync(sourcesFile, sources);

  const opts = aptOptions(aptDir);
  const dir = kernelDir(pin, env);
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const download = () => run('apt-get', [...opts, '-q', 'download', `${pin.package}=${pin.version}`], work);
  let dl = sourcesChanged ? { ok: false, out: '' } : download();
  if (!dl.ok) {
    log(`apt-get update (${suites.join(', ')} from ${mirror.value})`);
    const up = run('apt-get', [...opts, '-q', 'update']);
    const missing = suites.filter((s) => !hasIndex(aptDir, mirror.value, s));
    if (!up.ok || missing.length) {
      // apt-get update exits 0 when an index could not be fetched; look for the files.
      const why = up.out.split('\n').filter((l) => /^(E|W|Err):/.test(l)).slice(0, 6).join('\n');
      return fail(
        `apt-get update could not fetch the ${missing.join(', ') || suites.join(', ')} index from ${mirror.value}${why ? `:\n${why}` : ''}`,
        'network access to that Debian mirror, or DEBIAN_MIRROR=<mirror>/debian naming one that carries these suites',
      );
    }
    log(`apt-get download ${pin.package}=${pin.version}`);
    dl = download();
  }
  if (!dl.ok) {
    return fail(
      `cannot download ${pin.package}=${pin.version} from ${pin.suite}:\n${dl.out}`,
      `a version that ${pin.suite} still carries: list them with 'ringfence oracle --list-kernels' and update sim/oracle/kernels/pins.json`,
    );
  }
  const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
  if (!deb) return fail(`apt-get download left no .deb in ${work}`, 'a working apt-get');
  const sum = sha256(join(work, deb));
  if (sum !== pin.sha256) {
    return fail(`${deb} has sha256 ${sum}, but pins.json says ${pin.sha256}`, 'the pinned package; if Debian rebuilt it, re-pin it in sim/oracle/kernels/pins.json');
  }

  // Only the kernel image: usr/lib/modules/<rel>/vmlinuz (7.x) or boot/vmlinuz-<rel> (6.x).
  const x = run('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -f - --wildcards --no-anchored 'vmlinuz*'`, 'sh', join(work, deb)], work);
  const candidates = [join(work, 'usr/lib/modules', pin.release, 'vmlinuz'), join(work, 'boot', `vmlinuz-${pin.release}`)];
  const vmlinuz = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  if (!vmlinuz) return fail(`no vmlinuz for ${pin.release} in ${deb}${x.ok ? '' : `:\n${x.out}`}`, 'a kernel binary package (linux-binary-* or linux-image-*)');
  const elf = extractVmlinux(new Uint8Array(readFileSync(vmlinuz)));
  if (!elf.ok) return elf;
  writeFileSync(join(work, 'vmlinux'), elf.value);
  // The vmlinux's own hash, checked at every later use (cachedKernel).
  const vmlinuxSha256 = createHash('sha256').update(elf.value).digest('hex');
  writeFileSync(join(work, 'pin.json'), JSON.stringify({ profile, ...pin, vmlinuxSha256 }, null, 2) + '\n');
  for (const f of readdirSync(work)) if (f !== 'vmlinux' && f !== 'pin.json') rmSync(join(work, f), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  log(`${profile}: ${pin.package} ${pin.version} -> ${join(dir, 'vmlinux')}`);
  return { ok: true, value: { profile, pin, dir, vmlinux: join(dir, 'vmlinux') } };
}

/** Kernel packages the configured suites carry now (for re-pinning). */
export function listAvailableKernels(env = process.env): Result<string[]> {
  const mirror = debianMirror(env);
  if (!mirror.ok) return mirror;
  const pins = loadPins();
  const aptDir = join(cacheRoot(env), 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(aptDir, d), { recursive: true });
  const suites = [...new Set(Object.values(pins).map((p) => p.suite))].sort();
  writeFileSync(join(aptDir, 'sources.list'), suites.map((s) => `deb [signed-by=${KEYRING}] ${mirror.value} ${s} main`).join('\n') + '\n');
  const opts = aptOptions(aptDir);
  const up = run('apt-get', [...opts, '-q', 'update']);
  if (!up.ok) return fail(`apt-get update failed:\n${up.out}`, 'network access to the Debian mirror');
  const s = run('sh', ['-c', `apt-cache "$@" search --names-only '^linux-(binary|image)-[0-9].*-cloud-amd64$' | cut -d' ' -f1 | sort -V`, 'sh', ...opts]);
  if (!s.ok) return fail(`apt-cache search failed:\n${s.out}`, 'a working apt-cache');
  return { ok: true, value: s.out.split('\n').filter(Boolean) };
}
