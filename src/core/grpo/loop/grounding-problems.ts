/**
 * Image grounding training problems with the authors' SegZero prompt and reward (segzero.py): the policy itself
 * answers with one box and two points inside the referred object. Two sources build them:
 * - refCOCOg (refCOCOg_2k_840, the authors' "SegZero" dataset): the stored image, `problem` as the expression,
 *   `solution` as the ground truth;
 * - `revos-grounding` (for small models, issue 10): one frame of a ReVOS / MeViS video, chosen from the seed among
 *   the frames where the referred objects are visible, the expression, and the box and inscribed points of the
 *   union of the objects' masks on that frame (the expression refers to them together). The question is the item's
 *   grounding description where the dataset has one (synthetic data: the objects by their looks, which one frame
 *   shows), else the expression.
 * `revos-grounding` asks with System 2's own prompt (`renderGroundingPrompt`, what `omni infer` and the VOS reward
 * ask the grounding model), so a small model trained on it answers the question it is asked later; the answer format
 * (one box, two points) and the reward stay SegZero's, whose `{"bbox_2d": ...}` block System 2's parser reads.
 * The image is shown at the size the authors' `fetch_image` gives it (default image budget, 28-pixel grid), so the
 * reward's `img_resized_hw` is that size.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedDataset, RefCocogItem, VosExpressionItem } from '../../data/types.js';
import { maskBox } from '../../data/masks.js';
import { readImageFile } from '../../media/index.js';
import { renderGroundingPrompt } from '../../pipeline/prompts.js';
import { GROUNDING_IMAGE_BUDGET, smartResize, type PixelBudget, type PictureSize } from '../../pipeline/pixel-budget.js';
import { SeededRandom } from '../../synth/random.js';
import type { ChatMessage, MessagePart, RgbImage } from '../../../plugins/api.js';
import { isDummyBox } from '../boxes.js';
import { inscribedCirclePoints, segZeroSolutionText, unionMask } from '../mask-points.js';
import type { SegZeroSample } from '../rewards/segzero.js';
import type { TrainingProblem } from './problems.js';

export const GROUNDING_TASK = 'grounding';

/** fetch_image's default image budget (4..1600 x 28 x 28), which the authors' SegZero images go through. */
export const GROUNDING_PROBLEM_IMAGE_BUDGET: PixelBudget = GROUNDING_IMAGE_BUDGET;

/** segzero.py's QUESTION_TEMPLATE and its answer example. */
export const SEGZERO_QUESTION_TEMPLATE =
  "Please find '{Question}' with bbox and points." +
  'Compare the difference between objects and find the most closely matched one.' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags.' +
  'Output the one bbox and points of two largest inscribed circles inside the interested object in JSON format.' +
  'i.e., <think> thinking process here </think>' +
  '<answer>{Answer}</answer>';
export const SEGZERO_ANSWER_EXAMPLE = '{"bbox_2d": [x1, y1, x2, y2], "points_1": [x3, y3], "points_2": [x4, y4]}';

/** `QUESTION_TEMPLATE.format(Question=question.lower().strip("."), Answer=answer)`. */
export function renderSegZeroPrompt(expression: string): string {
  const question = expression.toLowerCase().replace(/^\.+|\.+$/g, '');
  return SEGZERO_QUESTION_TEMPLATE.replace('{Question}', question).replace('{Answer}', SEGZERO_ANSWER_EXAMPLE);
}

/** The reward's sample plus what the SFT target needs. */
export interface GroundingProblemTarget extends SegZeroSample {
  expression: string;
  /** The video frame shown (`revos-grounding`; refCOCOg images are embedded in the dataset). */
  framePath?: string;
}

export interface GroundingProblemOptions {
  /** Put the image into the prompt (false: text only, for tests). */
  withMedia: boolean;
  seed: number;
  /** Prefix of the problem ids (dataset name). */
  prefix: string;
  budget?: PixelBudget;
}

