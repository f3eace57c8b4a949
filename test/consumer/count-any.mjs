// Counts `any` in the public declarations: every .d.ts the package's entries reach
// (with the consumer's own TypeScript). The public surface must have none.
import ts from 'typescript';
import { join } from 'node:path';

const pkg = join(process.cwd(), 'node_modules', 'ringfence');
const entries = ['index', 'bpf', 'kernel', 'policy', 'testing'].map((e) => join(pkg, 'dist', 'sim', 'api', `${e}.d.ts`));
const program = ts.createProgram(entries, { noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] });
let count = 0;
const where = [];
let files = 0;
for (const sf of program.getSourceFiles()) {
  if (!sf.fileName.startsWith(pkg + '/dist/')) continue;
  files++;
  const visit = (n) => {
    if (n.kind === ts.SyntaxKind.AnyKeyword) {
      count++;
      const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      where.push(`${sf.fileName.slice(pkg.length + 1)}:${line + 1}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
console.log(`public declarations: ${files} .d.ts files reached from the entries, ${count} any`);
for (const w of where) console.log(`  any at ${w}`);
process.exit(count === 0 && files >= entries.length ? 0 : 1);
