import * as tf from '@tensorflow/tfjs';

/** Backends in order of preference; `auto` tries them in this order. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number] | 'auto';

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

async function tryBackend(name: Exclude<BackendName, 'auto'>): Promise<string | undefined> {
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

/** The backend chosen by `selectBackend` (undefined before). */
export function activeBackend(): string | undefined {
  return active;
}
