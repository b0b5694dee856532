#!/usr/bin/env node
// Installs the nano pair into models/nano: node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE [--out DIR]
//   --policy     a folder written by `omni export policy`
//   --segmenter  a folder written by `omni export segmenter`
//   --card       card.json without the file lists (format: src/core/models/bundled-card.ts); sizes and sha256s are filled in
//   --out        default: models/nano of this repository
// The previous models/nano is replaced only after the new copy is complete and checked. Needs the built library
// (npm run build).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failer, parseScriptArgs, repoRoot } from './script-cli.mjs';

const USAGE = 'usage: node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE [--out DIR]';
const library = join(repoRoot, 'dist', 'core', 'models', 'index.js');
const fail = failer('ship');

const values = parseScriptArgs(fail, USAGE, { policy: { type: 'string' }, segmenter: { type: 'string' }, card: { type: 'string' }, out: { type: 'string' } });
for (const name of ['policy', 'segmenter', 'card']) {
  if (!values[name]) fail(`--${name} is missing (${USAGE})`);
}
if (!existsSync(library)) fail(`${library} does not exist (build the library first: npm run build)`);

const { shipNanoBundle, formatBytes } = await import(pathToFileURL(library).href);
try {
  const { out, card, warnings } = await shipNanoBundle({ policy: values.policy, segmenter: values.segmenter, card: values.card, out: values.out ?? join(repoRoot, 'models', 'nano') });
  for (const warning of warnings) process.stderr.write(`ship: warning: ${warning}\n`);
  const shown = relative(process.cwd(), out) || out;
  process.stdout.write(
    `shipped ${shown}: policy ${formatBytes(card.policy.bytes)} (${card.policy.files.length} files), segmenter ${formatBytes(card.segmenter.bytes)} (${card.segmenter.files.length} files), ${formatBytes(card.totalBytes)} in all\n`,
  );
} catch (error) {
  if (typeof error?.line === 'string') fail(error.line, error.exitCode ?? 1);
  throw error;
}
