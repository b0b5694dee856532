import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAdapter, injectLora, loadAdapter } from '../../../src/core/graph/lora/index.js';
import { GraphSession } from '../../../src/core/graph/runtime.js';
import { readRunAdapter, RunDir, runCheckpoint, runTraining, writeMergedCheckpoint, writePeftAdapter, type TrainablePolicy } from '../../../src/core/grpo/index.js';
import { exportPolicy, loadPolicyModel, scoreCompletions } from '../../../plugins/qwen-omni/src/index.js';
import { QwenTrainablePolicy } from '../../../plugins/qwen-omni/src/trainable.js';
import { answerVocabularyReward, textProblems, tinyConfig, tinyThinker, type TinyThinker } from './helpers.js';

let fixture: TinyThinker;
let runDir: RunDir;
beforeAll(async () => {
  fixture = await tinyThinker(17);
  const config = tinyConfig({ maxSteps: 2, saveSteps: 1, optimizer: { lr: 1e-1, weightDecay: 0, maxGradNorm: 5, warmupRatio: 0 } });
  const policy = await fixture.open();
  runDir = await RunDir.create(join(fixture.dir, 'run'), config);
  await runTraining({ config, policy, problems: textProblems(4), rewards: { moments: answerVocabularyReward() }, runDir });
  await policy.release();
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

async function scoringLogProbs(policy: TrainablePolicy, adapter?: Awaited<ReturnType<typeof loadAdapter>>) {
  const scoring = policy.buildScoringGraph();
  if (adapter) applyAdapter(injectLora(scoring.graph, adapter.options), adapter.tensors);
  const prompt = await policy.encodePrompt(await textProblems(1)[0]!.messages());
  const completions = [
    [5, 17, 9, 25],
    [40, 3],
  ];
  const batch = await policy.scoringFeeds(completions.map((completion) => ({ prompt, completion })));
  const session = await GraphSession.create(scoring.graph, { optimization: 'basic' });
  const out = (await session.run(batch.feeds)).token_logprobs!.data as Float32Array;
  await session.release();
  return { values: completions.map((c, b) => c.map((_, j) => out[b * batch.length + batch.completionOffsets[b]! + j]!)), prompt, completions };
}

describe('omni export adapter (library)', () => {
  it('writes PEFT files that load back equal to the checkpoint, for the chosen step', async () => {
    expect(await runDir.checkpoints()).toEqual([1, 2]);
    const { dir, step } = await runCheckpoint(runDir);
    expect(step).toBe(2);
    const adapter = await readRunAdapter(dir);
    const policy = await fixture.open();
    const out = join(fixture.dir, 'peft');
    await writePeftAdapter(policy, adapter, out);
    await policy.release();
    const back = await loadAdapter(out);
    expect(back.config.peft_type).toBe('LORA');
    expect(back.config.r).toBe(4);
    expect([...back.tensors.keys()].sort()).toEqual([...adapter.tensors.keys()].sort());
    for (const [name, t] of adapter.tensors) expect(Array.from(back.tensors.get(name)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
    // Training moved B away from zero, and step 1 differs from step 2.
    const b = [...adapter.tensors].find(([n]) => n.endsWith('lora_B.weight'))![1];
    expect(Math.max(...Array.from(b.data as Float32Array, Math.abs))).toBeGreaterThan(1e-3);
    const first = await readRunAdapter((await runCheckpoint(runDir, 1)).dir);
    expect(first.tensors.get([...adapter.tensors.keys()][1]!)!.data).not.toEqual(b.data);
  });

  it('--merge: the merged checkpoint and its ONNX export score tokens as the unmerged model does', async () => {
    const adapter = await readRunAdapter((await runCheckpoint(runDir)).dir);
    const base = await fixture.open();
    const unmerged = await scoringLogProbs(base, adapter);
    const plain = await scoringLogProbs(base);
    const mergedDir = join(fixture.dir, 'merged-ckpt');
    await writeMergedCheckpoint(base, adapter, mergedDir);
    await base.release();
    // The adapter changes the model (so equality below is not trivial).
    expect(Math.abs(unmerged.values[0]![0]! - plain.values[0]![0]!)).toBeGreaterThan(1e-4);

    const merged = (await QwenTrainablePolicy.open(mergedDir)) as unknown as TrainablePolicy;
    const mergedScores = await scoringLogProbs(merged);
    await merged.release();
    unmerged.values.flat().forEach((v, i) => expect(mergedScores.values.flat()[i]).toBeCloseTo(v, 4));

    const folder = join(fixture.dir, 'merged-onnx');
    await exportPolicy({ from: mergedDir, out: folder, dtype: 'fp32' });
    const model = await loadPolicyModel(folder);
    const inputIds = (unmerged.prompt as unknown as { inputIds: number[] }).inputIds;
    const onnxScores = await scoreCompletions(model, { inputIds }, unmerged.completions);
    await model.release();
    unmerged.values.flat().forEach((v, i) => expect(onnxScores.flat()[i]).toBeCloseTo(v, 4));
  });
});
