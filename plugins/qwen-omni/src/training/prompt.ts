/**
 * Training prompts and scoring rows for the thinker. A prompt is what generation starts from (an EmbeddedPrompt:
 * inputs_embeds with the media merged in, 3-axis TMRoPE positions, rope delta) plus its token ids. Scoring rows put
 * the prompt's own embeddings and positions first and continue the completion at `t + ropeDelta` on all three axes,
 * as Qwen2.5-Omni's thinker positions every token after the prompt (and as generate.ts feeds the decoder).
 */
import type { ChatMessage, EncodedPrompt, TensorData } from 'omni-r1';
import type { EmbeddedPrompt } from '../generate/prompt.js';
import { int64Tensor } from '../generate/tensors.js';

export interface TrainingPrompt extends EncodedPrompt, EmbeddedPrompt {
  /** The prompt's token ids, media placeholders included (length L). */
  inputIds: number[];
  /** float32 [1, L, H]. */
  inputsEmbeds: TensorData;
  /** int64 [3, 1, L]. */
  positionIds: TensorData;
}

/**
 * use_audio_in_video as the messages say it: a video part that carries its audio track (`pcm`), as System 1 builds
 * VOS prompts with audio (pipeline/system1.ts). Training problems decide it this way: ReVOS/MeViS videos come without
 * audio (video only, as the authors' VOS training); RefAVS puts its audio in a separate audio part.
 */
export function useAudioInVideoOf(messages: readonly ChatMessage[]): boolean {
  return messages.some((message) => message.content.some((part) => part.type === 'video' && part.pcm !== undefined));
}

/** Whether any part is an image, a video or audio. */
export function hasMedia(messages: readonly ChatMessage[]): boolean {
  return messages.some((message) => message.content.some((part) => part.type !== 'text'));
}

/** A text prompt: embeddings of its ids, positions 0..L-1 on every axis, rope delta 0. */
export function textTrainingPrompt(inputIds: number[], inputsEmbeds: TensorData): TrainingPrompt {
  const length = inputIds.length;
  const positions = Array.from({ length: 3 * length }, (_, i) => i % length);
  return { length, inputIds, inputsEmbeds, positionIds: int64Tensor([3, 1, length], positions), ropeDelta: 0 };
}

/** Position of prompt token `t` on `axis` (0 temporal, 1 height, 2 width). */
export function promptPosition(prompt: TrainingPrompt, axis: number, t: number): number {
  return Number((prompt.positionIds.data as BigInt64Array)[axis * prompt.length + t]!);
}

export interface ScoringRowsInput {
  prompts: readonly TrainingPrompt[];
  completions: readonly (readonly number[])[];
  hidden: number;
  /** [n, H] float32 embeddings of completion tokens. */
  embedIds(ids: readonly number[]): Promise<Float32Array>;
}

/** The scoring graph's feeds (no target ids) for rows right-padded to the longest prompt + completion. */
export async function scoringRows(input: ScoringRowsInput): Promise<{ embeds: Float32Array; mask: number[]; targets: number[]; positions: number[]; length: number }> {
  const { prompts, completions, hidden } = input;
  const B = prompts.length;
  const length = Math.max(...prompts.map((p, b) => p.length + completions[b]!.length));
  const embeds = new Float32Array(B * length * hidden);
  const mask = new Array<number>(B * length).fill(0);
  const targets = new Array<number>(B * length).fill(0);
  const positions = new Array<number>(3 * B * length).fill(0);
  for (const [b, prompt] of prompts.entries()) {
    const completion = completions[b]!;
    const ids = [...prompt.inputIds, ...completion];
    embeds.set(promptEmbeds(prompt, hidden), b * length * hidden);
    if (completion.length > 0) embeds.set(await input.embedIds(completion), (b * length + prompt.length) * hidden);
    for (let t = 0; t < ids.length; t++) {
      mask[b * length + t] = 1;
      if (t + 1 < ids.length) targets[b * length + t] = ids[t + 1]!;
      for (let axis = 0; axis < 3; axis++) positions[(axis * B + b) * length + t] = t < prompt.length ? promptPosition(prompt, axis, t) : t + prompt.ropeDelta;
    }
  }
  return { embeds, mask, targets, positions, length };
}

function promptEmbeds(prompt: TrainingPrompt, hidden: number): Float32Array {
  const { dtype, shape, data } = prompt.inputsEmbeds;
  if (dtype !== 'float32' || shape[1] !== prompt.length || shape[2] !== hidden) throw new Error(`training prompt embeddings must be float32 [1, ${prompt.length}, ${hidden}], got ${dtype} [${shape.join(', ')}]`);
  return data as Float32Array;
}