/** `image` decodes the picture when a step needs it (absent: a text-only prompt). */
function problemOf(id: string, prompt: string, image: (() => Promise<RgbImage>) | undefined, target: GroundingProblemTarget): TrainingProblem {
  const messages = async (): Promise<ChatMessage[]> => {
    const content: MessagePart[] = [];
    if (image) content.push({ type: 'image', image: await image() });
    content.push({ type: 'text', text: prompt });
    return [{ role: 'user', content }];
  };
  return { id, task: GROUNDING_TASK, messages, target };
}

function targetOf(expression: string, solution: string, stored: PictureSize, resized: PictureSize): GroundingProblemTarget {
  return { expression, solution, imageWidth: stored.width, imageHeight: stored.height, resizedWidth: resized.width, resizedHeight: resized.height };
}

/** refCOCOg (SegZero) problems. */
export async function refCocogTrainingProblems(dataset: LoadedDataset<RefCocogItem>, options: GroundingProblemOptions): Promise<TrainingProblem[]> {
  const problems: TrainingProblem[] = [];
  for await (const item of dataset) {
    const stored = { width: item.image.width, height: item.image.height };
    const resized = smartResize(stored, options.budget ?? GROUNDING_PROBLEM_IMAGE_BUDGET, `refCOCOg ${item.id}`);
    const image = options.withMedia ? () => decodeAt(item, resized) : undefined;
    problems.push(problemOf(`${options.prefix}/${item.id}`, renderSegZeroPrompt(item.problem), image, targetOf(item.problem, item.solution, stored, resized)));
  }
  return problems;
}

/** Frame problems from a VOS dataset: one visible frame per expression, chosen from the seed. */
export async function vosGroundingTrainingProblems(dataset: LoadedDataset<VosExpressionItem>, options: GroundingProblemOptions): Promise<TrainingProblem[]> {
  const problems: TrainingProblem[] = [];
  let index = 0;
  for await (const item of dataset) {
    if (!item.hasMasks) continue;
    const boxes = await item.objectBoxes();
    const visible = (boxes[0] ?? []).map((_, f) => f).filter((f) => boxes.some((perFrame) => !isDummyBox(perFrame[f]!)));
    if (visible.length === 0) continue;
    const frame = visible[SeededRandom.fromSeed(options.seed, index, 0x67726e64).int(0, visible.length - 1)]!;
    index++;
    const union = unionMask((await item.objectMasks(frame)).map((o) => o.mask));
    const points = inscribedCirclePoints(union);
    if (!points) continue;
    const stored = { width: union.width, height: union.height };
    const resized = smartResize(stored, options.budget ?? GROUNDING_PROBLEM_IMAGE_BUDGET, item.framePaths[frame]);
    const framePath = item.framePaths[frame]!;
    const image = options.withMedia ? () => readImageFile(framePath, sameSize(stored, resized) ? undefined : resized) : undefined;
    const solution = segZeroSolutionText(maskBox(union), points);
    const question = item.groundingDescription ?? item.exp;
    problems.push(problemOf(`${options.prefix}/${item.id}@${frame}`, renderGroundingPrompt(question, 'default'), image, { ...targetOf(question, solution, stored, resized), framePath }));
  }
  return problems;
}

function sameSize(a: PictureSize, b: PictureSize): boolean {
  return a.width === b.width && a.height === b.height;
}

/** The embedded image at `size` (media decodes from files, so the bytes go through a private temporary file). */
async function decodeAt(item: RefCocogItem, size: PictureSize): Promise<RgbImage> {
  if (sameSize(item.image, size)) return item.decodeImage();
  const folder = await mkdtemp(join(tmpdir(), 'omni-grounding-'));
  try {
    const path = join(folder, item.image.format === 'png' ? 'image.png' : 'image.jpg');
    await writeFile(path, item.image.bytes);
    return await readImageFile(path, size);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
