/**
 * QwenTrainablePolicy with media: a tiny random thinker (towers included), exported with exportPolicy for the
 * inference policy; training prompts (scoring graph, generator) must see the media exactly as inference does. Token
 * counts are worked out by hand from the media sizes and durations.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphSession, InputError, injectLora, seededRandom, type ChatMessage, type Graph, type RgbImage, type TensorData } from 'omni-r1';
import type { EmbeddedPrompt } from '../../src/generate/prompt.js';
import { exportPolicy } from '../../src/model/export.js';
import { QwenOmniPolicy } from '../../src/policy.js';
import { FolderMultimodalProcessor } from '../../src/processor-binding.js';
import { QwenTrainablePolicy } from '../../src/trainable.js';
import type { TrainingPrompt } from '../../src/training/prompt.js';
import { writeTinyThinkerCheckpoint } from '../fixtures/tiny-checkpoint.js';

let root: string;
let checkpoint: string;
let inference: QwenOmniPolicy;
let trainable: QwenTrainablePolicy;
let ids: { video: number; audio: number; image: number; audioStart: number };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'qwen-omni-train-mm-'));
  checkpoint = join(root, 'ckpt');
  const tiny = await writeTinyThinkerCheckpoint(checkpoint, { seed: 4 });
  const idOf = (content: string) => tiny.addedTokens.find((token) => token.content === content)!.id;
  ids = { video: idOf('<|VIDEO|>'), audio: idOf('<|AUDIO|>'), image: idOf('<|IMAGE|>'), audioStart: idOf('<|audio_bos|>') };
  await exportPolicy({ from: checkpoint, out: join(root, 'fp32'), dtype: 'fp32' });
  inference = await QwenOmniPolicy.load(join(root, 'fp32'), { processor: new FolderMultimodalProcessor() });
  trainable = await QwenTrainablePolicy.open(checkpoint);
}, 120_000);

afterAll(async () => {
  await inference?.close();
  await trainable?.release();
  await rm(root, { recursive: true, force: true });
});

/** A 56x56 frame of seeded noise (so the vision tower's output depends on the pixels). */
function noise(seed: number, size = 56): RgbImage {
  const random = seededRandom(seed);
  return { width: size, height: size, data: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(random() * 256)) };
}
const tone = (seconds: number, hz: number) => Float32Array.from({ length: Math.round(seconds * 16_000) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 16_000));
const FRAMES = [0, 1, 2, 3].map((i) => noise(10 + i));
const QUESTION = 'Please find the dog in the video.';

/** A VOS prompt as System 1 builds it: 4 frames at 2 fps (2 s), with the video's audio track when `pcm` is given. */
const vos = (pcm?: Float32Array): ChatMessage[] => [{ role: 'user', content: [{ type: 'video', frames: FRAMES, fps: 2, ...(pcm ? { pcm } : {}) }, { type: 'text', text: QUESTION }] }];
/** RefAVS: [audio, image, text]. */
const refavs = (): ChatMessage[] => [{ role: 'user', content: [{ type: 'audio', pcm: tone(1, 440) }, { type: 'image', image: noise(3) }, { type: 'text', text: 'Which object makes the sound?' }] }];

const COMPLETIONS = [
  [5, 17, 9, 25, 3],
  [40, 3],
  [7],
];

