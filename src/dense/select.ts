import { checkEngineName, type DenseHead, type EngineName } from './head';
import { JsHead } from './engine_js';
import { OrtHead } from './engine_ort';
import { TfjsHead } from './engine_tfjs';

export { checkEngineName };

/** Create one engine by name (errors say why it cannot run here). */
export function createEngine(name: EngineName, threads?: number): DenseHead {
  switch (name) {
    case 'ort-cpu':
      return new OrtHead('cpu', threads);
    case 'ort-webgpu':
      return new OrtHead('webgpu', threads);
    case 'ort-cuda':
      return new OrtHead('cuda', threads);
    case 'tfjs':
      return new TfjsHead();
    case 'js':
      return new JsHead();
  }
}

/**
 * The engine a run uses: an explicit choice must work (its error is thrown); `auto` takes
 * onnxruntime-node on CPU where it loads, else tfjs on the active backend. GPUs are never
 * picked silently (a failed adapter probe costs seconds and prints driver noise).
 */
export function selectDenseHead(choice: string, log: (m: string) => void = () => undefined): DenseHead {
  const name = checkEngineName(choice);
  let head: DenseHead;
  if (name !== 'auto') head = createEngine(name);
  else {
    try {
      head = createEngine('ort-cpu');
    } catch (err) {
      log(`dense engine: onnxruntime-node unavailable (${(err as Error).message.split('\n')[0]}); falling back to tfjs`);
      head = createEngine('tfjs');
    }
  }
  log(`dense engine: ${head.description}`);
  return head;
}
