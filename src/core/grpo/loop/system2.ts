/**
 * System 2 in the reward: the grounding model (a policy backend answering greedily on the keyframe, as the
 * authors' `reff` does) and the segmenter (SAM2 propagation over the sampled frames), adapted to vosRewards'
 * injected functions for one problem. Each grounding image is the original frame resized to the grounding pixel
 * budget (`smart_resize` as the authors' `fetch_image`, like the inference pipeline), and each reply carries the
 * two sizes so the reward scales ground-truth boxes into, and predicted boxes out of, the resized pixels.
 */
import { readImageSize } from '../../data/image-size.js';
import { readImageFile } from '../../media/index.js';
import { GROUNDING_IMAGE_BUDGET, smartResize, type PixelBudget } from '../../pipeline/pixel-budget.js';
import type { BinaryMask, FramePrompts, FrameSource, PolicyBackend, RgbImage, SegmenterBackend } from '../../../plugins/api.js';
import { renderGroundingPrompt, renderRefAvsGroundingPrompt, type GroundingPromptStyle } from '../../pipeline/prompts.js';
import type { ImageResize } from '../boxes.js';
import type { GroundRefAvs } from '../rewards/refavs.js';
import type { GroundKeyframes, SegmentRollouts } from '../rewards/vos.js';
import type { TrainingProblem } from './problems.js';
import type { RefAvsProblemTarget } from './refavs-problems.js';
import type { VosProblemTarget } from './vos-problems.js';

export interface System2Options {
  grounding: PolicyBackend;
  style?: GroundingPromptStyle;
  maxNewTokens?: number;
  /** Pixel budget of the grounding images (default: the authors' fetch_image cap, 1600 x 28 x 28). */
  budget?: PixelBudget;
}

/** A grounding image: the file resized to the budget, with the sizes the reward rescales boxes between. */
export async function readGroundingImage(path: string, budget: PixelBudget = GROUNDING_IMAGE_BUDGET): Promise<{ image: RgbImage; resize: ImageResize }> {
  const original = await readImageSize(path, 'grounding frame');
  const size = smartResize(original, budget, path);
  const same = size.width === original.width && size.height === original.height;
  const image = await readImageFile(path, same ? undefined : size);
  return { image, resize: { resizedHw: [image.height, image.width], originalHw: [original.height, original.width] } };
}

function framesOf(problem: TrainingProblem): { paths: string[]; cache: Map<number, Promise<{ image: RgbImage; resize: ImageResize }>> } {
  const target = problem.target as VosProblemTarget;
  if (!Array.isArray(target.framePaths)) throw new Error(`problem ${problem.id}: its target has no frame paths for System 2`);
  return { paths: target.framePaths, cache: new Map() };
}

/** Greedy grounding of every keyframe request of one problem; sampled frame `frameIndex` is read from disk. */
export function groundingFor(options: System2Options): (problem: TrainingProblem) => GroundKeyframes {
  return (problem) => {
    const frames = framesOf(problem);
    const image = (i: number) => {
      let p = frames.cache.get(i);
      if (!p) frames.cache.set(i, (p = readGroundingImage(frames.paths[i]!, options.budget)));
      return p;
    };
    return async (requests) => {
      const replies = [];
      for (const request of requests) {
        const frame = await image(request.frameIndex);
        const text = renderGroundingPrompt(request.description, options.style ?? 'default');
        const completions = await options.grounding.generate([{ role: 'user', content: [{ type: 'image', image: frame.image }, { type: 'text', text }] }], {
          maxNewTokens: options.maxNewTokens ?? 256,
          temperature: 0,
        });
        replies.push({ text: completions[0]?.text ?? '', resize: frame.resize });
      }
      return replies;
    };
  };
}

/**
 * Propagation of each rollout's boxes (each its own object) over the problem's sampled frames; null when the
 * segmenter fails (the reward then keeps the keyframe terms, as the authors do when SAM errors).
 */
export function segmentationFor(segmenter: SegmenterBackend, warn: (message: string) => void): (problem: TrainingProblem) => SegmentRollouts {
  return (problem) => {
    const { paths } = framesOf(problem);
    return async (requests) => {
      try {
        const first = await readImageFile(paths[0]!);
        const source: FrameSource = { frameCount: paths.length, width: first.width, height: first.height, frame: (i) => readImageFile(paths[i]!) };
        const out: Array<Array<Array<BinaryMask | null>>> = [];
        for (const request of requests) {
          const perPrompt: Array<Array<BinaryMask | null>> = request.prompts.map(() => new Array<BinaryMask | null>(paths.length).fill(null));
          const byFrame = new Map<number, FramePrompts>();
          request.prompts.forEach((p, i) => {
            const entry = byFrame.get(p.frameIndex) ?? { frameIndex: p.frameIndex, prompts: [] };
            entry.prompts.push({ objectId: i + 1, box: p.box });
            byFrame.set(p.frameIndex, entry);
          });
          if (segmenter.canPropagate && segmenter.propagate) {
            for await (const frame of segmenter.propagate(source, [...byFrame.values()].sort((a, b) => a.frameIndex - b.frameIndex))) {
              for (const [id, mask] of frame.masks) if (perPrompt[id - 1]) perPrompt[id - 1]![frame.frameIndex] = mask;
            }
          } else {
            for (const entry of byFrame.values()) {
              const masks = await segmenter.segmentImage(await source.frame(entry.frameIndex), entry.prompts);
              for (const [id, mask] of masks) if (perPrompt[id - 1]) perPrompt[id - 1]![entry.frameIndex] = mask;
            }
          }
          out.push(perPrompt);
        }
        return out;
      } catch (error) {
        warn(`segmenter failed on ${problem.id}: ${error instanceof Error ? error.message : String(error)}; keyframe rewards only`);
        return null;
      }
    };
  };
}

/** RefAVS: every answer grounded greedily on the problem's first frame (at the grounding budget) with the RefAVS grounding prompt. */
export function refAvsGroundingFor(options: System2Options): (problem: TrainingProblem) => GroundRefAvs {
  return (problem) => {
    const { framePath } = problem.target as RefAvsProblemTarget;
    let frame: Promise<{ image: RgbImage; resize: ImageResize }> | undefined;
    return async (requests) => {
      const { image, resize } = await (frame ??= readGroundingImage(framePath, options.budget));
      const replies = [];
      for (const request of requests) {
        const text = renderRefAvsGroundingPrompt(request.answer);
        const completions = await options.grounding.generate([{ role: 'user', content: [{ type: 'image', image }, { type: 'text', text }] }], {
          maxNewTokens: options.maxNewTokens ?? 256,
          temperature: 0,
        });
        replies.push({ text: completions[0]?.text ?? '', resize });
      }
      return replies;
    };
  };
}
