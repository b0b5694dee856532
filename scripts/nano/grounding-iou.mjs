#!/usr/bin/env node
// System 2 on held-out frames: box IoU of a policy's greedy grounding answers on `revos-grounding` problems (one
// visible frame per expression, asked with System 2's prompt about the dataset's grounding description), scored
// with the SegZero reward's IoU. Needs the built library (npm run build).
//
//   node scripts/nano/grounding-iou.mjs --model DIR --data-root DIR [--split valid] [--limit 60] [--seed 7] [--json]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failer, parseScriptArgs, repoRoot as root } from './script-cli.mjs';

const usage = 'usage: node scripts/nano/grounding-iou.mjs --model DIR --data-root DIR [--split valid] [--limit 60] [--seed 7] [--json]';
const fail = failer('grounding-iou');
const values = parseScriptArgs(fail, usage, {
  model: { type: 'string' },
  'data-root': { type: 'string' },
  split: { type: 'string', default: 'valid' },
  limit: { type: 'string', default: '60' },
  seed: { type: 'string', default: '7' },
  json: { type: 'boolean', default: false },
});
for (const name of ['model', 'data-root']) if (!values[name]) fail(`--${name} is missing (${usage})`);
const limit = Number(values.limit);
const seed = Number(values.seed);
if (!Number.isInteger(limit) || limit < 1) fail(`--limit must be a positive integer, got ${values.limit}`);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
const library = join(root, 'dist', 'index.js');
const plugin = join(root, 'plugins', 'qwen-omni', 'dist', 'index.js');
for (const file of [library, plugin]) if (!existsSync(file)) fail(`${file} does not exist (build first: npm run build)`);

const { openRevos, vosGroundingTrainingProblems, evaluateGrounding, OmniError } = await import(pathToFileURL(library).href);
const { createQwenOmniPolicy } = await import(pathToFileURL(plugin).href);
try {
  const dataset = await openRevos(values['data-root'], values.split);
  const problems = (await vosGroundingTrainingProblems(dataset, { withMedia: true, seed, prefix: 'revos-grounding' })).slice(0, limit);
  const policy = await createQwenOmniPolicy({ model: values.model, omniHome: values.model, device: 'cpu', options: {}, log: () => undefined, warn: () => undefined });
  try {
    const result = await evaluateGrounding(policy, problems, { maxNewTokens: 96, onProblem: (done, total) => process.stderr.write(`\rgrounding ${done}/${total}`) });
    process.stderr.write('\n');
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${values.model}: ${result.count} frames, mean box IoU ${result.meanIou.toFixed(3)}, IoU > 0.5 on ${(100 * result.accAt50).toFixed(1)}%\n`);
  } finally {
    await policy.close();
  }
} catch (error) {
  if (OmniError && error instanceof OmniError) fail(error.message);
  throw error;
}
