import { KERNELS_WASM_BASE64 } from './generated/kernels-wasm.js';

let compiled: WebAssembly.Module | undefined;
let failure: string | undefined;
let enabled = true;

function bytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
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
