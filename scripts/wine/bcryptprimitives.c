// A stand-in for Windows' bcryptprimitives.dll, for the Wine 8.0 prefix that
// scripts/cross-test.mjs runs node.exe in. Wine 8.0 has no such DLL, and the
// Rust standard library (since 1.78) imports ProcessPrng from it, so the dev
// tools' own prebuilt native modules (rolldown, vitest's bundler) fail to
// load there. This forwards ProcessPrng to RtlGenRandom (advapi32's
// SystemFunction036). It is test-host plumbing only: budgetkernel's binary
// does not import bcryptprimitives.dll, and nothing here ships.
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
