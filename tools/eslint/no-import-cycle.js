// An ESLint rule: no import cycle among the project's own modules, type-only imports
// included. One module per decision stays true only while the modules form a tree; a cycle,
// even of types, means two modules know about each other. Off-the-shelf rules skip type-only
// imports, so this one reads the relative imports of each file itself (a regex over the
// text: every import in this code base is a single static `import … from './x.ts'`).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const IMPORT = /^(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gm;
const cache = new Map();

function importsOf(file) {
  let deps = cache.get(file);
  if (deps === undefined) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    deps = [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]));
    cache.set(file, deps);
  }
  return deps;
}

/** A path of imports from `from` back to `target`, or undefined. */
function pathBack(from, target, seen = new Set()) {
  if (from === target) return [from];
  if (seen.has(from)) return undefined;
  seen.add(from);
  for (const next of importsOf(from)) {
    const rest = pathBack(next, target, seen);
    if (rest !== undefined) return [from, ...rest];
  }
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import cycles between modules, type-only imports included' },
    schema: [],
    messages: { cycle: 'import cycle: {{path}}' },
  },
  create(context) {
    const file = context.filename;
    // The file being linted may differ from disk (an editor buffer): read it from the source.
    cache.delete(file);
    return {
      'ImportDeclaration, ExportNamedDeclaration, ExportAllDeclaration'(node) {
        const spec = node.source?.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const target = resolve(dirname(file), spec);
        const back = pathBack(target, file);
        if (back === undefined) return;
        const path = [file, ...back].map((f) => relative(context.cwd, f)).join(' → ');
        context.report({ node, messageId: 'cycle', data: { path } });
      },
    };
  },
};
