// The cBPF generators live in sim/testing/programs.ts (ringfence/testing offers them to users).
export { anyInsn, u32, validProgram, ctxFor } from '../../sim/testing/programs.ts';
