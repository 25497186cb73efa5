import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './generated/kernels-wasm.js';

let compiled: WebAssembly.Module | undefined;
let failure: string | undefined;
let compiledShared: WebAssembly.Module | undefined;
let sharedFailure: string | undefined;
let enabled = true;

function bytes(base64: string = KERNELS_WASM_BASE64): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) out[k] = text.charCodeAt(k);
  return out;
}

/**
 * The compiled kernel module, compiled synchronously on first use (about 4 KB; current Chrome,
 * Firefox and Safari compile it on a page's main thread too), or undefined when this platform
 * cannot run it: no WebAssembly, no SIMD (checked with `WebAssembly.validate`), a synchronous
 * compile refused (old Chrome allowed only 4 KB on the main thread: {@link prepareWasmKernels}
 * first avoids that), or kernels switched off with {@link setWasmKernelsEnabled}. Callers then
 * use their JavaScript kernels.
 */
export function wasmKernelModule(): WebAssembly.Module | undefined {
  if (!enabled) return undefined;
  if (compiled || failure) return compiled;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('this platform has no WebAssembly');
    const code = bytes();
    if (!WebAssembly.validate(code)) throw new Error('this WebAssembly engine has no SIMD');
    compiled = new WebAssembly.Module(code);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  return compiled;
}

/**
 * The build of the same kernels that imports a *shared* memory, for several threads updating one
 * set of tables (`KernelInstance.create(bytes, { shared: true })`, `KernelInstance.attach`).
 * Undefined where {@link wasmKernelModule} is, or where shared memory is missing (browsers give
 * it only to cross-origin isolated pages). Compiled synchronously on first use (about 4 KB).
 */
export function sharedWasmKernelModule(): WebAssembly.Module | undefined {
  if (!enabled || !wasmKernelModule()) return undefined;
  if (compiledShared || sharedFailure) return compiledShared;
  try {
    if (typeof SharedArrayBuffer !== 'function')
      throw new Error(
        'SharedArrayBuffer is unavailable (a browser page must be cross-origin isolated)',
      );
    const code = bytes(KERNELS_SHARED_WASM_BASE64);
    if (!WebAssembly.validate(code))
      throw new Error('this WebAssembly engine has no shared memory (threads)');
    compiledShared = new WebAssembly.Module(code);
  } catch (error) {
    sharedFailure = error instanceof Error ? error.message : String(error);
  }
  return compiledShared;
}

/**
 * Compiles the module asynchronously (for pages that want to avoid any main-thread compile);
 * resolves to whether the kernels are usable.
 */
export async function prepareWasmKernels(): Promise<boolean> {
  if (!enabled) return false;
  if (compiled || failure) return compiled !== undefined;
  try {
    const code = bytes();
    if (!WebAssembly.validate(code)) throw new Error('this WebAssembly engine has no SIMD');
    compiled = await WebAssembly.compile(code);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  return compiled !== undefined;
}

/** Why the kernels are unavailable (undefined when they are available or not tried yet). */
export function wasmKernelFailure(): string | undefined {
  return enabled ? failure : 'switched off with setWasmKernelsEnabled(false)';
}

/**
 * Turns the WebAssembly kernels on (default) or off process-wide. Off, models and optimizers
 * created afterwards use their JavaScript kernels (same maths in float64): for comparisons and
 * for platforms where WebAssembly is not wanted. Objects that already hold an instance keep it.
 */
export function setWasmKernelsEnabled(on: boolean): void {
  enabled = on;
}
