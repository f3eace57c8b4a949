// Where to download Debian packages from: the machine's own apt sources decide, so no
// mirror host is ever written into the repository. DEBIAN_MIRROR overrides them.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rfError, type Result } from '../../../model/errors.ts';

/** URIs of `deb` entries in deb822 `.sources` text (Types/URIs fields of each stanza). */
export function urisFromDeb822(text: string): string[] {
  const out: string[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (/^no$/i.test(fields.get('enabled') ?? 'yes')) continue;
    out.push(...(fields.get('uris') ?? '').split(/\s+/).filter(Boolean));
  }
  return out;
}

/** URIs of one-line `deb [opts] URI suite comp...` entries. */
export function urisFromOneLine(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

/**
 * The Debian archive URI (…/debian, not …/debian-security) among the given ones.
 * Ports, security and third-party archives are skipped.
 */
export function pickDebianMirror(uris: string[]): string | undefined {
  return uris.map((u) => u.replace(/\/+$/, '')).find((u) => /^(https?|file):\/\/.*\/debian$/.test(u));
}

/** The mirror to use: $DEBIAN_MIRROR, else the first Debian archive in /etc/apt. */
export function debianMirror(env = process.env, aptDir = '/etc/apt'): Result<string> {
  if (env.DEBIAN_MIRROR) return { ok: true, value: env.DEBIAN_MIRROR.replace(/\/+$/, '') };
  const uris: string[] = [];
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  uris.push(...urisFromOneLine(read(join(aptDir, 'sources.list'))));
  let parts: string[] = [];
  try {
    parts = readdirSync(join(aptDir, 'sources.list.d')).sort();
  } catch {
    /* no directory: only sources.list */
  }
  for (const f of parts) {
    if (f.endsWith('.sources')) uris.push(...urisFromDeb822(read(join(aptDir, 'sources.list.d', f))));
    else if (f.endsWith('.list')) uris.push(...urisFromOneLine(read(join(aptDir, 'sources.list.d', f))));
  }
  const m = pickDebianMirror(uris);
  if (m) return { ok: true, value: m };
  return {
    ok: false,
    error: rfError(
      'io',
      `no Debian archive found in ${aptDir}/sources.list or ${aptDir}/sources.list.d/*.sources`,
      undefined,
      'a `deb` source whose URI ends in /debian, or DEBIAN_MIRROR=<mirror>/debian in the environment',
    ),
  };
}
