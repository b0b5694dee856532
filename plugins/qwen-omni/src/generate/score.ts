/**
 * Log-probs of given completions after a prompt, under the raw model distribution (temperature 1): GRPO's
 * reference-model and old-policy terms. The prompt is prefilled once; its cache is repeated to one row per
 * completion, and the completions run right-padded in one batched decoder pass over all their tokens (split
 * along the sequence only when the logits [N, L, V] would pass `maxLogitsBytes`), with the attention mask
 * zero on the padding. Token j of a completion is scored by the logits after token j - 1 (after the prompt
 * for j = 0). A multimodal prompt is an EmbeddedPrompt, so use_audio_in_video is whatever built it (the audio
 * tokens and TMRoPE positions it holds; QwenOmniPolicy.scoreCompletions takes the flag as generate does), and the
 * completion continues at `prompt length + ropeDelta` on all three axes, as generate.ts decodes.
 */
import { selectKvRows } from './kv-cache.js';
import { logSumExp } from './logits-processors.js';
import type { PolicyModel } from './policy-model.js';
import { prefill, preparePrompt, textPositionIds, type PolicyPrompt } from './prompt.js';
import { asFloat32, int64Tensor } from './tensors.js';

export interface ScoreOptions {
  /** Largest float32 logits block one decoder run may return; default 512 MiB. */
  maxLogitsBytes?: number;
  prefillChunkTokens?: number;
  /** Token fed at padded positions (any valid id; it is masked out). Default 0. */
  padTokenId?: number;
  signal?: AbortSignal;
}

/** log p(completion[i][j] | prompt, completion[i][..j]) for every completion i and token j. */
export async function scoreCompletions(
  model: PolicyModel,
  prompt: PolicyPrompt,
  completions: readonly (readonly number[])[],
  options: ScoreOptions = {},
): Promise<number[][]> {
  const scores = completions.map(() => [] as number[]);
  const longest = Math.max(0, ...completions.map((c) => c.length));
  if (completions.length === 0 || longest === 0) return scores;
  options.signal?.throwIfAborted();

  const prepared = await preparePrompt(model, prompt);
  const first = await prefill(model, prepared, options.prefillChunkTokens);
  const n = completions.length;
  let cache = selectKvRows(first.cache, new Array<number>(n).fill(0));
  const vocab = first.lastLogits.length;
  const chunk = Math.max(1, Math.floor((options.maxLogitsBytes ?? 512 * 2 ** 20) / (4 * n * vocab)));
  const pad = options.padTokenId ?? 0;
  /** Per row, the logits that score the next token. */
  const previous: Float32Array[] = completions.map(() => first.lastLogits);
  const score = (row: number, j: number, logits: Float32Array) => {
    const token = completions[row]![j]!;
    if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`completion ${row} token ${j} is ${token}, outside the vocabulary of ${vocab}`);
    scores[row]!.push(logits[token]! - logSumExp(logits));
  };

  for (let start = 0; start < longest; start += chunk) {
    options.signal?.throwIfAborted();
    const end = Math.min(longest, start + chunk);
    for (const [row, completion] of completions.entries()) if (start < completion.length) score(row, start, previous[row]!);
    // The last token's logits would only score a token past the end.
    const runEnd = Math.min(end, longest - 1);
    if (runEnd <= start) break;
    const length = runEnd - start;
    const ids = completions.map((c) => Array.from({ length }, (_, j) => (start + j < c.length ? c[start + j]! : pad)));
    const total = prepared.length + runEnd;
    const mask = completions.flatMap((c) => Array.from({ length: total }, (_, t) => (t < prepared.length || t - prepared.length < c.length ? 1 : 0)));
    const out = await model.forward({
      inputsEmbeds: await model.embed(ids),
      attentionMask: int64Tensor([n, total], mask),
      positionIds: textPositionIds(n, prepared.length + start + prepared.ropeDelta, length),
      past: cache,
    });
    cache = out.present;
    const logits = asFloat32(out.logits);
    for (const [row, completion] of completions.entries()) {
      for (let j = 0; j < length; j++) {
        const position = start + j;
        const rowLogits = logits.subarray((row * length + j) * vocab, (row * length + j + 1) * vocab);
        if (position + 1 < completion.length) {
          if (position + 1 < end) score(row, position + 1, rowLogits);
          else previous[row] = rowLogits.slice();
        }
      }
    }
  }
  return scores;
}
