// The cBPF toolkit's public face: what the rest of ringfence imports.

export type { Insn } from './insn.ts';
export { insn } from './insn.ts';
export * from './isa.ts';
export {
  SOCK_FILTER_SIZE, encodeBinary, decodeBinary, formatC, parseC, formatBpfAsm, parseBpfAsm, formatQuads, formatQuad,
} from './codec.ts';
export { parseValue, parseUnsigned, toU32 } from './value.ts';
export { assemble, assembleDetailed, type AssembleOptions, type Assembled } from './assemble.ts';
export { disassemble, formatMnemonic, instructionTexts, type DisassembleOptions } from './disassemble.ts';
export { checkClassic, checkLoadAndStores, CLASSIC_CODES, type Rejection } from './check-classic.ts';
export { checkIoUring, IO_URING_CODES } from './check-io-uring.ts';
export { validate, RULES, type Verdict } from './validate.ts';
export type { Program, TraceStep, TraceSink } from './program.ts';
export { interpret, execute } from './interpret.ts';
export { compile, compileSource, type CompiledFilter } from './compile.ts';
export { makeProgram, HOT_THRESHOLD, type TierOptions } from './tiered.ts';
export { loadProgram, detectFormat, INPUT_FORMATS, type InputFormat, type LoadedProgram } from './load.ts';
export { packContext, writeField, contextWords, findField } from './context.ts';
