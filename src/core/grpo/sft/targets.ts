/**
 * SFT targets built from the ground truth in the authors' output format (the paper's SFT baseline): for VOS,
 * up to 4 moments at sampled frames where the referred object is visible, spread over the video, each with the
 * expression as its description (the dataset's grounding description instead, where it has one: synthetic data); for RefAVS, the expression as the answer; for image grounding (SegZero), the
 * ground-truth box and points in the pixels of the image the policy sees.
 */
import { parseSegZeroSolution } from '../../data/refcocog-solution.js';
import { TARGET_KEYFRAMES } from '../rewards/keyframes.js';
import type { SegZeroSample } from '../rewards/segzero.js';
import type { VosProblemTarget } from '../loop/vos-problems.js';

/** `mm:ss.ff` of pseudo time `frame / fps` (2 fps, as the authors' prompts count time). */
export function momentText(frame: number, fps = 2): string {
  const seconds = frame / fps;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${String(minutes).padStart(2, '0')}:${rest.toFixed(2).padStart(5, '0')}`;
}

/** Indices (into the sampled frames) where any ground-truth object is visible, evenly spread, at most `limit`. */
export function visibleKeyframes(objectPixels: ReadonlyArray<ReadonlyArray<number>>, limit = TARGET_KEYFRAMES): number[] {
  const frameCount = objectPixels[0]?.length ?? 0;
  const visible = Array.from({ length: frameCount }, (_, f) => f).filter((f) => objectPixels.some((o) => o[f]! > 0));
  if (visible.length <= limit) return visible;
  // Evenly spaced picks over the visible frames (first and last included).
  const picks = Array.from({ length: limit }, (_, i) => visible[Math.round((i * (visible.length - 1)) / (limit - 1))]!);
  return [...new Set(picks)];
}

export function vosSftTarget(target: VosProblemTarget): string {
  const frames = visibleKeyframes(target.objectPixels);
  const moments = frames.map((f) => JSON.stringify({ start_time: momentText(f), end_time: momentText(f), description: target.groundingDescription ?? target.expression }).replaceAll('","', '", "').replaceAll('":"', '": "'));
  const reasoning = frames.length > 0 ? `The referred object is visible at ${frames.map((f) => momentText(f)).join(', ')}.` : 'The referred object is not visible.';
  return `<think>${reasoning}</think><answer>${moments.join(' ')}</answer>`;
}

export function refAvsSftTarget(target: { expression: string }): string {
  return `<think>The sounding object matches the reference.</think><answer>${target.expression}</answer>`;
}

/**
 * SegZero's answer `{"bbox_2d": [...], "points_1": [...], "points_2": [...]}` with the solution scaled to the
 * resized image exactly as the reward scales it (`int(coord * resized / original)`), so it earns the full reward.
 */
export function groundingSftTarget(target: SegZeroSample & { expression: string }): string {
  const solution = parseSegZeroSolution(target.solution);
  if (!solution) throw new Error(`groundingSftTarget: ${JSON.stringify(target.solution)} is not a SegZero solution`);
  const x = (v: number) => Math.trunc(v * (target.resizedWidth / target.imageWidth));
  const y = (v: number) => Math.trunc(v * (target.resizedHeight / target.imageHeight));
  const [x1, y1, x2, y2] = solution.box;
  const [[px1, py1], [px2, py2]] = solution.points;
  const answer = `{"bbox_2d": [${x(x1)}, ${y(y1)}, ${x(x2)}, ${y(y2)}], "points_1": [${x(px1)}, ${y(py1)}], "points_2": [${x(px2)}, ${y(py2)}]}`;
  return `<think>The object matching "${target.expression}" is this one.</think><answer>${answer}</answer>`;
}
