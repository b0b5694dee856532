import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BinaryMask, Box } from '../../plugins/api.js';
import { InputError } from '../errors.js';
import { readImageSize, type ImageSize } from './image-size.js';
import { jsonPath, readJsonFile } from './json.js';
import { loadedDataset } from './loaded-dataset.js';
import { unionMasks } from '../metrics/union.js';
import { rleBox } from './masks.js';
import { VOS_AUDIO_FILE } from './vos-audio.js';
import { resolveInside, requireFile } from './paths.js';
import { dataError, ProblemLog, type LoadOptions } from './problems.js';
import type { LoadedDataset, ObjectMask, VosExpressionItem } from './types.js';
import { parseVosMeta, type VosExpressionMeta, type VosVideoMeta } from './vos-meta.js';
import { decodeFrameRle, VosMaskDict, type FrameRle } from './vos-masks.js';

/** Where one split of a ReVOS/MeViS-style dataset keeps its files. */
export interface VosLayout {
  name: 'revos' | 'mevis';
  root: string;
  split: string;
  metaFile: string;
  /** Undefined for splits without ground truth. */
  maskFile?: string;
  /** Frames are `<imageFolder>/<video>/<frame>.jpg`. */
  imageFolder: string;
  /** Why there is no ground truth and what to do instead, for splits without `maskFile`. */
  noMasksHint?: string;
}

interface CheckedVideo {
  framePaths: string[];
  size: ImageSize;
  audioPath?: string;
}

export async function openVosDataset(layout: VosLayout, options: LoadOptions = {}): Promise<LoadedDataset<VosExpressionItem>> {
  const log = new ProblemLog(options.skipBad ?? false);
  const videos = parseVosMeta(await readJsonFile(layout.metaFile, 'expressions file'), layout.metaFile, log);
  const maskDict = layout.maskFile ? await VosMaskDict.read(layout.maskFile) : undefined;
  const openProblems = [...log.problems];
  const size = videos.reduce((sum, video) => sum + video.expressions.length, 0);

  async function* items(): AsyncGenerator<VosExpressionItem> {
    // Videos dropped while parsing the metadata are reported on every pass.
    log.problems.push(...openProblems);
    for (const video of videos) {
      let checked: CheckedVideo;
      try {
        checked = await checkVideo(layout, video);
      } catch (error) {
        for (const expression of video.expressions) log.skip(`${video.video}/${expression.expId}`, error);
        continue;
      }
      for (const expression of video.expressions) {
        const id = `${video.video}/${expression.expId}`;
        let tracks: FrameRle[][] | undefined;
        try {
          tracks = maskDict && expression.annoIds.map((annoId) => maskDict.track(annoId, video.frames.length, checked.size, id));
        } catch (error) {
          log.skip(id, error);
          continue;
        }
        yield makeItem(layout, video, expression, checked, tracks);
      }
    }
  }

  return loadedDataset({ name: layout.name, root: layout.root, split: layout.split, size }, log, items);
}

async function checkVideo(layout: VosLayout, video: VosVideoMeta): Promise<CheckedVideo> {
  const where = jsonPath('$.videos', video.video);
  if (video.frames.length === 0) throw dataError(layout.metaFile, `${where}.frames is empty`, 'every video needs at least one frame');
  const framePaths = video.frames.map((frame) => resolveInside(layout.imageFolder, layout.metaFile, video.video, `${frame}.jpg`));
  await Promise.all(framePaths.map((path, index) => requireFile(path, `frame ${video.frames[index]} of video ${video.video}`)));
  const size = await readImageSize(framePaths[0], 'frame');
  const metaSaysOtherSize = (video.width !== undefined && video.width !== size.width) || (video.height !== undefined && video.height !== size.height);
  if (metaSaysOtherSize) {
    throw dataError(
      layout.metaFile,
      `${where} gives ${video.width ?? '?'}x${video.height ?? '?'} but frame ${framePaths[0]} is ${size.width}x${size.height}`,
      'the frames do not belong to this metadata; re-extract the dataset',
    );
  }
  const audioPath = join(dirname(framePaths[0]), VOS_AUDIO_FILE);
  return { framePaths, size, ...((await isFile(audioPath)) ? { audioPath } : {}) };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function makeItem(
  layout: VosLayout,
  video: VosVideoMeta,
  expression: VosExpressionMeta,
  checked: CheckedVideo,
  tracks: FrameRle[][] | undefined,
): VosExpressionItem {
  const { size } = checked;
  const id = `${video.video}/${expression.expId}`;
  const frameCount = video.frames.length;

  function requireTracks(frameIndex: number): FrameRle[][] {
    if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= frameCount) {
      throw new RangeError(`frame index ${frameIndex} is outside 0..${frameCount - 1} of ${id}`);
    }
    if (!tracks) {
      throw new InputError(`${layout.name} split ${layout.split} has no ground-truth masks (${id})`, {
        file: layout.metaFile,
        hint: layout.noMasksHint,
      });
    }
    return tracks;
  }

  const objectMasks = async (frameIndex: number): Promise<ObjectMask[]> =>
    requireTracks(frameIndex).map((track, index) => ({
      annoId: expression.annoIds[index],
      mask: decodeFrameRle(track[frameIndex], size),
      box: rleBox(track[frameIndex]),
    }));

  const item: VosExpressionItem = {
    kind: 'vos-expression',
    dataset: layout.name,
    split: layout.split,
    id,
    video: video.video,
    expId: expression.expId,
    exp: expression.exp,
    objIds: [...expression.objIds],
    annoIds: [...expression.annoIds],
    frameNames: [...video.frames],
    framePaths: [...checked.framePaths],
    ...(checked.audioPath ? { audioPath: checked.audioPath } : {}),
    width: size.width,
    height: size.height,
    hasMasks: tracks !== undefined,
    async masks(frameIndex: number): Promise<BinaryMask> {
      const masks = requireTracks(frameIndex).map((track) => decodeFrameRle(track[frameIndex], size));
      return unionMasks(masks, size.width, size.height);
    },
    objectMasks,
    async objectBoxes(frameIndices?: readonly number[]): Promise<Box[][]> {
      const indices = frameIndices ?? video.frames.map((_, index) => index);
      const checked = requireTracks(indices[0] ?? 0);
      for (const index of indices) requireTracks(index);
      return checked.map((track) => indices.map((index) => rleBox(track[index])));
    },
  };
  if (expression.typeId !== undefined) item.typeId = expression.typeId;
  if (expression.groundingDescription !== undefined) item.groundingDescription = expression.groundingDescription;
  return item;
}
