/**
 * Export of a --full run: no adapter to write (one-line error pointing to --merge), and the merged model folder
 * scores tokens exactly as the trainer's scoring graph does with the checkpoint's weights.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { GraphSession } from '../../../src/core/graph/runtime.js';
import type { TensorData } from '../../../src/core/graph/tensor-data.js';
import { isAdapterCheckpoint, readFullWeights, readRunAdapter, RunDir, runCheckpoint, runTraining, writeFullCheckpoint, type TrainablePolicy } from '../../../src/core/grpo/index.js';
import { exportPolicy, loadPolicyModel, scoreCompletions } from '../../../plugins/qwen-omni/src/index.js';
import { answerVocabularyReward, textProblems, tinyConfig, tinyThinker, type TinyThinker } from './helpers.js';

let fixture: TinyThinker;
let runDir: RunDir;
beforeAll(async () => {
  fixture = await tinyThinker(23);
  const config = tinyConfig({ maxSteps: 1, saveSteps: 1, adapter: { kind: 'full' }, optimizer: { lr: 5e-2, weightDecay: 0, maxGradNorm: 5, warmupRatio: 0 } });
  const policy = await fixture.open();
  runDir = await RunDir.create(join(fixture.dir, 'run'), config);
  await runTraining({ config, policy, problems: textProblems(2), rewards: { moments: answerVocabularyReward() }, runDir });
  await policy.release();
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

const COMPLETIONS = [
  [5, 17, 9, 25],
  [40, 3],
];

/** Log-probs of COMPLETIONS after the first text prompt, from the trainer's scoring graph with `weights` in place. */
async function trainerScores(policy: TrainablePolicy, weights?: ReadonlyMap<string, TensorData>) {
  const scoring = policy.buildScoringGraph();
  for (const [name, value] of weights ?? []) scoring.graph.initializers.set(name, value);
  const prompt = await policy.encodePrompt(await textProblems(1)[0]!.messages());
  const batch = await policy.scoringFeeds(COMPLETIONS.map((completion) => ({ prompt, completion })));
  const session = await GraphSession.create(scoring.graph, { optimization: 'basic' });
  const out = (await session.run(batch.feeds)).token_logprobs!.data as Float32Array;
  await session.release();
  return { values: COMPLETIONS.map((c, b) => c.map((_, j) => out[b * batch.length + batch.completionOffsets[b]! + j]!)), prompt };
}

describe('omni export adapter on a --full run', () => {
  it('has no adapter: readRunAdapter answers with one line pointing to --merge --out', async () => {
    const { dir } = await runCheckpoint(runDir);
    expect(isAdapterCheckpoint(dir)).toBe(false);
    const error = await readRunAdapter(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as InputError).hint).toContain('--merge --out');
  });

  it('--merge: the exported model folder scores tokens as the trainer does with the trained weights', async () => {
    const { dir } = await runCheckpoint(runDir);
    const weights = await readFullWeights(dir);
    const policy = await fixture.open();
    expect([...weights.keys()].sort()).toEqual([...policy.buildScoringGraph().parameterNames].sort());
    const trained = await trainerScores(policy, weights);
    const base = await trainerScores(policy);
    // Training changed the model, so the equality below is not trivial.
    expect(Math.max(...trained.values.flat().map((v, i) => Math.abs(v - base.values.flat()[i]!)))).toBeGreaterThan(1e-4);

    const checkpoint = join(fixture.dir, 'full-ckpt');
    await writeFullCheckpoint(policy, weights, checkpoint);
    await policy.release();
    const folder = join(fixture.dir, 'full-onnx');
    await exportPolicy({ from: checkpoint, out: folder, dtype: 'fp32' });
    const model = await loadPolicyModel(folder);
    const inputIds = (trained.prompt as unknown as { inputIds: number[] }).inputIds;
    const exported = await scoreCompletions(model, { inputIds }, COMPLETIONS);
    await model.release();
    trained.values.flat().forEach((v, i) => expect(exported.flat()[i]).toBeCloseTo(v, 4));
  });

  it('refuses weights the run model does not have', async () => {
    const policy = await fixture.open();
    const weights = new Map<string, TensorData>([['model.not_a_weight', { dtype: 'float32', shape: [1], data: Float32Array.of(1) }]]);
    await expect(writeFullCheckpoint(policy, weights, join(fixture.dir, 'bad'))).rejects.toThrow(/model.not_a_weight/);
    await policy.release();
  });
});
