/**
 * GRPO end to end with the media in the prompts: `omni data synth` ReVOS and RefAVS data -> training problems with
 * their frames / first frame + audio (as the train command builds them) -> a tiny random thinker with its towers ->
 * runTraining, one VOS and one RefAVS step, metrics written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TRAINING_CONFIG,
  DEFAULT_VOS_REWARD_WEIGHTS,
  openRefAvs,
  openRevos,
  refAvsRewardScorer,
  refAvsTrainingProblems,
  RunDir,
  runTraining,
  synthesizeDataset,
  vosRewardScorer,
  vosTrainingProblems,
  type TrainingConfig,
  type TrainingProblem,
} from 'omni-r1';
import { QwenTrainablePolicy } from '../../src/trainable.js';
import { writeTinyThinkerCheckpoint } from '../fixtures/tiny-checkpoint.js';

let root: string;
let checkpoint: string;
let vos: TrainingProblem[];
let refavs: TrainingProblem[];
let ids: { video: number; audio: number; image: number };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'qwen-omni-grpo-media-'));
  checkpoint = join(root, 'ckpt');
  const tiny = await writeTinyThinkerCheckpoint(checkpoint, { seed: 6, numAttentionHeads: 4, numKeyValueHeads: 2 });
  const idOf = (content: string) => tiny.addedTokens.find((token) => token.content === content)!.id;
  ids = { video: idOf('<|VIDEO|>'), audio: idOf('<|AUDIO|>'), image: idOf('<|IMAGE|>') };
  await synthesizeDataset({ format: 'revos', out: join(root, 'revos'), videos: 2, frames: 8, width: 32, height: 32, seed: 5 });
  await synthesizeDataset({ format: 'refavs', out: join(root, 'refavs'), videos: 10, width: 32, height: 32, seed: 4 });
  vos = (await vosTrainingProblems(await openRevos(join(root, 'revos'), 'train'), { maxFrames: 8, withFrames: true, seed: 0, prefix: 'revos' })).slice(0, 2);
  refavs = (await refAvsTrainingProblems(await openRefAvs(join(root, 'refavs'), 'train'), { withMedia: true, prefix: 'refavs' })).slice(0, 2);
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const noBox = { text: '[]', resize: { resizedHw: [32, 32] as const, originalHw: [32, 32] as const } };

describe('GRPO on synthetic data with the media in the prompts', () => {
  it('the problems carry what System 1 shows at inference', async () => {
    expect(vos).toHaveLength(2);
    const video = (await vos[0]!.messages())[0]!.content[0]!;
    // 32x32 frames at the System-1 budget (16..128 x 28 x 28): scaled by 3.5 to 112x112; 2 fps pseudo-time; no audio.
    expect([video.type, video.frames!.length, video.frames![0]!.width, video.frames![0]!.height, video.fps, video.pcm]).toEqual(['video', 8, 112, 112, 2, undefined]);
    expect(refavs).toHaveLength(2);
    const [audio, image, text] = (await refavs[0]!.messages())[0]!.content;
    // [audio, image, text]; the first frame at the grounding budget (4..1600 x 28 x 28): 32 -> 56.
    expect([audio!.type, image!.type, text!.type, image!.image!.width, image!.image!.height]).toEqual(['audio', 'image', 'text', 56, 56]);
  });

  it('runs one VOS and one RefAVS step and writes their metrics', async () => {
    const config: TrainingConfig = {
      ...DEFAULT_TRAINING_CONFIG,
      seed: 3,
      batchSize: 2,
      epochs: 1,
      sampling: { numGenerations: 2, temperature: 1, topP: 0.95, maxNewTokens: 4 },
      optimizer: { lr: 1e-2, weightDecay: 0.01, maxGradNorm: 5, warmupRatio: 0 },
      adapter: { kind: 'lora', rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], seed: 3 },
      saveSteps: 100,
      sampleSteps: 0,
    };
    const policy = await QwenTrainablePolicy.open(checkpoint);
    const runDir = await RunDir.create(join(root, 'run'), config);
    try {
      // The prompts the loop encodes hold the frames: 8 frames scaled by the processor's 128 x 28 x 28 video minimum
      // from 112 to 336 px, 4 groups of (24 x 24) / 4 = 144 -> 576 video tokens. RefAVS: a 56x56 image is a (1, 4, 4)
      // grid, 4 tokens; 10 s of audio -> 1000 mel frames -> 500 -> 250 tokens.
      const vosPrompt = await policy.encodePrompt(await vos[0]!.messages());
      expect(vosPrompt.inputIds.filter((t) => t === ids.video)).toHaveLength(576);
      const refavsPrompt = await policy.encodePrompt(await refavs[0]!.messages());
      expect([refavsPrompt.inputIds.filter((t) => t === ids.image).length, refavsPrompt.inputIds.filter((t) => t === ids.audio).length]).toEqual([4, 250]);

      await runTraining({
        config,
        policy,
        problems: [...vos, ...refavs],
        rewards: {
          vos: vosRewardScorer({ ground: () => async (r) => r.map(() => noBox), weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 0 }, clipReward: false, lenControl: false }),
          refavs: refAvsRewardScorer({ ground: () => async (r) => r.map(() => noBox), lenControl: false }),
        },
        runDir,
      });
    } finally {
      await policy.release();
    }
    const metrics = await runDir.readMetrics();
    expect(metrics).toHaveLength(2);
    expect(new Set(metrics.flatMap((m) => m.tasks as string[]))).toEqual(new Set(['vos', 'refavs']));
    for (const m of metrics) {
      expect(m.loss).toBeTypeOf('number');
      expect(Number.isFinite(m.loss as number)).toBe(true);
      expect(m['reward/format']).toBeTypeOf('number');
    }
  }, 120_000);
});
