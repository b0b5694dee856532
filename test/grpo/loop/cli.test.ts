import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/core/graph/lora/index.js';
import { synthesizeDataset } from '../../../src/core/synth/index.js';
import { writeTinyThinkerCheckpoint } from '../../../plugins/qwen-omni/test/fixtures/tiny-checkpoint.js';
import { createSandbox, lines, type Sandbox } from '../../cli/helpers.js';

let sandbox: Sandbox;
let checkpoint: string;
let data: string;
beforeAll(async () => {
  sandbox = createSandbox();
  checkpoint = join(sandbox.dir, 'ckpt');
  await writeTinyThinkerCheckpoint(checkpoint, { seed: 21, numAttentionHeads: 4, numKeyValueHeads: 2 });
  data = join(sandbox.dir, 'revos');
  await synthesizeDataset({ format: 'revos', out: data, videos: 4, frames: 8, width: 32, height: 32, seed: 2 });
});
afterAll(() => sandbox.cleanup());

const common = () => ['--dataset', 'revos', '--data-root', data, '--from', checkpoint, '--num-generations', '2', '--max-completion-length', '4', '--lora-rank', '2', '--seed', '3'];

describe('omni train / omni export adapter (CLI)', () => {
  it('System 2 models for the rewards: --grounding-model and --segmenter-model, else the config file, as omni infer', async () => {
    const grounding = join(sandbox.dir, 'grounding-policy');
    const exported = await sandbox.run(['export', 'policy', '--from', checkpoint, '--out', grounding]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const missing = join(sandbox.dir, 'no-such-sam2');
    const grpo = ['train', ...common(), '--alpha-g', '1', '--max-steps', '1', '--grounding-model', grounding];
    // The segmenter opens before the first step (alpha_g > 0), so a wrong model fails at once, naming it.
    const byFlag = await sandbox.run([...grpo, '--out', join(sandbox.dir, 'run-seg-flag'), '--segmenter-model', missing]);
    expect(byFlag.exitCode).toBe(2);
    expect(byFlag.stderr).toContain(missing);
    const cwd = join(sandbox.dir, 'with-config');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'omni.config.json'), JSON.stringify({ models: { segmenter: missing } }));
    const byConfig = await sandbox.run([...grpo, '--out', join(sandbox.dir, 'run-seg-config')], { cwd });
    expect(byConfig.exitCode).toBe(2);
    expect(byConfig.stderr).toContain(missing);
  });

  it('--dry-run prints the resolved plan and trains nothing', async () => {
    const run = await sandbox.run(['train', ...common(), '--dry-run', '--batch-size', '1', '--epochs', '2', '--avs-temperature', '0.45']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("objective: grpo (authors' objective, beta 0.04)");
    expect(run.stdout).toMatch(/dataset: revos at .*revos: (\d+) problems/);
    const problems = Number(/: (\d+) problems/.exec(run.stdout)![1]);
    expect(problems).toBeGreaterThan(0);
    // Batch 1, 2 epochs: two steps per problem.
    expect(run.stdout).toContain(`steps: ${2 * problems} (2 epoch(s), 1 prompt(s) per step, G=2: 2 rollouts per step)`);
    expect(run.stdout).toMatch(/memory estimate: [\d.]+ MiB/);
    expect(run.stdout).toContain('sampling: temperature 1 (refavs 0.45), top-p 0.95, at most 4 new tokens');
    // hidden 32, 4 heads of 8, 2 KV heads, 2 layers: r (in + out) = 2 (32+32) + 2 (32+16) + 2 (32+16) + 2 (32+32) per layer.
    expect(run.stdout).toContain('LoRA r=2 alpha=32 on q_proj,k_proj,v_proj,o_proj -> 896 trainable parameters');
  });

  it('--vos-audio: the plan loads, and a video without audio.wav is a one-line error naming the file', async () => {
    const heard = await sandbox.run(['train', ...common(), '--dry-run', '--vos-audio']);
    expect(heard.exitCode, heard.stderr).toBe(0);
    const bare = join(sandbox.dir, 'revos-no-audio');
    await cp(data, bare, { recursive: true });
    const video = readdirSync(bare, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()[0]!;
    await rm(join(bare, video, 'audio.wav'));
    const args = ['train', ...common().map((arg) => (arg === data ? bare : arg)), '--dry-run'];
    const silent = await sandbox.run([...args, '--vos-audio']);
    expect(silent.exitCode).toBe(2);
    expect(lines(silent.stderr)).toEqual([
      `omni: ${join(bare, video, 'audio.wav')} does not exist (video ${video}) (--vos-audio reads each video's sound from audio.wav beside its frames (omni data synth writes it; ReVOS and MeViS are video only): add the file or drop --vos-audio)`,
    ]);
    expect((await sandbox.run(args)).exitCode).toBe(0);
  });

  it('trains with --alpha-g 0 (no segmenter), writes the run directory, exports the adapter', async () => {
    const out = join(sandbox.dir, 'run');
    const train = await sandbox.run(['train', ...common(), '--objective', 'sft', '--out', out, '--max-steps', '2', '--save-steps', '1', '--alpha-g', '0']);
    expect(train.exitCode, train.stderr).toBe(0);
    expect(existsSync(join(out, 'config.json'))).toBe(true);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(existsSync(join(out, 'checkpoints', 'step-000002', 'adapter_model.safetensors'))).toBe(true);

    const adapterDir = join(sandbox.dir, 'adapter');
    const exported = await sandbox.run(['export', 'adapter', '--run', out, '--step', '1', '--out', adapterDir]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const adapter = await loadAdapter(adapterDir);
    expect(adapter.options.rank).toBe(2);

    const merged = join(sandbox.dir, 'merged');
    const mergedRun = await sandbox.run(['export', 'adapter', '--run', out, '--merge', '--out', merged]);
    expect(mergedRun.exitCode, mergedRun.stderr).toBe(0);
    for (const file of ['omni-manifest.json', 'model.safetensors', 'onnx/decoder_model_merged.onnx']) expect(existsSync(join(merged, file)), file).toBe(true);

    // --resume keeps the stored settings: changed flags are refused in one line, defaults do not count.
    const refused = await sandbox.run(['train', '--resume', out, '--lr', '0.001', '--beta', '0']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("--resume keeps the run's settings, but --lr 0.001 (run: 0.000001), --beta 0 (run: 0.04) differ from");
    expect(refused.stderr).toContain('start a new run with --out');
    // --max-steps may change: applied and recorded.
    const resumed = await sandbox.run(['train', '--resume', out, '--max-steps', '3']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { training: { maxSteps: number; sampling: { numGenerations: number } } };
    expect(config.training.maxSteps).toBe(3);
    expect(config.training.sampling.numGenerations).toBe(2);
  });

  it('--full runs export only with --merge: the model folder holds the trained weights', async () => {
    const out = join(sandbox.dir, 'run-full');
    const args = ['--dataset', 'revos', '--data-root', data, '--from', checkpoint, '--max-completion-length', '4', '--seed', '3'];
    const train = await sandbox.run(['train', ...args, '--objective', 'sft', '--full', '--lr', '0.01', '--out', out, '--max-steps', '1']);
    expect(train.exitCode, train.stderr).toBe(0);
    const adapter = await sandbox.run(['export', 'adapter', '--run', out, '--out', join(sandbox.dir, 'no-adapter')]);
    expect(adapter.exitCode).toBe(2);
    expect(adapter.stderr).toContain('holds no LoRA adapter: the run fine-tuned every weight (--full)');
    expect(adapter.stderr).toContain('--merge --out DIR');
    const merged = join(sandbox.dir, 'merged-full');
    const mergedRun = await sandbox.run(['export', 'adapter', '--run', out, '--merge', '--out', merged]);
    expect(mergedRun.exitCode, mergedRun.stderr).toBe(0);
    expect(mergedRun.stdout).toContain('(full fine-tune) written into');
    for (const file of ['omni-manifest.json', 'model.safetensors', 'onnx/decoder_model_merged.onnx']) expect(existsSync(join(merged, file)), file).toBe(true);
  });
});
