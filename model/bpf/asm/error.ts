// A parse failure inside the friendly scanner, thrown only within the assembler and
// handed back by assemble() as an RfError value located in the user's file.

export type AsmErrorKind = 'syntax' | 'name' | 'range' | 'invalid';

export class AsmError {
  constructor(
    readonly kind: AsmErrorKind,
    readonly message: string,
    /** Column (1-based, within the line) and length of the bad token. */
    readonly tok: { col: number; len: number } | null,
    readonly expected?: string,
  ) {}
}