/** Log-probs of each completion token from the trainable policy's scoring graph. */
async function trainingLogProbs(prompt: TrainingPrompt, completions: number[][]): Promise<number[][]> {
  const scoring = trainable.buildScoringGraph();
  const batch = await trainable.scoringFeeds(completions.map((completion) => ({ prompt, completion })));
  const session = await GraphSession.create(scoring.graph, { optimization: 'basic' });
  try {
    const out = (await session.run(batch.feeds)).token_logprobs!.data as Float32Array;
    return completions.map((c, b) => c.map((_, j) => out[b * batch.length + batch.completionOffsets[b]! + j]!));
  } finally {
    await session.release();
  }
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
const positions = (prompt: EmbeddedPrompt) => Array.from(prompt.positionIds.data as BigInt64Array, Number);
const count = (prompt: TrainingPrompt, id: number) => prompt.inputIds.filter((t) => t === id).length;

describe('QwenTrainablePolicy multimodal prompts', () => {
  it.each([
    ['video + its audio (use_audio_in_video)', () => vos(tone(2, 330)), true],
    ['video only', () => vos(), false],
    ['RefAVS audio + image', refavs, false],
  ] as const)('%s: the scoring graph gives the inference policy\'s scoreCompletions', async (_name, messages, useAudioInVideo) => {
    const prompt = await trainable.encodePrompt(messages());
    const reference = (await inference.prompt(messages(), useAudioInVideo)) as EmbeddedPrompt;
    // Same tokens, same TMRoPE positions and delta, same merged embeddings (the same tower graphs and weights).
    expect(prompt.inputIds).toEqual(reference.inputIds);
    expect(positions(prompt)).toEqual(positions(reference));
    expect(prompt.ropeDelta).toBe(reference.ropeDelta);
    // Media compress the temporal axis, so completion positions (t + ropeDelta) differ from t: the test pins the delta.
    expect(prompt.ropeDelta).toBeLessThan(0);
    const a = prompt.inputsEmbeds.data as Float32Array;
    const b = reference.inputsEmbeds.data as Float32Array;
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);

    const trained = await trainingLogProbs(prompt, COMPLETIONS);
    const scored = await inference.scoreCompletions(messages(), COMPLETIONS, { useAudioInVideo });
    expect(maxAbsDiff(trained, scored)).toBeLessThan(1e-5);
    // Text positions for the completion (t instead of t + ropeDelta) would score differently.
    const unshifted = await trainingLogProbs({ ...prompt, ropeDelta: 0 }, COMPLETIONS);
    expect(maxAbsDiff(unshifted, scored)).toBeGreaterThan(1e-4);
  });

  it('use_audio_in_video comes from the video part carrying its audio: 50 audio tokens and their two markers interleaved', async () => {
    // 4 frames of 56x56: the processor's 128 x 28 x 28 minimum per video frame scales them by sqrt(100352 / 3136)
    // = 5.657 to 316.8 px, rounded up to 336 = 12 x 28: a (2, 24, 24) patch grid, 2 * 24 * 24 / 4 = 288 video tokens.
    // 2 s of audio = 200 mel frames -> 100 -> 50 tokens.
    const plain = await trainable.encodePrompt(vos());
    const withAudio = await trainable.encodePrompt(vos(tone(2, 330)));
    expect([count(plain, ids.video), count(plain, ids.audio)]).toEqual([288, 0]);
    expect([count(withAudio, ids.video), count(withAudio, ids.audio)]).toEqual([288, 50]);
    // <|vision_bos|> 288 x VIDEO <|vision_eos|> -> <|vision_bos|><|audio_bos|> 288 x VIDEO, 50 x AUDIO <|audio_eos|><|vision_eos|>
    // (both frame groups, t = 0 and 25, and all 50 audio positions fall in the first 2-second chunk).
    expect(withAudio.length - plain.length).toBe(52);
    const start = withAudio.inputIds.indexOf(ids.audioStart);
    expect(withAudio.inputIds.slice(start + 1, start + 1 + 338)).toEqual([...Array<number>(288).fill(ids.video), ...Array<number>(50).fill(ids.audio)]);
    // Both streams start at the clip's start on the temporal axis.
    const t = (p: TrainingPrompt, i: number) => Number((p.positionIds.data as BigInt64Array)[i]);
    expect(t(withAudio, start + 1 + 288)).toBe(t(withAudio, start + 1));
    expect(t(withAudio, start + 1 + 288 + 49) - t(withAudio, start + 1)).toBe(49);
  });

  it('openGenerator with zero LoRA (B = 0) generates the inference policy\'s greedy tokens and log-probs from the embedded prompt', async () => {
    const initial = new Map<string, TensorData>();
    const parameterize = (graph: Graph) => {
      const names = injectLora(graph, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'o_proj'], seed: 1 }).trainable;
      for (const name of names) initial.set(name, graph.initializers.get(name) as TensorData);
      return names;
    };
    const generator = await trainable.openGenerator(parameterize);
    try {
      const bs = [...initial].filter(([name]) => name.includes('lora_B'));
      expect(bs.length).toBeGreaterThan(0);
      for (const [, b] of bs) expect(Array.from(b.data as Float32Array).every((v) => v === 0)).toBe(true);
      for (const [messages, useAudioInVideo] of [
        [vos(tone(2, 330)), true],
        [refavs(), false],
      ] as const) {
        const [ours] = await generator.generate(await trainable.encodePrompt(messages), initial, { numSamples: 1, maxNewTokens: 8, temperature: 0, topP: 1, seed: 0 });
        const [theirs] = await inference.generate(messages, { maxNewTokens: 8, temperature: 0, useAudioInVideo });
        expect(ours!.tokenIds.length).toBeGreaterThan(1);
        expect(ours!.tokenIds).toEqual(theirs!.tokenIds);
        ours!.logProbs.forEach((v, j) => expect(Math.abs(v - theirs!.logProbs[j]!)).toBeLessThan(1e-4));
      }
    } finally {
      await generator.release();
    }
  });

  it('caches prompts per messages object, so the rollout and the learner share one encoding', async () => {
    const messages = vos();
    expect(await trainable.encodePrompt(messages)).toBe(await trainable.encodePrompt(messages));
  });
});

describe('checkpoints without towers', () => {
  it.each([
    ['a Qwen2.5-Omni thinker saved without towers', { towers: false }, /has no vision tower .* so its training prompts cannot hold images or video/],
    ['a plain Qwen2 checkpoint', { kind: 'qwen2' as const }, /holds a Qwen2ForCausalLM checkpoint, which has no vision or audio tower; its training prompts must be text only/],
  ])('%s: media -> an InputError naming the folder; text still works', async (_name, options, message) => {
    const dir = join(root, `text-only-${'kind' in options ? 'qwen2' : 'thinker'}`);
    await writeTinyThinkerCheckpoint(dir, { seed: 2, ...options });
    const policy = await QwenTrainablePolicy.open(dir);
    try {
      const error = await policy.encodePrompt(vos()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.startsWith(dir)).toBe(true);
      const text = await policy.encodePrompt([{ role: 'user', content: [{ type: 'text', text: QUESTION }] }]);
      expect(text.length).toBeGreaterThan(5);
      expect(text.ropeDelta).toBe(0);
    } finally {
      await policy.release();
    }
  });
});
