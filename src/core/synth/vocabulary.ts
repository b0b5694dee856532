/** What synthetic scenes are made of, with the words expressions use for each thing. */

export type Rgb = readonly [number, number, number];

export const SHAPE_KINDS = ['circle', 'square', 'triangle', 'star', 'diamond'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** Plural nouns for group expressions ("all the circles"). */
export const SHAPE_PLURALS: Record<ShapeKind, string> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  star: 'stars',
  diamond: 'diamonds',
};

/** The kind the RefAVS layout holds out of train/val/test_s, so test_u refers to an unseen category. */
export const UNSEEN_KIND: ShapeKind = 'diamond';

export interface NamedColour {
  name: string;
  rgb: Rgb;
}

/** Saturated object colours; none is grey, so no object colour ever equals a background colour. */
export const OBJECT_COLOURS: readonly NamedColour[] = [
  { name: 'red', rgb: [220, 38, 38] },
  { name: 'green', rgb: [34, 170, 68] },
  { name: 'blue', rgb: [40, 90, 230] },
  { name: 'yellow', rgb: [245, 210, 30] },
  { name: 'purple', rgb: [150, 60, 200] },
  { name: 'orange', rgb: [250, 130, 20] },
  { name: 'pink', rgb: [250, 110, 190] },
  { name: 'cyan', rgb: [30, 200, 215] },
];

/** Backgrounds are greys (r = g = b), two shades for the textured ones. */
export const BACKGROUND_GREYS: readonly Rgb[] = [
  [28, 28, 28],
  [60, 60, 60],
  [96, 96, 96],
  [136, 136, 136],
  [176, 176, 176],
];

export const SIZE_CLASSES = ['small', 'medium', 'large'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

/** Shape radius (half its extent) as a fraction of min(width, height). */
export const SIZE_RADIUS: Record<SizeClass, number> = { small: 0.09, medium: 0.13, large: 0.18 };

/** Adjectives for appearance expressions ("the large red circle"). */
export const SIZE_WORDS: Record<SizeClass, string> = { small: 'small', medium: 'medium-sized', large: 'large' };

export interface Tone {
  /** Id stored in the scene record. */
  name: string;
  /** Noun phrase after "the object making ...". */
  phrase: string;
  /** A pure sine; every frequency is a whole number of Hz so tests can place DFT bins on it exactly. */
  frequency: number;
}

/** At most one object per video emits each tone, so "the object making the high beep" is always unique. */
export const TONES: readonly Tone[] = [
  { name: 'low-hum', phrase: 'the low hum', frequency: 200 },
  { name: 'buzz', phrase: 'the buzz', frequency: 440 },
  { name: 'chime', phrase: 'the chime', frequency: 1000 },
  { name: 'high-beep', phrase: 'the high beep', frequency: 2000 },
  { name: 'whistle', phrase: 'the whistle', frequency: 3200 },
];

/**
 * While an object makes its sound it is drawn with a white rim (the shape's pixels within this fraction of
 * min(width, height) of its outline, at least 1 px), so which object sounds can be seen as well as heard. White is
 * no object colour and no background grey.
 */
export const SOUND_RIM_FRACTION = 0.015;
export const SOUND_RIM_RGB: Rgb = [255, 255, 255];

/** A sound no synthetic object ever makes; null expressions (RefAVS test_n) may ask for it. */
export const NEVER_HEARD_SOUND = 'a siren sound';

export function toneByName(name: string): Tone {
  const tone = TONES.find((candidate) => candidate.name === name);
  if (!tone) throw new RangeError(`unknown tone ${name}`);
  return tone;
}

export function colourByName(name: string): NamedColour {
  const colour = OBJECT_COLOURS.find((candidate) => candidate.name === name);
  if (!colour) throw new RangeError(`unknown colour ${name}`);
  return colour;
}
