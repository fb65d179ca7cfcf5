// Checks the Node.js version before anything loads TypeScript sources, so that an old Node
// says what is wrong in one line instead of failing with ERR_UNKNOWN_FILE_EXTENSION.
// Plain JavaScript that old Node versions parse; imported first by bin/ and run first by the
// npm scripts.
var NEEDED = 24;
var major = Number(process.versions.node.split('.')[0]);
if (major < NEEDED) {
  process.stderr.write(
    'kafka-http-bridge needs Node.js ' + NEEDED + ' (this is ' + process.version + '): ' +
      'run ./dev setup in the repository, or install Node.js ' + NEEDED + ' (https://nodejs.org/en/download, or nvm install ' + NEEDED + ')\n',
  );
  process.exit(1);
}
