// The view in the URL fragment: a bundled scenario by name (or the edited text
// itself, base64url), the trace, the profile, the diff profile and the step, so
// a link reproduces what was on screen. Pure: the browser test round-trips it.

import { PROFILE_NAMES, type ProfileName } from '../../model/profile/profiles.ts';

export interface ViewState {
  file: string | null;
  /** The trace text when it is not a bundled scenario. */
  source: string | null;
  trace: string;
  profile: ProfileName;
  diff: ProfileName | '';
  step: number;
}

function toBase64Url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string | null {
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

export function encodeFragment(v: ViewState): string {
  const p = new URLSearchParams();
  if (v.file) p.set('f', v.file);
  else p.set('src', toBase64Url(v.source ?? ''));
  if (v.trace) p.set('t', v.trace);
  p.set('k', v.profile);
  if (v.diff) p.set('d', v.diff);
  p.set('s', String(v.step));
  return p.toString();
}

const isProfile = (s: string | null): s is ProfileName => s !== null && (PROFILE_NAMES as readonly string[]).includes(s);

/** The view a fragment names, or null when it names none (unknown values are dropped, not trusted). */
export function decodeFragment(frag: string): Partial<ViewState> | null {
  if (!frag) return null;
  const p = new URLSearchParams(frag);
  const file = p.get('f');
  const src = p.get('src');
  const source = src === null ? null : fromBase64Url(src);
  if (!file && source === null) return null;
  const out: Partial<ViewState> = { file, source };
  const t = p.get('t');
  if (t) out.trace = t;
  const k = p.get('k');
  if (isProfile(k)) out.profile = k;
  const d = p.get('d');
  if (isProfile(d)) out.diff = d;
  const s = p.get('s');
  if (s !== null && /^\d{1,7}$/.test(s)) out.step = Number(s);
  return out;
}
