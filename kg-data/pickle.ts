/**
 * A minimal unpickler for the two Python pickles WN9-IMG's text modality is published as
 * (ksolaiman/TransAE): a dict `synset -> gloss` and a list of numpy float32 vectors. It runs the
 * pickle opcodes those files use (protocols 2-4: containers, ints, strings, bytes, memo, MARK,
 * REDUCE/BUILD) and rebuilds `numpy.ndarray` / `numpy.dtype` from their reduce state; any other
 * GLOBAL or opcode is an error naming the file and the byte offset. Nothing is executed.
 */

/** A numpy array rebuilt from a pickle: shape, dtype string (`<f4`) and the raw little-endian bytes. */
export interface PickledArray {
  readonly kind: 'ndarray';
  shape: number[];
  dtype: string;
  data: Uint8Array;
}

type Value = null | boolean | number | string | Uint8Array | Value[] | Map<string, Value> | PickledArray | Global | DType | Tuple;

interface Global {
  readonly kind: 'global';
  readonly name: string;
}
interface DType {
  readonly kind: 'dtype';
  code: string;
  order: string;
}
/** Python tuples are kept apart from lists only to tell REDUCE arguments from values. */
class Tuple extends Array<Value> {}

const ALLOWED_GLOBALS = ['numpy.core.multiarray _reconstruct', 'numpy ndarray', 'numpy dtype', 'numpy._core.multiarray _reconstruct'];

