/**
 * RefAVS training problems (the authors' "RefAID"): the RefAVS prompt on the first frame (+ the full audio) and
 * the first frame's ground-truth box as the reward target. With `withMedia` the message is laid out as System 1's
 * RefAVS prompt at inference (system1Messages: `[audio, image, text]`, the first frame decoded at the grounding
 * budget, the audio as its own part, so no use_audio_in_video); without, the prompt is text only (tests, text-only
 * policies).
 */
import type { LoadedDataset, RefAvsItem } from '../../data/types.js';
import { readAudioPcm, readImageFile } from '../../media/index.js';
import type { Box, ChatMessage, MessagePart } from '../../../plugins/api.js';
import { GROUNDING_IMAGE_BUDGET, smartResize } from '../../pipeline/pixel-budget.js';
import { renderRefAvsPrompt } from '../../pipeline/prompts.js';
import type { TrainingProblem } from './problems.js';

export const REFAVS_TASK = 'refavs';

export interface RefAvsProblemTarget {
  /** Ground-truth box of frame 0 (`[-1, -1, -1, -1]` when the object is absent there). */
  box: Box;
  expression: string;
  /** The first frame, which System 2 grounds the answer on. */
  framePath: string;
}

export async function refAvsTrainingProblems(dataset: LoadedDataset<RefAvsItem>, options: { withMedia: boolean; prefix: string }): Promise<TrainingProblem[]> {
  const problems: TrainingProblem[] = [];
  for await (const item of dataset) {
    if (item.isNullSplit) continue;
    const [box] = await item.boxes();
    const size = options.withMedia ? smartResize(item, GROUNDING_IMAGE_BUDGET, item.framePaths[0]) : undefined;
    const { audioPath } = item;
    const framePath = item.framePaths[0]!;
    const text = renderRefAvsPrompt(item.exp);
    const messages = async (): Promise<ChatMessage[]> => {
      const content: MessagePart[] = [];
      if (size) {
        const audio = await readAudioPcm(audioPath);
        if (audio.kind === 'pcm') content.push({ type: 'audio', pcm: audio.samples });
        content.push({ type: 'image', image: await readImageFile(framePath, size) });
      }
      content.push({ type: 'text', text });
      return [{ role: 'user', content }];
    };
    const target: RefAvsProblemTarget = { box: box!, expression: item.exp, framePath };
    problems.push({ id: `${options.prefix}/${item.id}`, task: REFAVS_TASK, messages, target });
  }
  return problems;
}
