#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
// The version check comes first and the sources are imported dynamically: a static import
// of a .ts file would fail on an older Node before the check could say why.
import '../tools/require-node.js';

await import('../src/cli.ts');