/** Unpickle `bytes` (see the module comment); `file` names the source in errors. */
export function unpickle(bytes: Uint8Array, file: string): Value {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${file}: byte ${i}: ${msg}`);
  };
  const pop = (): Value => (stack.length > 0 ? (stack.pop() as Value) : fail('stack underflow'));
  const popMark = (): Value[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK');
    return stack.splice(m as number);
  };
  const tuple = (xs: Value[]): Tuple => {
    const t = new Tuple();
    t.push(...xs);
    return t;
  };
  const str = (n: number): string => {
    const s = buf.toString('utf8', i, i + n);
    i += n;
    return s;
  };
  const bin = (n: number): Uint8Array => {
    const b = Uint8Array.from(buf.subarray(i, i + n));
    i += n;
    return b;
  };
  while (i < buf.length) {
    const op = buf[i++];
    switch (op) {
      case 0x80: // PROTO
        i++;
        break;
      case 0x95: // FRAME
        i += 8;
        break;
      case 0x2e: // STOP
        return pop();
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x71: // BINPUT
        memo.set(buf[i++], stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(buf.readUInt32LE(i), stack[stack.length - 1]);
        i += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
        stack.push(memo.has(buf[i]) ? (memo.get(buf[i]) as Value) : fail(`memo ${buf[i]} not set`));
        i++;
        break;
      case 0x6a: {
        // LONG_BINGET
        const k = buf.readUInt32LE(i);
        i += 4;
        stack.push(memo.has(k) ? (memo.get(k) as Value) : fail(`memo ${k} not set`));
        break;
      }
      case 0x4b: // BININT1
        stack.push(buf[i++]);
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(i));
        i += 2;
        break;
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(i));
        i += 4;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x58: // BINUNICODE
        {
          const n = buf.readUInt32LE(i);
          i += 4;
          stack.push(str(n));
        }
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(buf[i++]));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bin(buf[i++]));
        break;
      case 0x42: // BINBYTES
        {
          const n = buf.readUInt32LE(i);
          i += 4;
          stack.push(bin(n));
        }
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail('APPEND to a non-list');
        (list as Value[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail('APPENDS to a non-list');
        (list as Value[]).push(...items);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const dict = stack[stack.length - 1];
        if (!(dict instanceof Map)) fail('SETITEMS on a non-dict');
        for (let k = 0; k + 1 < items.length; k += 2) (dict as Map<string, Value>).set(String(items[k]), items[k + 1]);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        const dict = stack[stack.length - 1];
        if (!(dict instanceof Map)) fail('SETITEM on a non-dict');
        (dict as Map<string, Value>).set(String(k), v);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const nl1 = buf.indexOf(0x0a, i);
        const nl2 = buf.indexOf(0x0a, nl1 + 1);
        const name = `${buf.toString('latin1', i, nl1)} ${buf.toString('latin1', nl1 + 1, nl2)}`;
        i = nl2 + 1;
        if (!ALLOWED_GLOBALS.includes(name)) fail(`refusing to load global '${name}' (only numpy arrays are supported)`);
        stack.push({ kind: 'global', name });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL (protocol 4): module and name strings on the stack
        const name = `${String(stack[stack.length - 2])} ${String(pop())}`;
        pop();
        if (!ALLOWED_GLOBALS.includes(name)) fail(`refusing to load global '${name}' (only numpy arrays are supported)`);
        stack.push({ kind: 'global', name });
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = pop() as Global;
        if (!f || (f as Global).kind !== 'global' || !(args instanceof Tuple)) fail('REDUCE needs a global and a tuple');
        if (f.name.endsWith('dtype')) stack.push({ kind: 'dtype', code: String((args as Tuple)[0]), order: '|' });
        else stack.push({ kind: 'ndarray', shape: [], dtype: '', data: new Uint8Array(0) });
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = stack[stack.length - 1] as PickledArray | DType;
        if (!(state instanceof Tuple)) fail('BUILD state is not a tuple');
        const s = state as Tuple;
        if (obj && (obj as DType).kind === 'dtype') {
          (obj as DType).order = String(s[1]);
        } else if (obj && (obj as PickledArray).kind === 'ndarray') {
          // ndarray.__setstate__((version, shape, dtype, is_fortran, data))
          const [, shape, dtype, fortran, data] = s as unknown as [number, Value[], DType, boolean, Uint8Array];
          if (fortran) fail('Fortran-ordered arrays are not supported');
          const a = obj as PickledArray;
          a.shape = (shape as number[]).map(Number);
          a.dtype = `${dtype.order === '|' ? '<' : dtype.order}${dtype.code}`;
          a.data = data;
        } else fail('BUILD on an unsupported object');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
  return fail('no STOP opcode (truncated?)');
}

/** A pickled list of 1-D float32 numpy vectors as a row-major [rows, dim] matrix. */
export function pickledVectors(bytes: Uint8Array, file: string): { rows: number; dim: number; data: Float32Array } {
  const v = unpickle(bytes, file);
  if (!Array.isArray(v)) throw new Error(`${file}: expected a pickled list of vectors`);
  const rows = v.length;
  let dim = -1;
  let data = new Float32Array(0);
  v.forEach((a, r) => {
    const arr = a as PickledArray;
    if (!arr || arr.kind !== 'ndarray' || arr.dtype !== '<f4' || arr.shape.length !== 1) throw new Error(`${file}: item ${r} is not a 1-D float32 numpy array`);
    if (dim < 0) {
      dim = arr.shape[0];
      data = new Float32Array(rows * dim);
    }
    if (arr.shape[0] !== dim || arr.data.length !== 4 * dim) throw new Error(`${file}: item ${r} has ${arr.shape[0]} values, item 0 has ${dim}`);
    data.set(new Float32Array(Uint8Array.from(arr.data).buffer), r * dim);
  });
  return { rows, dim: Math.max(dim, 0), data };
}

/** A pickled dict of strings (`synset -> gloss`) with each value on one line: tabs/newlines become a space, trimmed. */
export function pickledTexts(bytes: Uint8Array, file: string): Map<string, string> {
  const v = unpickle(bytes, file);
  if (!(v instanceof Map)) throw new Error(`${file}: expected a pickled dict`);
  const out = new Map<string, string>();
  for (const [k, text] of v) {
    if (typeof text !== 'string') throw new Error(`${file}: value of '${k}' is not a string`);
    out.set(k, text.replace(/[\t\r\n]+/g, ' ').trim());
  }
  return out;
}
