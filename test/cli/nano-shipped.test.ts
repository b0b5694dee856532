/**
 * The REAL shipped bundle (models/nano), when this checkout has it: the README's main job on the demo clip, and the
 * checked-in files against the card's sizes and sha256s. Skipped in a checkout without models/nano.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundledNanoCard } from '../../src/core/models/bundled-card.js';
import type { InferResult } from '../../src/core/pipeline/result.js';
import { checkSchema } from '../pipeline/schema-check.js';
import { createSandbox, type Sandbox } from './helpers.js';

const models = resolve('models');
const shipped = existsSync(join(models, 'nano', 'card.json'));
const env = { OMNI_BUNDLED_MODELS: models };
let sandbox: Sandbox | undefined;
afterAll(() => sandbox?.cleanup());

describe.skipIf(!shipped)('the shipped nano pair (models/nano)', () => {
  it('every file is the one the card lists', async () => {
    const card = await readBundledNanoCard(env);
    for (const role of ['policy', 'segmenter'] as const) {
      for (const file of card[role].files!) {
        const bytes = await readFile(join(models, 'nano', role, file.path));
        expect({ path: file.path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual(file);
      }
    }
  });

  it('the README main job: omni infer on the demo clip with no model flags writes a valid result.json and overlay.mp4', async () => {
    sandbox = createSandbox();
    const demo = JSON.parse(await readFile(resolve('assets/demo/demo.json'), 'utf8')) as { clip: string; question: string; inferFlags: string[] };
    const out = join(sandbox.dir, 'result');
    const started = Date.now();
    const run = await sandbox.run(['infer', resolve('assets/demo', demo.clip), demo.question, ...demo.inferFlags, '--out', out], { env });
    const seconds = (Date.now() - started) / 1000;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('using the bundled nano models; see omni models info nano');
    const schema = JSON.parse(await readFile(resolve('src/core/pipeline/result.schema.json'), 'utf8')) as Record<string, unknown>;
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as InferResult;
    expect(checkSchema(result, schema)).toEqual([]);
    expect(existsSync(join(out, 'overlay.mp4')), `no overlay.mp4; status ${result.status}, raw answer: ${result.answer?.raw.slice(0, 200)}`).toBe(true);
    console.log(`omni infer on the demo clip with the shipped nano pair: ${seconds.toFixed(1)} s, status ${result.status}`);
  });
});
