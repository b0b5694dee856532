// What the scripts/nano tools share: the repository root, `name: message` failures (exit 2) and their flags parsed
// with node:util's parseArgs, a parse error reported with the script's usage line.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A `fail(message, code = 2)` that prints `name: message` on stderr and exits. */
export function failer(name) {
  return (message, code = 2) => {
    process.stderr.write(`${name}: ${message}\n`);
    process.exit(code);
  };
}

/** The flags' values, or a failure naming the parse error and the usage line. */
export function parseScriptArgs(fail, usage, options) {
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    return fail(`${error.message} (${usage})`);
  }
}
