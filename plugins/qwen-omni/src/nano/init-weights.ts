/**
 * Fresh weights as transformers' `Qwen2_5OmniPreTrainedModel._init_weights` draws them: every Linear, Conv and
 * Embedding weight from N(0, initializer_range^2), biases zero, RMSNorm and LayerNorm weights one (LayerNorm
 * biases zero).
 */
import { seededRandom, type WeightTensor } from 'omni-r1';

/** A named tensor shape. */
export interface TensorShape {
  name: string;
  shape: readonly number[];
}

/** Normalisation weights (RMSNorm / LayerNorm scales, the vision merger's `ln_q`, Whisper's `ln_post`). */
export function isNormWeight(name: string): boolean {
  return /(^|\.)(\w*norm\w*|ln_q|ln_post)\.weight$/.test(name);
}

/** Standard normal draws from a uniform generator (Box-Muller, both values used). */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - uniform(); // (0, 1]
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** Initial values for `tensors`, drawn in list order from `seed`. */
export function initialWeights(tensors: readonly TensorShape[], seed: number, std: number): Record<string, WeightTensor> {
  const normal = normalSampler(seededRandom(seed));
  const out: Record<string, WeightTensor> = {};
  for (const { name, shape } of tensors) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (isNormWeight(name)) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    out[name] = { dtype: 'float32', shape: [...shape], data };
  }
  return out;
}
