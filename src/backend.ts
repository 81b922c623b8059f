import * as tf from '@tensorflow/tfjs';
import type { Schema } from './options';

/** Backends in order of preference; `auto` tries them in this order. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number] | 'auto';

/** The backend key of a config (train and classify), with its default and help. */
export const BACKEND_OPTIONS: Schema<{ backend: BackendName }> = {
  backend: { type: 'enum', default: 'auto', values: ['auto', ...BACKENDS], help: 'tfjs backend' },
};

/** Node packages that register each backend when required (none needed for `cpu`). */
const BACKEND_PACKAGES: Record<Exclude<BackendName, 'auto'>, string | undefined> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: undefined,
};

/** Order tried by `auto`: webgpu is opt-in only (needs the `webgpu` package and a GPU). */
const AUTO_ORDER: Exclude<BackendName, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

let active: string | undefined;

/**
 * WebGPU in Node: the `webgpu` package ships Dawn as a native addon (dist/<platform>-<arch>.dawn.node);
 * it provides `navigator.gpu`, which @tensorflow/tfjs-backend-webgpu needs. Returns a reason on failure.
 */
async function installWebGpu(): Promise<string | undefined> {
  const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } };
  if (!g.navigator?.gpu) {
    let dawn: { create(flags: string[]): { requestAdapter(): Promise<unknown> }; globals: Record<string, unknown> };
    try {
      const dir = require('node:path').dirname(require.resolve('webgpu/package.json')) as string;
      const arch = process.platform === 'darwin' ? 'universal' : process.arch;
      dawn = require(require('node:path').join(dir, 'dist', `${process.platform}-${arch}.dawn.node`));
    } catch (err) {
      return `the 'webgpu' package (Dawn for Node) is not installed or failed to load (${(err as Error).message.split('\n')[0]}); npm install webgpu @tensorflow/tfjs-backend-webgpu`;
    }
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: dawn.create([]) }, configurable: true, writable: true });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter();
  if (!adapter) return 'no WebGPU adapter (no GPU, or the Vulkan loader libvulkan1 is missing)';
  return undefined;
}

async function tryBackend(name: Exclude<BackendName, 'auto'>): Promise<string | undefined> {
  if (name === 'webgpu') {
    const why = await installWebGpu();
    if (why) return why;
  }
  const pkg = BACKEND_PACKAGES[name];
  try {
    if (pkg) require(pkg);
  } catch (err) {
    return `${pkg} is not installed or failed to load (${(err as Error).message.split('\n')[0]})`;
  }
  // tfjs-node registers itself as 'tensorflow' for both the CPU and GPU builds.
  const registered = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (tf.findBackendFactory(registered) === null) return `backend '${registered}' is not registered`;
  // setBackend resolves to false instead of throwing when initialisation fails.
  const ok = await tf.setBackend(registered);
  if (!ok) return `backend '${registered}' failed to initialise`;
  await tf.ready();
  return undefined;
}

/**
 * Select the tfjs backend: tfjs-node-gpu if it loads, else tfjs-node, else wasm, else cpu.
 * An explicit name must work or the call throws with the reason. Returns the backend in use.
 */
export async function selectBackend(requested: BackendName = 'auto', log: (msg: string) => void = () => {}): Promise<string> {
  if (active && (requested === 'auto' || requested === active || (requested === 'tensorflow-gpu' && active === 'tensorflow'))) {
    // Chosen before, but tfjs may have been switched since (tests do).
    if (tf.getBackend() !== active) await tf.setBackend(active);
    return active;
  }
  if (requested !== 'auto') {
    if (!(BACKENDS as readonly string[]).includes(requested)) {
      throw new Error(`unknown backend '${requested}'; choose one of: auto, ${BACKENDS.join(', ')}`);
    }
    const why = await tryBackend(requested);
    if (why) throw new Error(`--backend ${requested} is not available: ${why}`);
    active = tf.getBackend();
  } else {
    const reasons: string[] = [];
    for (const name of AUTO_ORDER) {
      const why = await tryBackend(name);
      if (!why) {
        active = tf.getBackend();
        break;
      }
      reasons.push(`${name}: ${why}`);
    }
    if (!active) throw new Error(`no tfjs backend could be initialised:\n  ${reasons.join('\n  ')}`);
  }
  log(`tfjs backend: ${active}`);
  return active;
}

/**
 * Whether tfjs' current backend keeps tensors in this process's memory (wasm, cpu): reading one
 * back is then a copy, not a device sync, so small ops can run on typed arrays.
 */
export function tensorsOnHost(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/** What `hostValues` uses of the wasm backend: where a tensor's values sit in the module's heap. */
interface WasmBackendMemory {
  getMemoryOffset(dataId: object): number;
  dataIdMap: { has(dataId: object): boolean };
  wasm: { HEAPU8: Uint8Array };
}

/** A view of x's float32 values in the wasm module's heap, or undefined where there is none. */
function wasmView(x: tf.Tensor): Float32Array | undefined {
  const b = tf.backend() as unknown as Partial<WasmBackendMemory>;
  // Only for values the wasm backend holds (a tensor made under another backend moves on dataSync).
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || typeof b.getMemoryOffset !== 'function' || !b.wasm || !b.dataIdMap?.has(x.dataId)) return undefined;
  return new Float32Array(b.wasm.HEAPU8.buffer, b.getMemoryOffset(x.dataId), x.size);
}

/**
 * The float32 values of x on the host backends without copying them where tfjs allows it: on
 * wasm a view of the module's heap (dataSync copies the whole tensor, which for a gather of 1,000
 * rows of FB-IMG's 11,757 entities is most of the work). The view is valid only until the next
 * tfjs op, which may grow the heap: read it at once. Elsewhere dataSync().
 */
export function hostValues(x: tf.Tensor): Float32Array {
  return wasmView(x) ?? (x.dataSync() as Float32Array);
}

/** The backend chosen by `selectBackend` (undefined before). */
export function activeBackend(): string | undefined {
  return active;
}
