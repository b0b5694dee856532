/**
 * A stand-in for the shipped nano pair, made of REAL tiny models in the real formats: a tiny thinker wired to answer
 * one fixed completion (so the whole two-system pipeline runs, masks and overlay.mp4 included), and a tiny random SAM2
 * video model, both exported with `omni export` and installed with the ship library into a folder the CLI is pointed
 * at through OMNI_BUNDLED_MODELS. The tests never depend on the real models/nano.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WeightTensor } from '../../src/core/graph/weights/index.js';
import { NANO_CARD_FORMAT, NANO_CARD_VERSION, type NanoCard } from '../../src/core/models/bundled-card.js';
import { shipNanoBundle } from '../../src/core/models/bundled-ship.js';
import { writeTinyThinkerCheckpoint } from '../../plugins/qwen-omni/test/fixtures/tiny-checkpoint.js';
import { writeTinySam2VideoCheckpoint } from '../../plugins/sam2/test/video/fixtures/tiny-sam2-video.js';
import type { Sandbox } from './helpers.js';

/**
 * One completion that every prompt of the pipeline accepts: a VOS moment at 0 s (System 1, video questions), a
 * non-empty answer (System 1, RefAVS questions: the whole answer is the description), and a bbox_2d (grounding).
 */
export const SCRIPTED_COMPLETION = '<answer>{"start_time": "00:00.00", "end_time": "00:00.00", "description": "the square", "bbox_2d": [8, 8, 40, 40]}</answer>';

const HIDDEN = 32;
const INTERMEDIATE = 64;
const LAYERS = 2;

const zeros = (shape: number[]): WeightTensor => ({ dtype: 'float32', shape, data: new Float32Array(shape[0]! * shape[1]!) });

/**
 * A tiny thinker whose greedy output is `completion` then <|im_end|>, whatever the prompt. The completion is one added
 * (non-special) token; every attention and MLP block writes zero into the residual stream (o_proj and down_proj are
 * 0), so the last hidden state is the last token's embedding: every embedding but the completion's points along
 * axis 0, which lm_head maps to the completion token, and the completion's along axis 1, which it maps to <|im_end|>.
 * The vision and audio towers stay random and run as usual.
 */
export async function writeAnsweringThinkerCheckpoint(dir: string, completion: string = SCRIPTED_COMPLETION): Promise<void> {
  const base = await writeTinyThinkerCheckpoint(dir, { seed: 5, hiddenSize: HIDDEN, intermediateSize: INTERMEDIATE, numHiddenLayers: LAYERS });
  const vocab = (base.config.text_config as { vocab_size: number }).vocab_size;
  const answerId = Math.max(...base.addedTokens.map((t) => t.id)) + 1;
  const imEnd = base.addedTokens.find((t) => t.content === '<|im_end|>')!.id;
  if (answerId >= vocab) throw new Error(`the tiny vocabulary has no spare row for the answer token (${answerId} >= ${vocab})`);

  const embed = zeros([vocab, HIDDEN]);
  const lmHead = zeros([vocab, HIDDEN]);
  const e = embed.data as Float32Array;
  const w = lmHead.data as Float32Array;
  for (let id = 0; id < vocab; id++) e[id * HIDDEN + (id === answerId ? 1 : 0)] = 1;
  w[answerId * HIDDEN + 0] = 10;
  w[imEnd * HIDDEN + 1] = 10;
  const overrides: Record<string, WeightTensor> = { 'model.embed_tokens.weight': embed, 'lm_head.weight': lmHead };
  for (let i = 0; i < LAYERS; i++) {
    overrides[`model.layers.${i}.self_attn.o_proj.weight`] = zeros([HIDDEN, HIDDEN]);
    overrides[`model.layers.${i}.mlp.down_proj.weight`] = zeros([HIDDEN, INTERMEDIATE]);
  }
  await writeTinyThinkerCheckpoint(dir, { seed: 5, hiddenSize: HIDDEN, intermediateSize: INTERMEDIATE, numHiddenLayers: LAYERS, thinkerExtraTensors: overrides });

  const added = { id: answerId, content: completion, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false };
  const tokenizerPath = join(dir, 'tokenizer.json');
  const tokenizer = JSON.parse(await readFile(tokenizerPath, 'utf8')) as { added_tokens: unknown[] };
  tokenizer.added_tokens.push(added);
  await writeFile(tokenizerPath, JSON.stringify(tokenizer, null, 2));
  const configPath = join(dir, 'tokenizer_config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { added_tokens_decoder: Record<string, unknown> };
  const { id: _id, ...decoderEntry } = added;
  config.added_tokens_decoder[String(answerId)] = decoderEntry;
  await writeFile(configPath, JSON.stringify(config, null, 2));
}

/** A card as the trainers would write it (no file lists: the ship library fills them). */
export function tinyCard(): NanoCard {
  const training = (command: string) => ({ commands: [command], seeds: { init: 5 }, durationSeconds: 1.5, data: 'none: test fixture' });
  return {
    format: NANO_CARD_FORMAT,
    version: NANO_CARD_VERSION,
    summary: 'test stand-in for the nano pair',
    policy: { backend: 'qwen-omni', architecture: 'Qwen2_5OmniThinkerForConditionalGeneration', sizes: { hidden_size: HIDDEN, num_hidden_layers: LAYERS }, parameters: 123456, training: training('writeAnsweringThinkerCheckpoint') },
    segmenter: { backend: 'sam2', architecture: 'Sam2VideoModel', sizes: { image_size: 64, hidden: [8, 16] }, parameters: 65432, training: training('writeTinySam2VideoCheckpoint') },
    eval: [{ name: 'scripted answer', metric: 'J&F', value: 0.5, split: 'none' }],
  };
}

export interface TinyExports {
  policy: string;
  segmenter: string;
  card: string;
}

async function runOk(sandbox: Sandbox, args: string[]): Promise<void> {
  const run = await sandbox.run(args);
  expect(run.exitCode, `omni ${args.join(' ')}\n${run.stderr}`).toBe(0);
}

/** The answering thinker and a tiny SAM2 video model, exported through the CLI, and a card file, under `sandbox.dir`. */
export async function exportTinyPair(sandbox: Sandbox): Promise<TinyExports> {
  const thinker = join(sandbox.dir, 'ckpt-thinker');
  const sam2 = join(sandbox.dir, 'ckpt-sam2');
  await writeAnsweringThinkerCheckpoint(thinker);
  await writeTinySam2VideoCheckpoint(sam2);
  const exports = { policy: join(sandbox.dir, 'export-policy'), segmenter: join(sandbox.dir, 'export-sam2'), card: join(sandbox.dir, 'card.json') };
  await runOk(sandbox, ['export', 'policy', '--from', thinker, '--out', exports.policy]);
  await runOk(sandbox, ['export', 'segmenter', '--from', sam2, '--out', exports.segmenter]);
  await writeFile(exports.card, JSON.stringify(tinyCard(), null, 2));
  return exports;
}

/** Ships `exports` into `<bundledDir>/nano`; returns `bundledDir`, the value for OMNI_BUNDLED_MODELS. */
export async function shipTinyPair(exports: TinyExports, bundledDir: string): Promise<string> {
  await shipNanoBundle({ ...exports, out: join(bundledDir, 'nano') });
  return bundledDir;
}
