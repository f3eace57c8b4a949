export * from './opcodes.ts';
export * from './register.ts';
export * from './flags.ts';
export * from './errno.ts';
export * from './net.ts';
export * from './ctx.ts';
export * from './symbols.ts';
