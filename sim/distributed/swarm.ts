import type { Io } from '../cli/io.ts';
export interface SwarmSliceFile { format: 'ringfence-swarm-slice/1' }
export function mergeSwarm(io: Io, files: { path: string; data: SwarmSliceFile }[]): number { return 3; }
