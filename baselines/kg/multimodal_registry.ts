import type { MultimodalKgModel, MultimodalOptions } from '../../src/multimodal';
import { createOtkge } from './otkge';
import { createIkrl } from './ikrl';
import { createTbkge } from './tbkge';
import { createTransae } from './transae';
import { createMmkrl } from './mmkrl';

/**
 * Registry of the multimodal KG models (structure predominant, image/text auxiliary).
 * Adding one: a file exporting a factory, plus one line here.
 */
export const MULTIMODAL_MODELS: Readonly<Record<string, (o: MultimodalOptions) => MultimodalKgModel>> = {
  otkge: createOtkge,
  ikrl: createIkrl,
  tbkge: createTbkge,
  transae: createTransae,
  mmkrl: createMmkrl,
};

/** True when `name` is a multimodal model. */
export function isMultimodalModel(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(MULTIMODAL_MODELS, name);
}

/** Build a registered multimodal model; an unknown name lists the known ones. */
export function createMultimodalModel(name: string, o: MultimodalOptions): MultimodalKgModel {
  if (!isMultimodalModel(name)) throw new Error(`unknown multimodal model '${name}' (known: ${multimodalModelNames().join(', ')})`);
  if (o.modalities.length === 0) {
    throw new Error(`model '${name}' needs at least one auxiliary modality (image or text features); none were found or given (--image-features / --text-features)`);
  }
  return MULTIMODAL_MODELS[name](o);
}

export function multimodalModelNames(): string[] {
  return Object.keys(MULTIMODAL_MODELS);
}
