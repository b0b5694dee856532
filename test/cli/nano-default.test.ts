/**
 * The bundled nano pair as the default models, through the CLI, with a stand-in bundle of REAL tiny models (see
 * nano-fixtures.ts) that OMNI_BUNDLED_MODELS points at.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferResult } from '../../src/core/pipeline/result.js';
import { checkSchema } from '../pipeline/schema-check.js';
import { createSandbox, lines, type Sandbox } from './helpers.js';
import { exportTinyPair, SCRIPTED_COMPLETION, shipTinyPair, tinyCard, type TinyExports } from './nano-fixtures.js';

const NOTICE = 'using the bundled nano models; see omni models info nano';
const QUESTION = 'the object making the high beep';

let sandbox: Sandbox;
let exports: TinyExports;
let bundled: string;
let env: Record<string, string>;
let video: string;
let schema: Record<string, unknown>;

beforeAll(async () => {
  sandbox = createSandbox();
  schema = JSON.parse(await readFile(resolve('src/core/pipeline/result.schema.json'), 'utf8')) as Record<string, unknown>;
  exports = await exportTinyPair(sandbox);
  bundled = await shipTinyPair(exports, join(sandbox.dir, 'bundled'));
  env = { OMNI_BUNDLED_MODELS: bundled };
  const data = join(sandbox.dir, 'synth');
  const synth = await sandbox.run(['data', 'synth', '--format', 'revos', '--videos', '1', '--frames', '6', '--size', '64x48', '--seed', '3', '--out', data]);
  expect(synth.exitCode, synth.stderr).toBe(0);
  video = join(data, 'synth-3-0000', 'video.mp4');
}, 180_000);

afterAll(() => sandbox?.cleanup());

const readResult = async (out: string) => JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as InferResult;

describe('omni infer with no model named', () => {
  it('uses the bundled pair, says so once, and writes result.json, masks and overlay.mp4', async () => {
    const out = join(sandbox.dir, 'out-default');
    const run = await sandbox.run(['infer', video, QUESTION, '--out', out], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(lines(run.stderr).filter((line) => line === NOTICE)).toHaveLength(1);
    expect(lines(run.stderr).some((line) => line.startsWith('omni: warning:'))).toBe(false);
    // The policy that answered is the bundled one: the stand-in's fixed completion.
    expect(run.stderr).toContain(`qwen-omni: loading ${join(bundled, 'nano', 'policy')}`);
    const result = await readResult(out);
    expect(checkSchema(result, schema)).toEqual([]);
    expect(result.answer?.raw).toBe(SCRIPTED_COMPLETION);
    expect(result.status).toBe('complete');
    expect(result.segmentation).toMatchObject({ mode: 'propagate', segmenter: 'sam2' });
    expect(result.files.overlay).toBe(join(out, 'overlay.mp4'));
    expect(existsSync(join(out, 'overlay.mp4'))).toBe(true);
    expect((await readdir(join(out, 'masks'))).length).toBeGreaterThan(0);
  });

  it('`nano` names the pair as a model reference', async () => {
    const out = join(sandbox.dir, 'out-named');
    const run = await sandbox.run(['infer', video, QUESTION, '--model', 'nano', '--segmenter-model', 'nano', '--out', out], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    // Named, not defaulted: no notice.
    expect(run.stderr).not.toContain(NOTICE);
    expect((await readResult(out)).status).toBe('complete');
  });

  it('a flag or the config file wins, and only the role left unnamed falls back (with the notice)', async () => {
    const project = join(sandbox.dir, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'omni.config.json'), JSON.stringify({ models: { policy: exports.policy } }));
    const run = await sandbox.run(['infer', video, QUESTION, '--segmenter-model', exports.segmenter], { cwd: project, env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(NOTICE);
    expect(run.stderr).toContain(`qwen-omni: loading ${exports.policy}`);
    const segmented = await sandbox.run(['infer', video, QUESTION], { cwd: project, env });
    expect(segmented.exitCode, segmented.stderr).toBe(0);
    // The policy from the config, the segmenter from the bundle.
    expect(lines(segmented.stderr).filter((line) => line === NOTICE)).toHaveLength(1);
    expect(segmented.stderr).toContain(`qwen-omni: loading ${exports.policy}`);
  });
});

describe('omni eval (model mode) with no model named', () => {
  it('runs the bundled pair and labels the run with it', async () => {
    const data = join(sandbox.dir, 'synth');
    const out = join(sandbox.dir, 'eval-default');
    const run = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', data, '--split', 'train', '--limit', '1', '--max-new-tokens', '64', '--out', out, '--json'], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(lines(run.stderr).filter((line) => line === NOTICE)).toHaveLength(1);
    const { header } = JSON.parse((await readFile(join(out, 'per_item.jsonl'), 'utf8')).split('\n')[0]!) as { header: { predictedBy?: string } };
    expect(header.predictedBy).toBe('qwen-omni:nano (bundled) + sam2:nano (bundled)');
    expect((JSON.parse(run.stdout) as { counts: { scored: number } }).counts.scored).toBe(1);
  });
});

describe('omni models with a bundle', () => {
  it('info nano prints the card; --json the card itself, with the shipped file lists', async () => {
    const human = await sandbox.run(['models', 'info', 'nano'], { env });
    expect(human.exitCode, human.stderr).toBe(0);
    const text = human.stdout.split('\n');
    expect(text[0]).toBe('nano (bundled): test stand-in for the nano pair');
    expect(text).toContain('policy (qwen-omni backend): Qwen2_5OmniThinkerForConditionalGeneration');
    expect(text).toContain(`  folder: ${join(bundled, 'nano', 'segmenter')}`);
    expect(text).toContain('  sizes: image_size 64, hidden 8/16');
    expect(text.filter((l) => /^ {2}parameters: (123\.5|65\.4) k; files: \d+\.\d (K|M)iB in \d+$/.test(l))).toHaveLength(2);
    expect(text).toContain('    writeAnsweringThinkerCheckpoint');
    expect(text).toContain('  scripted answer  J&F 0.500  (none)');

    const json = await sandbox.run(['models', 'info', 'nano', '--json'], { env });
    const card = JSON.parse(json.stdout) as ReturnType<typeof tinyCard>;
    expect(card.summary).toBe(tinyCard().summary);
    expect(card.policy.files!.map((f) => f.path)).toContain('omni-manifest.json');
    expect(card.totalBytes).toBe(card.policy.bytes! + card.segmenter.bytes!);
  });

  it('list shows the pair as bundled, in both forms', async () => {
    const human = await sandbox.run(['models', 'list'], { env });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toContain(`bundled (the default models; omni models info nano): ${join(bundled, 'nano')}`);
    expect(human.stdout).toMatch(/^ {2}nano policy +\d+\.\d (K|M)iB {2}\d+ files$/m);
    expect(human.stdout).toMatch(/^ {2}nano segmenter +\d+\.\d (K|M)iB {2}\d+ files$/m);
    const json = JSON.parse((await sandbox.run(['models', 'list', '--json'], { env })).stdout) as { bundled: Array<{ name: string; role: string; path: string }> };
    expect(json.bundled.map(({ name, role, path }) => [name, role, path])).toEqual([
      ['nano', 'policy', join(bundled, 'nano', 'policy')],
      ['nano', 'segmenter', join(bundled, 'nano', 'segmenter')],
    ]);
  });
});

describe('a checkout without models/nano', () => {
  const missing = () => ({ OMNI_BUNDLED_MODELS: join(sandbox.dir, 'no-bundle') });

  it('infer with no model: one line naming the missing folder and the fix', async () => {
    const run = await sandbox.run(['infer', video, QUESTION], { env: missing() });
    expect(run.exitCode).toBe(2);
    expect(lines(run.stderr)).toEqual([
      `omni: no policy model configured for the qwen-omni backend: the bundled nano models are missing (no ${join(sandbox.dir, 'no-bundle', 'nano', 'policy', 'omni-manifest.json')}) ` +
        '(pass --model <dir> or set {"models": {"policy": "<dir>"}} in omni.config.json, or install the nano pair with node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE)',
    ]);
  });

  it('--model nano and models info nano: one line each', async () => {
    const named = await sandbox.run(['infer', video, QUESTION, '--model', 'nano', '--no-segment'], { env: missing() });
    expect(named.exitCode).toBe(2);
    expect(lines(named.stderr)).toHaveLength(1);
    expect(named.stderr).toMatch(/^omni: the bundled nano models are missing \(no .*no-bundle\/nano\/policy\/omni-manifest\.json\) \(this checkout has no models\/nano; /);
    const info = await sandbox.run(['models', 'info', 'nano'], { env: missing() });
    expect(info.exitCode).toBe(2);
    expect(lines(info.stderr)).toEqual([
      `omni: the bundled nano models are missing (no ${join(sandbox.dir, 'no-bundle', 'nano', 'card.json')}) (this checkout has no models/nano; install the pair with node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE)`,
    ]);
    const list = await sandbox.run(['models', 'list'], { env: missing() });
    expect(list.stdout).not.toContain('bundled');
  });
});
