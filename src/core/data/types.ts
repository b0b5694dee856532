import type { BinaryMask, Box, DatasetItem, RgbImage } from '../../plugins/api.js';
import type { DataProblem } from './problems.js';
import type { ImageFormat } from './image-size.js';

export type BuiltinDatasetName = 'revos' | 'mevis' | 'refavs' | 'refcocog';

/** What `open` returns: iterate it for items; bad items skipped under `skipBad` show up in `problems` as iteration goes. */
export interface LoadedDataset<T extends DatasetItem = DatasetItem> extends AsyncIterable<T> {
  readonly name: BuiltinDatasetName;
  readonly root: string;
  readonly split: string;
  /** Items the metadata lists, before any are skipped. */
  readonly size: number;
  readonly problems: readonly DataProblem[];
}

/** One object of an expression, with its mask on one frame. */
export interface ObjectMask {
  annoId: string;
  mask: BinaryMask;
  box: Box;
}

/** ReVOS / MeViS: one referring expression on one video. Frames are paths; masks are decoded on demand. */
export interface VosExpressionItem extends DatasetItem {
  kind: 'vos-expression';
  dataset: 'revos' | 'mevis';
  split: string;
  /** `<video>/<exp_id>`, the folder layout of prediction PNGs. */
  id: string;
  video: string;
  expId: string;
  exp: string;
  objIds: number[];
  /** Keys into `mask_dict.json`, one per referred object. */
  annoIds: string[];
  /** ReVOS: 0 = referring, 1 = reasoning; absent for MeViS. */
  typeId?: number;
  /**
   * A description of the referred objects by their looks alone ("the small red circle"), which one frame can answer;
   * only `omni data synth` writes it (`grounding_description`). SFT targets and grounding problems use it instead of
   * the expression when present.
   */
  groundingDescription?: string;
  /** Frame names in the authors' order (sorted); `framePaths[i]` is frame `i`. */
  frameNames: string[];
  framePaths: string[];
  /**
   * The video's sound, `audio.wav` beside its frames, when there is one (`omni data synth` writes it; the released
   * ReVOS and MeViS are video only). Used only when asked for (`--vos-audio`).
   */
  audioPath?: string;
  width: number;
  height: number;
  /** False for splits that ship without ground truth (MeViS `valid`). */
  hasMasks: boolean;
  /** Ground truth of frame `frameIndex`: the union of all the expression's objects. */
  masks(frameIndex: number): Promise<BinaryMask>;
  /** Per-object masks and boxes of one frame (training targets). */
  objectMasks(frameIndex: number): Promise<ObjectMask[]>;
  /** Boxes `[object][frame]` from the RLEs without decoding; `[-1,-1,-1,-1]` where the object is absent. */
  objectBoxes(frameIndices?: readonly number[]): Promise<Box[][]>;
}

/** RefAVS: one expression (row of metadata.csv) on a 10-frame clip with audio. */
export interface RefAvsItem extends DatasetItem {
  kind: 'refavs';
  /** The row's `uid`. */
  id: string;
  uid: string;
  /** Media folder name, `uid.rsplit("_", 2)[0]` as the authors derive it. */
  vid: string;
  /** The `vid` column as written (differs from `vid` for null references). */
  csvVid: string;
  split: string;
  fid: number;
  exp: string;
  /** Null-reference split (`test_n`): the ground truth is empty on every frame. */
  isNullSplit: boolean;
  framePaths: string[];
  audioPath: string;
  /** `gt_mask/<vid>/fid_<fid>/0000<i>.png`; undefined for a null split shipped without masks. */
  maskPaths?: string[];
  width: number;
  height: number;
  masks(frameIndex: number): Promise<BinaryMask>;
  /** Per-frame boxes of the ground truth, `[-1,-1,-1,-1]` where empty. */
  boxes(): Promise<Box[]>;
}

export interface EmbeddedImage {
  bytes: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
  /** The `image.path` the parquet stores, if any (informational). */
  path?: string;
}

/** refCOCOg_2k_840 (Seg-Zero): one expression on one image, box and two points as ground truth. */
export interface RefCocogItem extends DatasetItem {
  kind: 'refcocog';
  id: string;
  problem: string;
  solution: string;
  /** Ground-truth box `[x1, y1, x2, y2]` in pixels of the stored image. */
  box: Box;
  points: [[number, number], [number, number]];
  /** `img_width` / `img_height` columns (the original COCO image size). */
  imgWidth: number;
  imgHeight: number;
  image: EmbeddedImage;
  /** The parquet file and row the item came from. */
  source: { file: string; row: number };
  decodeImage(): Promise<RgbImage>;
}
