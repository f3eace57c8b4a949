// The recorded kernels' records, for the matrix view only: a chunk of their own
// (about 0.9 MB of text) loaded from the page's origin when the view first opens.

import type { RecordingText } from '../report/matrix.ts';
import { PREFIX } from './scenarios.ts';

const recorded = import.meta.glob('../../scenarios/recorded/**/*.jsonl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const RECORDINGS: RecordingText[] = Object.entries(recorded).map(([p, text]) => {
  const rest = p.slice(PREFIX.length + 'recorded/'.length);
  const slash = rest.indexOf('/');
  return { profile: rest.slice(0, slash), file: rest.slice(slash + 1), text };
});
