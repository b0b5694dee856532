/**
 * The sound of a ReVOS/MeViS-layout video, for `--vos-audio`: `audio.wav` beside its frames. `omni data synth` writes
 * it; the released ReVOS and MeViS are video only, as is the authors' VOS training, so it is used only when asked for.
 */
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { VosExpressionItem } from './types.js';

export const VOS_AUDIO_FILE = 'audio.wav';

export const VOS_AUDIO_HINT = `--vos-audio reads each video's sound from ${VOS_AUDIO_FILE} beside its frames (omni data synth writes it; ReVOS and MeViS are video only): add the file or drop --vos-audio`;

/** The item's audio.wav, or an error naming where it should be. */
export function requireVosAudio(item: VosExpressionItem): string {
  if (item.audioPath) return item.audioPath;
  const where = join(dirname(item.framePaths[0]!), VOS_AUDIO_FILE);
  throw new InputError(`${where} does not exist (video ${item.video})`, { file: where, hint: VOS_AUDIO_HINT });
}
