/**
 * Page-aligned byte buffers, for writes that bypass the page cache (`O_DIRECT`, see storage.ts).
 *
 * Direct I/O needs the memory address, the file offset and the length aligned to the device's
 * block size, and JavaScript cannot see an `ArrayBuffer`'s address: Node's allocator hands out
 * `malloc` memory at no particular alignment. A `WebAssembly.Memory` is different: its buffer
 * starts on a page boundary (V8 maps it with `mmap`). So an aligned buffer is a view on a memory
 * of its own, and this module remembers which `ArrayBuffer`s those are.
 *
 * Where WebAssembly memories cannot be made (a tight address-space limit), the buffer is a plain
 * one, and `isAlignedView` says so.
 */

/** The alignment asked of direct writes: 4 KiB covers disks with 512-byte and 4 KiB sectors. */
export const DIRECT_ALIGNMENT = 4096;

// The one WebAssembly API used here (the project's `lib` has no WebAssembly typings).
declare const WebAssembly: {
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  };
};

const WASM_PAGE = 64 * 1024;
const aligned = new WeakSet<ArrayBufferLike>();

/**
 * A zeroed buffer of `length` bytes whose first byte is page-aligned (when the platform allows).
 * `shared`: on a `SharedArrayBuffer` (a shared WebAssembly memory), which a worker thread reads in
 * place; where shared memory cannot be made, an aligned plain one, and failing that a plain buffer.
 */
export function allocateAligned(length: number, options: { readonly shared?: boolean } = {}): Uint8Array {
  const pages = Math.max(1, Math.ceil(length / WASM_PAGE));
  for (const shared of options.shared === true ? [true, false] : [false]) {
    try {
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
      aligned.add(memory.buffer);
      return new Uint8Array(memory.buffer, 0, length);
    } catch {
      // the next kind of memory
    }
  }
  return new Uint8Array(length);
}

/** True when `view` starts at an address that is a multiple of `DIRECT_ALIGNMENT`. */
export function isAlignedView(view: Uint8Array): boolean {
  return aligned.has(view.buffer) && view.byteOffset % DIRECT_ALIGNMENT === 0;
}
