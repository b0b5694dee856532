import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/core/graph/lora/index.js';
import { RunDir, runTraining, type TrainingConfig } from '../../../src/core/grpo/index.js';
import { momentCharacterReward, textProblems, tinyConfig, tinyThinker } from './helpers.js';

let fixture: Awaited<ReturnType<typeof tinyThinker>>;
beforeAll(async () => {
  fixture = await tinyThinker();
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

async function train(out: string, config: TrainingConfig, extra: { resume?: boolean; signal?: AbortSignal } = {}) {
  const policy = await fixture.open();
  try {
    const runDir = extra.resume ? await RunDir.open(out) : await RunDir.create(out, config);
    const result = await runTraining({
      config,
      policy,
      problems: textProblems(8),
      rewards: { moments: momentCharacterReward((ids) => policy.decode(ids)) },
      runDir,
      resume: extra.resume,
      signal: extra.signal,
    });
    return { result, metrics: await runDir.readMetrics(), runDir };
  } finally {
    await policy.release();
  }
}

describe('runTraining (GRPO, LoRA, text-only prompts on a tiny random thinker)', () => {
  it('writes metrics and complete checkpoints; the same seed gives identical metrics', async () => {
    const config = tinyConfig({ maxSteps: 3 });
    const a = await train(join(fixture.dir, 'run-a'), config);
    expect(a.result.steps).toBe(3);
    expect(a.metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    for (const m of a.metrics) {
      for (const key of ['loss', 'grad_norm', 'lr', 'kl', 'reward/mean', 'reward/std', 'reward/moment_chars', 'advantage/mean', 'advantage/std', 'tokens/per_second', 'seconds/generate', 'seconds/learn']) {
        expect(Number.isFinite(m[key] as number), key).toBe(true);
      }
      expect(m.tasks).toEqual(['moments']);
    }
    // Checkpoints at step 2 (save-steps) and 3 (the end), each complete: trainer state + PEFT adapter.
    expect(await a.runDir.checkpoints()).toEqual([2, 3]);
    const ckpt = a.runDir.checkpointDir(2);
    for (const file of ['trainer_state.json', 'trainer_state.safetensors', 'adapter_model.safetensors', 'adapter_config.json']) expect(existsSync(join(ckpt, file)), file).toBe(true);
    const adapter = await loadAdapter(ckpt);
    expect(adapter.options.rank).toBe(4);
    expect([...adapter.tensors.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const state = JSON.parse(await readFile(join(ckpt, 'trainer_state.json'), 'utf8')) as { step: number; extra: { dataPosition: number } };
    expect(state.step).toBe(2);
    expect(state.extra.dataPosition).toBe(2);
    const samples = (await readFile(join(a.runDir.dir, 'samples.jsonl'), 'utf8')).trim().split('\n');
    expect(samples).toHaveLength(3);

    const b = await train(join(fixture.dir, 'run-b'), config);
    expect(b.metrics.map(stripTimes)).toEqual(a.metrics.map(stripTimes));
  });

  it('a GRPO step builds each prompt once: the rollout and the learner share it, the next step builds it again', async () => {
    const built: string[] = [];
    const problems = textProblems(4).map((problem) => ({ ...problem, messages: () => (built.push(problem.id), problem.messages()) }));
    const config = tinyConfig({ maxSteps: 2, batchSize: 2, epochs: 2, saveSteps: 100, sampleSteps: 0 });
    const policy = await fixture.open();
    try {
      const runDir = await RunDir.create(join(fixture.dir, 'step-prompts'), config);
      await runTraining({ config, policy, problems, rewards: { moments: momentCharacterReward((ids) => policy.decode(ids)) }, runDir });
    } finally {
      await policy.release();
    }
    // 2 steps of 2 prompts: each built once per step (the learner re-encodes it from the same messages).
    expect(built).toHaveLength(4);
    expect(new Set(built.slice(0, 2)).size).toBe(2);
    expect(new Set(built.slice(2)).size).toBe(2);
  });

  it('--resume from step 2 continues exactly as the uninterrupted run', async () => {
    const full = tinyConfig({ maxSteps: 4 });
    const whole = await train(join(fixture.dir, 'whole'), full);
    const out = join(fixture.dir, 'cut');
    // Interrupt after step 2 (as Ctrl-C does): a checkpoint is written and the run stops.
    const controller = new AbortController();
    const policy = await fixture.open();
    const runDir = await RunDir.create(out, full);
    const cut = await runTraining({
      config: full,
      policy,
      problems: textProblems(8),
      rewards: { moments: momentCharacterReward((ids) => policy.decode(ids)) },
      runDir,
      signal: controller.signal,
      onStep: (p) => {
        if (p.step === 2) controller.abort();
      },
    });
    await policy.release();
    expect(cut.interrupted).toBe(true);
    expect(cut.steps).toBe(2);
    expect(await runDir.checkpoints()).toEqual([2]);
    const resumed = await train(out, full, { resume: true });
    expect(resumed.result.steps).toBe(4);
    expect(resumed.metrics.map(stripTimes)).toEqual(whole.metrics.map(stripTimes));
  });
});

/** Wall-clock fields differ between runs; everything else must match exactly. */
function stripTimes(m: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('seconds/') && k !== 'tokens/per_second'));
}
