/**
 * VOS training problems from a ReVOS / MeViS dataset: the authors' prompt (variant A, prompt forcing) over the
 * sampled frames and the `[object][frame]` ground-truth masks as the reward target. With `withFrames` the frames go
 * into the message as a video part, as System 1 shows them at inference (system1Messages): decoded at the System-1
 * size (SYSTEM1_FRAME_BUDGET, the authors' 128 x 28 x 28 training budget) with the 2 fps pseudo-time, and without
 * audio (ReVOS/MeViS training is video only, so no use_audio_in_video). `withAudio` (`--vos-audio`, for synthetic
 * data) adds the video's sound as its audio track, as `omni infer` gives it to System 1 (use_audio_in_video); every
 * video then needs its audio.wav. Without `withFrames`, the prompt is text only (tests, text-only policies).
 */
import type { LoadedDataset, VosExpressionItem } from '../../data/types.js';
import { requireVosAudio, VOS_AUDIO_HINT } from '../../data/vos-audio.js';
import { InputError } from '../../errors.js';
import { readAudioPcm, readImageFile } from '../../media/index.js';
import type { MessagePart } from '../../../plugins/api.js';
import { SYSTEM1_FRAME_BUDGET, smartResize } from '../../pipeline/pixel-budget.js';
import { OMNI_R1_PSEUDO_FPS, renderVosPrompt } from '../../pipeline/prompts.js';
import { sampleSystem1Frames } from '../../pipeline/system1.js';
import { vosTarget, type VosMasks, type VosTarget } from '../rewards/vos.js';
import type { TrainingProblem } from './problems.js';

export const VOS_TASK = 'vos';

/** The target of a VOS problem: the reward's VosTarget plus what SFT targets and System 2 need. */
export interface VosProblemTarget extends VosTarget {
  expression: string;
  /** The dataset's visual description of the objects (synthetic data), which SFT targets use as the description. */
  groundingDescription?: string;
  /** Indices of the sampled frames in the video, and their files. */
  frameIndices: number[];
  framePaths: string[];
}

export interface VosProblemOptions {
  /** Frames per sample (the authors sample 16-24; all frames when the video has fewer). */
  maxFrames: number;
  withFrames: boolean;
  /** The video's audio.wav as the video part's track (use_audio_in_video); checked to exist even without withFrames. */
  withAudio?: boolean;
  /** Seed of the prompt's example timestamps. */
  seed: number;
  /** Prefix of the problem ids (dataset name). */
  prefix: string;
}

export async function vosTrainingProblems(dataset: LoadedDataset<VosExpressionItem>, options: VosProblemOptions): Promise<TrainingProblem[]> {
  const problems: TrainingProblem[] = [];
  let index = 0;
  for await (const item of dataset) {
    if (!item.hasMasks) continue;
    const frames = sampleSystem1Frames(item.framePaths.length, options.maxFrames);
    const readMasks = async (): Promise<VosMasks> => {
      const perFrame = await Promise.all(frames.map((f) => item.objectMasks(f)));
      return item.annoIds.map((_, object) => perFrame.map((objects) => objects[object]!.mask));
    };
    const text = renderVosPrompt({ expression: item.exp, frameCount: frames.length, seed: options.seed + index });
    const size = options.withFrames ? smartResize(item, SYSTEM1_FRAME_BUDGET, item.framePaths[0]) : undefined;
    const framePaths = frames.map((f) => item.framePaths[f]!);
    const audioPath = options.withAudio ? requireVosAudio(item) : undefined;
    problems.push({
      id: `${options.prefix}/${item.id}`,
      task: VOS_TASK,
      messages: async () => {
        const content: MessagePart[] = [];
        if (size) {
          const pcm = audioPath !== undefined ? await readVosAudio(audioPath) : undefined;
          content.push({ type: 'video', frames: await Promise.all(framePaths.map((path) => readImageFile(path, size))), fps: OMNI_R1_PSEUDO_FPS, ...(pcm ? { pcm } : {}) });
        }
        content.push({ type: 'text', text });
        return [{ role: 'user', content }];
      },
      target: {
        ...vosTarget(await readMasks(), readMasks),
        expression: item.exp,
        ...(item.groundingDescription !== undefined ? { groundingDescription: item.groundingDescription } : {}),
        frameIndices: frames,
        framePaths,
      } satisfies VosProblemTarget,
    });
    index++;
  }
  return problems;
}

async function readVosAudio(path: string): Promise<Float32Array> {
  const audio = await readAudioPcm(path);
  if (audio.kind !== 'pcm') throw new InputError(`${path}: ${audio.reason}`, { file: path, hint: VOS_AUDIO_HINT });
  return audio.samples;
}
