// The cBPF toolkit's public face: what the rest of ringfence imports.

export type { Insn } from './insn.ts';
export { insn } from './insn.ts';
export * from './isa.ts';
export {
  SOCK_FILTER_SIZE, encodeBinary, decodeBinary, formatC, parseC, formatBpfAsm, parseBpfAsm, formatQuads, formatQuad,
} from './codec.ts';
export { parseValue, parseUnsigned, toU32 } from './value.ts';
export { assemble, assembleDetailed, type AssembleOptions, type Assembled } from './assemble.ts';
